"""User instructions from AGENTS.md files.

``$CODEX_HOME/AGENTS.md`` comes first, then every ``AGENTS.md`` from the git root down to
the working directory (v0.20 read only one project file and skipped the directories in
between; deeper files are more specific, so they come last). Each file is cut to
``project_doc_max_bytes``; 0 turns project docs off (the global doc is still used). The
``instructions`` config key, when set, goes before everything. As in the current Codex, a
folder's ``AGENTS.override.md`` replaces its ``AGENTS.md`` (also in ``$CODEX_HOME``), and a
folder without either uses the first of ``project_doc_fallback_filenames`` it has.

Project docs are repository content read for the model, so they are read under the agent's
rule (``sandbox.model_files``): an ``AGENTS.md`` that is a symlink to ``/proc/self/environ`` or
into ``$CODEX_HOME`` is skipped, never quoted into the instructions.
"""

from __future__ import annotations

from pathlib import Path

from pycodex.config.schema import Config
from pycodex.sandbox.model_files import ModelFiles, refused_roots

DOC_NAME = "AGENTS.md"
OVERRIDE_NAME = "AGENTS.override.md"  # a local replacement for a folder's AGENTS.md
PROJECT_DOC_SEPARATOR = "\n\n--- project-doc ---\n\n"


def find_git_root(cwd: Path) -> Path | None:
    for directory in (cwd, *cwd.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _doc_in(folder: Path, names: tuple[str, ...]) -> Path | None:
    """The first of ``names`` that is a file in ``folder``."""
    return next((folder / n for n in names if (folder / n).is_file()), None)


def project_doc_paths(cwd: Path, fallbacks: tuple[str, ...] = ()) -> list[Path]:
    """One instructions file per folder from the git root (or cwd, outside a repo) down to
    cwd: ``AGENTS.override.md``, else ``AGENTS.md``, else the first of ``fallbacks``
    (``project_doc_fallback_filenames``, as the current Codex reads them)."""
    cwd = cwd.resolve()
    root = find_git_root(cwd) or cwd
    chain = [cwd, *cwd.parents]
    dirs = list(reversed(chain[: chain.index(root) + 1]))
    names = (OVERRIDE_NAME, DOC_NAME, *fallbacks)
    return [doc for d in dirs if (doc := _doc_in(d, names)) is not None]


def _read(path: Path, max_bytes: int | None, files: ModelFiles | None = None) -> str | None:
    try:
        data = path.read_bytes() if files is None else files.read(path)[0]
    except OSError:
        return None
    if data is None:
        return None
    if max_bytes is not None:
        data = data[:max_bytes]
    text = data.decode("utf-8", errors="ignore")  # a cut may split a character
    return text if text.strip() else None


def load_user_instructions(config: Config) -> str | None:
    """The combined text for the ``<user_instructions>`` message, or None if there is none."""
    limit = config.project_doc_max_bytes
    head = [config.instructions] if config.instructions and config.instructions.strip() else []
    home_doc = _doc_in(config.codex_home, (OVERRIDE_NAME, DOC_NAME))
    global_doc = _read(home_doc, limit if limit > 0 else None) if home_doc else None
    if global_doc is not None:
        head.append(global_doc)
    project: list[str] = []
    if limit > 0:
        files = ModelFiles(refused_roots(config.codex_home))
        paths = project_doc_paths(config.cwd, config.project_doc_fallback_filenames)
        project = [t for p in paths if (t := _read(p, limit, files)) is not None]
    if not head and not project:
        return None
    if not project:
        return "\n\n".join(head)
    project_text = "\n\n".join(project)
    if not head:
        return project_text
    return "\n\n".join(head) + PROJECT_DOC_SEPARATOR + project_text
