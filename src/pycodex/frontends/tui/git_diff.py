"""``/diff``: now a core service (``pycodex.core.services.workspace``); this name stays
until its callers import it from there."""

from pycodex.core.services.workspace import NOT_A_REPO, git_diff

__all__ = ["NOT_A_REPO", "git_diff"]
