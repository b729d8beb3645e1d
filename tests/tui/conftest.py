"""Fixtures of the TUI tests: ``tmux`` starts a real terminal (see ``tmux_support``)."""

from tests.tui.tmux_support import tmux

__all__ = ["tmux"]
