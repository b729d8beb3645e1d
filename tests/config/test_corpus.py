"""Realistic config.toml files through the real CLI: each starts, or fails in one line.

Every file in ``corpus/`` says in its first comment lines what must happen when it is the
user's ``$CODEX_HOME/config.toml`` and they run ``codex config show``:

- ``# expect: 0`` or ``# expect: 2``: the exit status;
- ``# stderr: TEXT``: TEXT is in the warnings (one line per ``stderr:``);
- ``# not-stderr: TEXT``: TEXT is not; ``# stderr-empty``: no warnings at all;
- ``# error: TEXT``: (exit 2) the one line of stderr is ``Error: TEXT...``.

The files were written for this suite after the configs Codex users publish: newer enum
values, newer tables, MCP URL servers, profiles, projects trust, and a few broken ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.toml"))


def _directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("# "):
            break
        name, _, value = line[2:].partition(":")
        out.setdefault(name.strip(), []).append(value.strip())
    return out


def test_the_corpus_is_large_enough() -> None:
    assert len(FILES) >= 20
    assert sum(1 for f in FILES if "# expect: 2" in f.read_text()) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_config_starts_or_fails_in_one_line(tmp_path: Path, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    want = _directives(text)
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(text, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CODEX_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "pycodex", "config", "show"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    err = proc.stderr
    assert "Traceback" not in err
    assert proc.returncode == int(want["expect"][0]), err
    for needle in want.get("stderr", []):
        assert needle in err
    for needle in want.get("not-stderr", []):
        assert needle not in err
    if "stderr-empty" in want:
        assert err == ""
    if proc.returncode == 0:
        assert all(line.startswith("warning: ") for line in err.splitlines()), err
        assert "model" in proc.stdout
    else:
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        (expected,) = want["error"]
        assert lines[0].startswith("Error: " + expected), lines[0]
        assert proc.stdout == ""
