"""Fixtures of the end-to-end tests (the work tree and environment are in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound, then released: connections get refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
