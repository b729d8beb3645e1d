"""pycodex: a terminal coding agent (the Codex CLI, in Python)."""

__version__ = "0.1.0"
VERSION_LINE = f"codex-cli {__version__} (pycodex)"  # `codex --version`, in Codex's form
