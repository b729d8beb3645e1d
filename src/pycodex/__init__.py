"""pycodex: a terminal coding agent (the Codex CLI, in Python)."""

__version__ = "0.1.0"
