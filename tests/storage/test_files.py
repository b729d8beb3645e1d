"""write_atomic: private from the first byte, all-or-nothing, even when the writer dies."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.storage.files import ensure_private_dir, write_atomic


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_has_mode_0600_and_content(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    write_atomic(target, b"hello")
    assert target.read_bytes() == b"hello"
    assert mode_of(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.json"]


def test_replacing_a_world_readable_file_makes_it_private(tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_atomic(target, b"new")
    assert (target.read_bytes(), mode_of(target)) == (b"new", 0o600)


def test_mode_is_exact_regardless_of_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomic(tmp_path / "a", b"x")
    finally:
        os.umask(old)
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "b", b"x", mode=0o644)
    finally:
        os.umask(old)
    assert (mode_of(tmp_path / "a"), mode_of(tmp_path / "b")) == (0o600, 0o644)


def test_failure_after_the_temp_file_exists_leaves_old_file_and_no_litter(
    tmp_path: Path,
) -> None:
    target = tmp_path / "auth.json"
    write_atomic(target, b"old content")
    with pytest.raises(TypeError):
        write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["auth.json"]


def test_missing_directory_fails_without_creating_anything(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "auth.json", b"x")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    """A real short write: the child's file-size limit makes write(2) fail half-way."""
    target = tmp_path / "auth.json"
    write_atomic(target, b"old content")
    script = f"""
import resource, signal, sys
from pathlib import Path
from pycodex.storage.files import write_atomic
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_atomic(Path({str(target)!r}), b"n" * 100_000)
except OSError as exc:
    print("failed", exc.errno)
    sys.exit(0)
print("wrote")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.startswith("failed"), out.stdout + out.stderr
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["auth.json"]


def test_sigkill_during_rewrites_never_leaves_a_mixed_file(tmp_path: Path) -> None:
    target = tmp_path / "state"
    size = 2_000_000
    script = f"""
import sys
from pathlib import Path
from pycodex.storage.files import write_atomic
target = Path({str(target)!r})
write_atomic(target, b"a" * {size})
print("ready", flush=True)
i = 0
while True:
    i += 1
    write_atomic(target, (b"b" if i % 2 else b"a") * {size})
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        # Let it get into the rewrite loop: wait for the first replacement to be visible.
        first = target.stat().st_ino
        for _ in range(1_000_000):
            if target.stat().st_ino != first:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    data = target.read_bytes()
    assert len(data) == size
    assert data in (b"a" * size, b"b" * size)
    assert mode_of(target) == 0o600


def test_ensure_private_dir_creates_every_missing_level_0700(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir(mode=0o755)
    leaf = ensure_private_dir(tmp_path / "home" / "sessions" / "2026" / "11")
    assert leaf.is_dir()
    assert mode_of(tmp_path / "home") == 0o755  # existing dirs are the user's
    assert mode_of(tmp_path / "home" / "sessions") == 0o700
    assert mode_of(tmp_path / "home" / "sessions" / "2026") == 0o700
    assert mode_of(leaf) == 0o700
    ensure_private_dir(leaf)  # idempotent
