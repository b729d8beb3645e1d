"""Running commands under the sandbox the agent uses, and host-side witnesses for escapes.

``run`` goes through ``spawn.run_command`` (the agent's entry), ``run_direct`` through
``prepare_launch`` with a caller-chosen stdin, ``run_cli`` through ``codex sandbox`` as a
subprocess. Listeners bind 127.0.0.1 in the test process: once the
sandboxed command has exited, any connection or datagram it managed to send is already queued
in the kernel, so a non-blocking ``accept``/``recv`` answers without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pycodex.protocol.errors import SandboxError
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.launch import prepare_launch
from pycodex.sandbox.policy import SandboxPolicy, check_supported
from pycodex.sandbox.spawn import run_command

CODEX = str(Path(sys.executable).with_name("codex"))
PY = sys.executable
NOBODY = 65534  # an ordinary user, for the sandbox's user-namespace path
SRC = str(Path(__file__).resolve().parents[2] / "src")


def require_sandbox() -> None:
    try:
        check_supported()
    except SandboxError as exc:  # pragma: no cover - these machines have Landlock
        pytest.skip(f"no OS sandbox here: {exc}")


def policy(
    mode: SandboxMode,
    workspace: Path,
    *,
    network: bool = False,
    tmp: bool = False,
    roots: tuple[Path, ...] = (),
) -> SandboxPolicy:
    """``tmp=False`` excludes /tmp and $TMPDIR: pytest's tmp_path lives under /tmp."""
    return SandboxPolicy(
        mode=mode,
        writable_roots=roots,
        network_access=network,
        exclude_slash_tmp=not tmp,
        exclude_tmpdir_env_var=not tmp,
        workspace=workspace,
    )


@dataclass(frozen=True)
class Result:
    returncode: int  # 128+N when killed by signal N
    stdout: str
    stderr: str


def run(
    pol: SandboxPolicy, argv: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> Result:
    """Exactly as the agent runs a command (stdin is /dev/null there)."""
    res = asyncio.run(
        run_command(
            argv, cwd=cwd, env=os.environ if env is None else env, timeout_ms=30_000, sandbox=pol
        )
    )
    return Result(res.exit_code, res.stdout, res.stderr)


def run_direct(
    pol: SandboxPolicy, argv: list[str], cwd: Path, stdin: int
) -> subprocess.CompletedProcess[str]:
    launch = prepare_launch(pol, argv, cwd=cwd, env=os.environ)
    return subprocess.run(
        launch.argv,
        cwd=cwd,
        env=launch.env,
        preexec_fn=launch.preexec_fn,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def sh(pol: SandboxPolicy, script: str, cwd: Path) -> Result:
    return run(pol, ["bash", "-c", script], cwd)


def py(pol: SandboxPolicy, code: str, cwd: Path) -> Result:
    return run(pol, [PY, "-c", code], cwd)


def run_cli(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ if env is None else env)
    full_env.setdefault("CODEX_HOME", str(cwd / ".codex-home-unused"))
    return subprocess.run(
        [CODEX, *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Listener:
    """A TCP or UDP socket on 127.0.0.1 that records whether anything reached it."""

    sock: socket.socket
    kind: int
    got: list[bytes] = field(default_factory=list)

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    def reached(self) -> bool:
        """Whether a connection or datagram arrived (non-blocking: it is queued by now)."""
        self.sock.setblocking(False)
        try:
            if self.kind == socket.SOCK_STREAM:
                conn, _ = self.sock.accept()
                conn.close()
            else:
                self.got.append(self.sock.recv(4096))
        except BlockingIOError:
            return False
        return True


@contextlib.contextmanager
def listener(kind: int = socket.SOCK_STREAM) -> Iterator[Listener]:
    sock = socket.socket(socket.AF_INET, kind)
    try:
        sock.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            sock.listen(8)
        yield Listener(sock, kind)
    finally:
        sock.close()


@contextlib.contextmanager
def unix_listener(address: str | bytes) -> Iterator[Listener]:
    """A pathname (str) or abstract (bytes starting with NUL) unix stream listener."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(address)
        sock.listen(8)
        yield Listener(sock, socket.SOCK_STREAM)
    finally:
        sock.close()


@contextlib.contextmanager
def outside_process(secret: str = "") -> Iterator[subprocess.Popen[bytes]]:
    """A process on the host, outside any sandbox, killed at the end."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOST_SECRET": secret}
    proc = subprocess.Popen(
        ["sleep", "60"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def python_for_nobody() -> str:
    """A Python that user 65534 can run with this checkout's sources importable; skips (and
    says why) when the tests do not run as root or that user cannot reach either."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    for candidate in (sys.executable, shutil.which("python3") or "", "/usr/bin/python3"):
        if not candidate:
            continue
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info >= (3, 11)"],
                user=NOBODY,
                group=NOBODY,
                extra_groups=[],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except OSError:  # not executable by that user (a Python under /root)
            continue
        if probe.returncode == 0:
            break
    else:
        pytest.skip("no Python >= 3.11 that user 65534 can run")
    readable = subprocess.run(
        [candidate, "-c", f"import os; os.listdir({SRC!r})"],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if readable.returncode != 0:
        pytest.skip("the source tree is not readable by user 65534 (a private checkout)")
    return candidate


def run_as_nobody(
    python: str, script: str, args: Sequence[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``python -c script *args`` as user 65534, with this checkout's sources importable."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC, "HOME": str(cwd)}
    return subprocess.run(
        [python, "-c", script, *args],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
