"""Fixtures of the sandbox escape suite: a workspace with a git repository and an outside."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Tree:
    ws: Path  # the workspace (writable under workspace-write), holding a git repository
    out: Path  # a directory outside every writable root
    victim: Path  # out/victim.txt, content "original\n", mode 0o644

    def victim_intact(self) -> bool:
        st = self.victim.stat()
        return (
            self.victim.read_text() == "original\n"
            and st.st_mode & 0o7777 == 0o644
            and int(st.st_mtime) == 1_000_000_000
        )


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    ws = tmp_path / "ws"
    out = tmp_path / "outside"
    ws.mkdir()
    out.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True, timeout=30)
    (ws / "file.txt").write_text("in workspace\n")
    victim = out / "victim.txt"
    victim.write_text("original\n")
    victim.chmod(0o644)
    os.utime(victim, (1_000_000_000, 1_000_000_000))
    return Tree(ws, out, victim)
