"""Escape tests through the real `codex exec` (workspace-write, approval never): no privilege
on disk from inside, and local sockets only when the user said so (issue 12, finding 5 and
"Local sockets are an explicit choice").

The model asks for the commands; the witnesses are on the host after the run: no entry of the
work tree carries a setuid or setgid bit, and a unix socket server the test started outside
the sandbox saw a connection only when the config allowed it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_approvals_e2e import needs_sandbox
from tests.e2e.harness import codex, function_outputs, write_config
from tests.sandbox.test_escape_setid import setid_entries
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

PY = sys.executable

_CREATE = (
    "import os; os.umask(0); fd = os.open('by_open', os.O_WRONLY | os.O_CREAT, 0o4755); "
    "os.write(fd, open('/bin/sh', 'rb').read()); os.close(fd)"
)
ATTEMPTS = [
    ["bash", "-lc", "cp /bin/sh by_chmod; chmod 4755 by_chmod"],
    ["bash", "-lc", "cp /bin/sh by_chmod_g; chmod g+s by_chmod_g"],
    ["install", "-m", "4755", "/bin/sh", "by_install"],
    [PY, "-c", "import shutil, os; shutil.copy('/bin/sh', 'by_py'); os.chmod('by_py', 0o6755)"],
    [PY, "-c", _CREATE],
    [PY, "-c", "import os; os.mknod('by_mknod', 0o104755)"],
    ["bash", "-lc", "mkdir by_dir && chmod 2755 by_dir"],
]


def _outputs(server: ScriptedModelServer) -> list[dict[str, object]]:
    body = server.model_requests[-1].body
    assert body is not None
    return [json.loads(out) for out in function_outputs(body)]


@needs_sandbox
def test_no_setuid_file_from_the_model(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    calls = [ToolCall("shell", {"command": argv}, f"c{i}") for i, argv in enumerate(ATTEMPTS)]
    model_server.push(Turn(tool_calls=calls), Turn(text="done"))
    res = codex(["exec", "--full-auto", "--json", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    outputs = _outputs(model_server)
    assert len(outputs) == len(ATTEMPTS)
    assert (repo / "by_chmod").is_file()  # the commands ran; only the bit was refused
    assert setid_entries(repo) == [], outputs
    assert all("Operation not permitted" in str(o["output"]) for o in outputs), outputs


@contextlib.contextmanager
def unix_server(path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        sock.listen(8)
        sock.setblocking(False)  # once the command has exited, a connection is queued
        yield sock
    finally:
        sock.close()


def reached(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.fixture
def sockdir() -> Iterator[Path]:
    """Short, outside the work tree: a socket path must fit in 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="pyc-sock-"))
    try:
        yield path
    finally:
        shutil.rmtree(path)


def _connect(path: Path) -> list[str]:
    code = (
        "import socket, sys\n"
        "try:\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        f"    s.connect({str(path)!r}); print('connected')\n"
        "except OSError as exc:\n"
        "    print('refused', exc); sys.exit(1)\n"
    )
    return [PY, "-c", code]


@needs_sandbox
@pytest.mark.parametrize(
    ("setting", "allowed"),
    [
        (None, set()),
        ('"all"', {"agent", "docker"}),
        ("[SOCKDIR/agent]", {"agent"}),
    ],
    ids=["default", "all", "listed"],
)
def test_unix_socket_only_when_allowed(  # noqa: PLR0917 (pytest parameters)
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    sockdir: Path,
    setting: str | None,
    allowed: set[str],
) -> None:
    """Also with ``network_access = true``: sockets are a separate choice."""
    table = "[sandbox_workspace_write]\nnetwork_access = true\n"
    if setting is not None:
        value = setting.replace("[SOCKDIR/agent]", json.dumps([str(sockdir / "agent")]))
        table += f"allow_unix_sockets = {value}\n"
    write_config(codex_home, model_server.base_url, provider="", top="")
    with (codex_home / "config.toml").open("a") as f:
        f.write(table)
    with unix_server(sockdir / "agent") as agent, unix_server(sockdir / "docker") as docker:
        calls = [
            ToolCall("shell", {"command": _connect(sockdir / "agent")}, "agent"),
            ToolCall("shell", {"command": _connect(sockdir / "docker")}, "docker"),
        ]
        model_server.push(Turn(tool_calls=calls), Turn(text="done"))
        res = codex(["exec", "--full-auto", "--json", "go"], cwd=repo, env=env)
        assert res.rc == 0, res.err
        seen = {name for name, sock in (("agent", agent), ("docker", docker)) if reached(sock)}
    outputs = [str(o["output"]) for o in _outputs(model_server)]
    assert seen == allowed, outputs
    for name, out in zip(("agent", "docker"), outputs, strict=True):
        assert out.startswith("connected" if name in allowed else "refused"), out
