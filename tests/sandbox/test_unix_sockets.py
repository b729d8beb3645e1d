"""Unix sockets are an explicit choice (``allow_unix_sockets``), never implied by the network.

Servers are started by the test on the host; a sandboxed Python client tries to connect and
prints what happened. The witness is the server's side: after the command has exited, a
connection it made is queued, so a non-blocking ``accept`` answers at once.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox import linux
from pycodex.sandbox.launch import prepare_launch
from pycodex.sandbox.policy import SandboxPolicy
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import (
    NOBODY,
    Listener,
    Result,
    listener,
    py,
    python_for_nobody,
    require_sandbox,
    run,
    run_as_nobody,
    unix_listener,
)

WW = SandboxMode.WORKSPACE_WRITE


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    require_sandbox()


@pytest.fixture
def sockdir() -> Iterator[Path]:
    """Short (a socket path must fit in 108 bytes) and outside the workspace."""
    path = Path(tempfile.mkdtemp(prefix="pyc-"))
    try:
        yield path
    finally:
        shutil.rmtree(path)


def pol(
    ws: Path, sockets: tuple[Path, ...] | Literal["all"] = (), *, network: bool = False
) -> SandboxPolicy:
    return SandboxPolicy(
        mode=WW,
        workspace=ws,
        network_access=network,
        exclude_slash_tmp=True,
        exclude_tmpdir_env_var=True,
        allow_unix_sockets=sockets,
    )


CONNECT = r"""
import errno, socket, sys
def connect(path, kind=socket.SOCK_STREAM):
    path = "\0" + path[1:] if path.startswith("@") else path  # abstract
    try:
        s = socket.socket(socket.AF_UNIX, kind)
        s.connect(path)
        s.sendall(b"hello")
        return "connected"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
for path in sys.argv[1:]:
    print(connect(path))
"""


def connect(policy: SandboxPolicy, ws: Path, *paths: str | Path) -> list[str]:
    res = py_args(policy, ws, CONNECT, *map(str, paths))
    return res.stdout.split()


def py_args(policy: SandboxPolicy, ws: Path, code: str, *args: str) -> Result:
    return run(policy, [sys.executable, "-c", code, *args], ws)


def got_hello(server: Listener) -> bool:
    """Whether a connection arrived and carried the client's bytes (the fd it kept)."""
    server.sock.setblocking(False)
    try:
        conn, _ = server.sock.accept()
    except BlockingIOError:
        return False
    with conn:
        conn.settimeout(10)
        return conn.recv(5) == b"hello"


@pytest.mark.parametrize("network", [False, True])
def test_default_refuses_every_unix_socket(tree: Tree, sockdir: Path, network: bool) -> None:
    with unix_listener(str(sockdir / "s")) as server:
        assert connect(pol(tree.ws, network=network), tree.ws, sockdir / "s") == ["EPERM"]
        assert not server.reached()


@pytest.mark.parametrize("network", [False, True])
def test_all_allows_every_pathname_socket(tree: Tree, sockdir: Path, network: bool) -> None:
    with unix_listener(str(sockdir / "a")) as a, unix_listener(str(sockdir / "b")) as b:
        out = connect(pol(tree.ws, "all", network=network), tree.ws, sockdir / "a", sockdir / "b")
        assert out == ["connected", "connected"]
        assert got_hello(a)
        assert got_hello(b)


def test_all_keeps_bind_off_without_network(tree: Tree, sockdir: Path) -> None:
    code = "import socket; socket.socket(socket.AF_UNIX).bind('srv')"
    res = py(pol(tree.ws, "all"), code, tree.ws)
    assert "Operation not permitted" in res.stderr
    assert not (tree.ws / "srv").exists()


def test_all_leaves_abstract_sockets_scoped(tree: Tree) -> None:
    if linux.support().abi < linux.SIGNAL_SCOPE_ABI:
        pytest.skip("Landlock < 6 does not scope abstract sockets")
    name = f"pycodex-test-{os.getpid()}-{threading.get_ident()}"
    with unix_listener(b"\0" + name.encode()) as server:
        assert connect(pol(tree.ws, "all"), tree.ws, "@" + name) == ["EPERM"]
        assert not server.reached()


@pytest.mark.parametrize("network", [False, True])
def test_listed_socket_only(tree: Tree, sockdir: Path, network: bool) -> None:
    ok, other = sockdir / "ok", sockdir / "other"
    with unix_listener(str(ok)) as allowed, unix_listener(str(other)) as refused:
        out = connect(pol(tree.ws, (ok,), network=network), tree.ws, ok, other, sockdir / "none")
        assert out == ["connected", "EPERM", "EPERM"]
        assert got_hello(allowed)
        assert not refused.reached()


def test_listed_follows_what_the_path_is(tree: Tree, sockdir: Path) -> None:
    """Symlinks and relative paths count by the socket they lead to; a listed socket that
    is not there is ENOENT; abstract names are never listed."""
    ok, other = sockdir / "ok", sockdir / "other"
    (tree.ws / "to_ok").symlink_to(ok)
    (tree.ws / "to_other").symlink_to(other)
    with unix_listener(str(ok)) as allowed, unix_listener(str(other)) as refused:
        # /proc/self is the supervisor's own there: its descriptors are no way in either
        paths = ["to_ok", str(tree.ws / "to_other"), "@abstract", str(sockdir / "gone")]
        paths += ["/proc/self/fd/2", "/proc/1/root" + str(other)]
        out = connect(pol(tree.ws, (ok, sockdir / "gone")), tree.ws, *paths)
        assert out == ["connected", "EPERM", "EPERM", "ENOENT", "EPERM", "EPERM"]
        assert got_hello(allowed)
        assert not refused.reached()


def test_listed_seqpacket_and_datagram(tree: Tree, sockdir: Path) -> None:
    import socket

    path = sockdir / "sp"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.bind(str(path))
        sock.listen(4)
        code = CONNECT.replace("print(connect(path))", "print(connect(path, 5), connect(path, 2))")
        out = py_args(pol(tree.ws, (path,)), tree.ws, code, str(path)).stdout.split()
        assert out == ["connected", "EPERM"]  # datagrams could be sent to any path
        sock.setblocking(False)
        conn, _ = sock.accept()
        conn.close()
    finally:
        sock.close()


_RACE = """
import os, socket, struct, sys, threading, ctypes
ok, other, link = sys.argv[1:4]
libc = ctypes.CDLL(None, use_errno=True)
def sockaddr(p):
    return struct.pack("=H", 1) + p.encode() + b"\\0" * (108 - len(p))
addr = ctypes.create_string_buffer(sockaddr(ok), 110)
good, bad = sockaddr(ok), sockaddr(other)
stop = False
def flip():
    while not stop:  # rewrite the address the kernel would read again, and swap the link
        ctypes.memmove(addr, bad, 110)
        ctypes.memmove(addr, good, 110)
        tmp = link + ".tmp"
        os.symlink(other, tmp); os.replace(tmp, link)
        os.symlink(ok, tmp); os.replace(tmp, link)
first = socket.socket(socket.AF_UNIX)
first.connect(ok)  # before any race: the listed socket is reachable
t = threading.Thread(target=flip); t.start()
made = 0
for i in range(300):
    for target in (None, link):  # non-blocking: a full backlog is EAGAIN, not a wait
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        if target is None:
            rc = libc.connect(s.fileno(), addr, 110)
        else:
            rc = 0
            try:
                s.connect(target)
            except OSError:
                rc = -1
        made += rc == 0
        s.close()
stop = True; t.join()
print("first-ok", made)
"""


def test_listed_survives_address_and_symlink_races(tree: Tree, sockdir: Path) -> None:
    """What is connected is what was checked: rewriting the address in memory or swapping a
    symlink meanwhile never reaches the other socket (no outcome depends on timing)."""
    ok, other = sockdir / "ok", sockdir / "other"
    link = tree.ws / "link"
    link.symlink_to(ok)
    with unix_listener(str(ok)) as allowed, unix_listener(str(other)) as refused:
        allowed.sock.listen(1024)
        refused.sock.listen(1024)
        res = py_args(pol(tree.ws, (ok,)), tree.ws, _RACE, str(ok), str(other), str(link))
        assert res.returncode == 0, res.stderr
        assert not refused.reached()
        assert res.stdout.split()[0] == "first-ok"
        assert allowed.reached()


_DETAILS = """
import fcntl, os, socket, sys, threading
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
rc = s.connect_ex(path)
flags = fcntl.fcntl(s.fileno(), fcntl.F_GETFL)
print(rc, bool(flags & os.O_NONBLOCK), s.type == socket.SOCK_STREAM)
out = []
def worker():  # a thread that is not the thread group leader
    t = socket.socket(socket.AF_UNIX)
    out.append(t.connect_ex(path))
th = threading.Thread(target=worker); th.start(); th.join()
print(out[0])
"""


def test_listed_keeps_the_socket_and_works_from_threads(tree: Tree, sockdir: Path) -> None:
    path = sockdir / "s"
    with unix_listener(str(path)) as server:
        res = py_args(pol(tree.ws, (path,)), tree.ws, _DETAILS, str(path))
        assert res.stdout.split() == ["0", "True", "True", "0"], res.stderr
        assert server.reached()


def test_listed_with_network_still_connects_tcp(tree: Tree, sockdir: Path) -> None:
    code = (
        "import socket, sys\n"
        "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)\n"
        "s.sendall(b'hello'); print('ok')\n"
    )
    with listener() as tcp:
        res = py_args(pol(tree.ws, (sockdir / "x",), network=True), tree.ws, code, str(tcp.port))
        assert res.stdout.split() == ["ok"], res.stderr
        assert got_hello(tcp)
        res = py_args(pol(tree.ws, (sockdir / "x",)), tree.ws, code, str(tcp.port))
        assert "Operation not permitted" in res.stderr
        assert not tcp.reached()


def test_command_cannot_become_a_supervisor(tree: Tree, sockdir: Path) -> None:
    """A listener of its own would receive our notifications first (newest filter wins)."""
    code = (
        "import ctypes, errno, struct\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "insn = struct.pack('=HBBI', 6, 0, 0, 0x7FFF0000)\n"  # return ALLOW
        "buf = ctypes.create_string_buffer(insn)\n"
        "prog = struct.pack('=HxxxxxxQ', 1, ctypes.addressof(buf))\n"
        "libc.prctl(38, 1, 0, 0, 0)\n"
        f"nr = {317 if os.uname().machine == 'x86_64' else 277}\n"
        "rc = libc.syscall(nr, 1, 8, ctypes.c_char_p(prog))\n"  # NEW_LISTENER
        "print(rc, errno.errorcode[ctypes.get_errno()])\n"
    )
    for sockets in ((), (sockdir / "x",)):
        res = py(pol(tree.ws, sockets), code, tree.ws)
        assert res.stdout.split() == ["-1", "EPERM"], res.stderr


def _supervisors() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "unix-supervisor"]


def test_supervisor_ends_with_the_command_or_the_launch(tree: Tree, sockdir: Path) -> None:
    for t in _supervisors():  # left by earlier tests of this process
        t.join(timeout=10)
    with unix_listener(str(sockdir / "s")):
        assert connect(pol(tree.ws, (sockdir / "s",)), tree.ws, sockdir / "s") == ["connected"]
    for t in _supervisors():
        t.join(timeout=10)
    assert _supervisors() == []
    launch = prepare_launch(pol(tree.ws, (sockdir / "s",)), ["true"], cwd=tree.ws, env={})
    assert len(_supervisors()) == 1  # waiting for a listener that never comes
    del launch
    gc.collect()
    for t in _supervisors():
        t.join(timeout=10)
    assert _supervisors() == []


def test_listed_in_a_pid_namespace(tree: Tree, sockdir: Path) -> None:
    """Where Landlock cannot scope signals (ABI < 6) the command runs in a PID namespace:
    the notification names it by our pid, and the supervisor finds it."""
    path = sockdir / "s"
    pre = linux.build_preexec(
        linux.support(),
        writable_roots=(str(tree.ws),),
        cwd=str(tree.ws),
        network=False,
        pid_namespace=True,
        unix_sockets=(path,),
    )
    with unix_listener(str(path)) as server:
        done = subprocess.run(
            [sys.executable, "-c", CONNECT, str(path)],
            cwd=tree.ws,
            preexec_fn=pre,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.stdout.split() == ["connected"], done.stderr
        assert got_hello(server)


_AS_USER = """
import os, sys
from pathlib import Path
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.launch import prepare_launch, run_foreground
from pycodex.sandbox.policy import SandboxPolicy
ws, ok, other, code = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
pol = SandboxPolicy(mode=SandboxMode.WORKSPACE_WRITE, workspace=ws, exclude_slash_tmp=True,
                    exclude_tmpdir_env_var=True, allow_unix_sockets=(ok,))
argv = [sys.executable, "-c", code, str(ok), other]
sys.exit(run_foreground(prepare_launch(pol, argv, cwd=ws, env=os.environ), cwd=ws))
"""


def test_listed_as_another_user() -> None:
    """An ordinary user's sandbox lives in a user namespace it owns; the supervisor (that
    user too, outside) may still read the command's memory and take its socket."""
    python = python_for_nobody()
    shared = Path(tempfile.mkdtemp(prefix="pyc-"))
    try:
        shared.chmod(0o755)
        ws = shared / "ws"
        ws.mkdir()
        os.chown(ws, NOBODY, NOBODY)
        ok, other = shared / "ok", shared / "other"
        with unix_listener(str(ok)) as allowed, unix_listener(str(other)) as refused:
            ok.chmod(0o777)
            other.chmod(0o777)
            r = run_as_nobody(python, _AS_USER, [str(ws), str(ok), str(other), CONNECT], ws)
            assert r.stdout.split() == ["connected", "EPERM"], r.stderr
            assert got_hello(allowed)
            assert not refused.reached()
    finally:
        shutil.rmtree(shared)
