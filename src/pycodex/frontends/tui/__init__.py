"""The full-screen interactive session (filled by the TUI issue)."""
