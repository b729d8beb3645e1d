"""The full-screen interactive session (`codex`), built on Textual.

Textual is imported only by the modules of this package, and this package only when the
TUI runs: other commands never pay for it. ``options`` (no Textual) is what the CLI fills.
"""
