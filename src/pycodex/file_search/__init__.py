"""The `@` file picker's index: a gitignore-aware listing and a fast fuzzy search over it.

A small edge package beside ``apply_patch``: the standard library only, nothing else from
pycodex. Front ends reach it through ``pycodex.core.services.workspace``.

- ``gitignore``: the ignore rules (parse, match).
- ``walk``: the files git would not ignore, without running git.
- ``ranking``: the C-level scans and the score of one match.
- ``index``: ``FileIndex``, built once in a thread, searched per keystroke.

A caller that has a better list (e.g. from ``git ls-files``) passes it as
``FileIndex(root, paths=...)`` and no walk happens.
"""

from pycodex.file_search.gitignore import GitIgnore, parse_gitignore
from pycodex.file_search.index import SCORE_BUDGET, FileIndex, Match
from pycodex.file_search.walk import walk_files

__all__ = ["SCORE_BUDGET", "FileIndex", "GitIgnore", "Match", "parse_gitignore", "walk_files"]
