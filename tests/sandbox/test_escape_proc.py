"""Escape attempts on other processes, privileges and the sandbox itself."""

from __future__ import annotations

import errno
import os
import platform
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from pycodex.protocol.policy import SandboxMode
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import (
    PY,
    outside_process,
    policy,
    py,
    require_sandbox,
    run,
    run_direct,
    sh,
)

WW = SandboxMode.WORKSPACE_WRITE
RO = SandboxMode.READ_ONLY

pytestmark = pytest.mark.usefixtures("sandbox_available")


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


def test_ptrace_attach_outside(tree: Tree) -> None:
    with outside_process() as proc:
        code = (
            "import ctypes\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            f"print(libc.ptrace(16, {proc.pid}, 0, 0), ctypes.get_errno())\n"  # PTRACE_ATTACH
        )
        r = py(policy(WW, tree.ws), code, tree.ws)
        assert r.stdout.split() == ["-1", str(errno.EPERM)]
        status = Path(f"/proc/{proc.pid}/status").read_text()
        assert "TracerPid:\t0" in status


_VM_READV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local = IoVec(ctypes.addressof(buf), 64)
remote = IoVec(0x400000, 64)
n = libc.process_vm_readv(PID, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
print(n, ctypes.get_errno())
"""


def test_process_vm_readv_outside(tree: Tree) -> None:
    with outside_process() as proc:
        r = py(policy(WW, tree.ws), _VM_READV.replace("PID", str(proc.pid)), tree.ws)
        assert r.stdout.split() == ["-1", str(errno.EPERM)]


def test_kill_outside(tree: Tree) -> None:
    with outside_process() as proc:
        r = sh(policy(WW, tree.ws), f"kill -KILL {proc.pid}", tree.ws)
        assert r.returncode != 0
        assert proc.poll() is None
        r = py(policy(RO, tree.ws), f"import os\nos.kill({proc.pid}, 9)", tree.ws)
        assert "PermissionError" in r.stderr
        assert proc.poll() is None


_RECEIVER = """
import signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})
print("ready", flush=True)
while True:
    print(signal.sigwaitinfo({signal.SIGWINCH}).si_pid, flush=True)
"""


def test_broadcast_signal_reaches_nothing_outside(tree: Tree) -> None:
    """``kill(-1)`` and a direct ``kill`` with SIGWINCH (ignored by default, so a broken
    sandbox harms nothing). The receiver reports each sender: the first one it sees must be
    this test, which signals it after the sandboxed command has exited."""
    receiver = subprocess.Popen([PY, "-c", _RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline() == "ready\n"
        r = sh(policy(WW, tree.ws), f"kill -WINCH -1; kill -WINCH {receiver.pid}", tree.ws)
        assert "Operation not permitted" in r.stderr
        os.kill(receiver.pid, signal.SIGWINCH)
        assert receiver.stdout.readline() == f"{os.getpid()}\n"
    finally:
        receiver.kill()
        receiver.wait(timeout=10)
        if receiver.stdout is not None:
            receiver.stdout.close()


def test_kill_own_children_still_works(tree: Tree) -> None:
    r = sh(policy(RO, tree.ws), "sleep 30 & kill $! && wait $!; echo status=$?", tree.ws)
    assert r.stdout.strip() == "status=143"


def test_proc_environ_of_outside_process(tree: Tree) -> None:
    with outside_process(secret="hunter2-sandbox-test") as proc:
        r = sh(
            policy(RO, tree.ws), f"cat /proc/{proc.pid}/environ; cat /proc/{proc.pid}/mem", tree.ws
        )
        assert r.returncode != 0
        assert "hunter2" not in r.stdout


def test_setuid_binary_gains_nothing(tree: Tree, tmp_path: Path) -> None:
    """A setuid program owned by another user: without no_new_privs the euid would change."""
    id_bin = shutil.which("id")
    assert id_bin is not None
    suid = tmp_path / "suid-id"
    shutil.copy(id_bin, suid)
    os.chown(suid, 65534, 65534)
    suid.chmod(0o4755)
    host = subprocess.run([str(suid), "-u"], capture_output=True, text=True, timeout=10, check=True)
    if os.geteuid() == 0:
        assert host.stdout.strip() == "65534"  # the control: setuid works on this mount
    r = run(policy(WW, tree.ws), [str(suid), "-u"], tree.ws)
    assert r.stdout.strip() == str(os.geteuid())


def test_no_capabilities_and_no_new_privs(tree: Tree) -> None:
    r = sh(
        policy(WW, tree.ws),
        "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status",
        tree.ws,
    )
    fields = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert fields["NoNewPrivs"] == "1"
    assert fields["Seccomp"] == "2"
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(fields[cap], 16) == 0, cap


def test_no_user_or_mount_namespace_inside(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), "unshare -Ur true || unshare -m true || unshare -n true", tree.ws)
    assert r.returncode != 0
    assert "Operation not permitted" in r.stderr


def test_mount_inside(tree: Tree) -> None:
    (tree.ws / "mnt").mkdir()
    r = sh(policy(WW, tree.ws), "mount -t tmpfs none mnt && echo mounted", tree.ws)
    assert "mounted" not in r.stdout


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the i386 ABI exists on x86_64 only")
def test_i386_syscall_abi(tree: Tree) -> None:
    """``int 0x80`` getpid: the 32-bit table would dodge a filter written for 64-bit numbers."""
    code = (
        "import ctypes, mmap\n"
        "m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
        "m.write(b'\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3')\n"  # mov eax, 20; int 0x80; ret
        "addr = ctypes.addressof(ctypes.c_char.from_buffer(m))\n"
        "print(ctypes.CFUNCTYPE(ctypes.c_int)(addr)())\n"
    )
    host = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=10, check=False)
    if host.returncode != 0 or int(host.stdout) <= 0:
        pytest.skip("this kernel has no i386 emulation")
    r = py(policy(WW, tree.ws, network=True), code, tree.ws)
    assert r.stdout.strip() == str(-errno.EPERM)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x32 exists on x86_64 only")
def test_x32_syscall_abi(tree: Tree) -> None:
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(0x40000000 | 39), ctypes.get_errno())\n"  # x32 getpid
    )
    r = py(policy(WW, tree.ws, network=True), code, tree.ws)
    assert r.stdout.split() == ["-1", str(errno.EPERM)]


def test_write_to_another_terminal(tree: Tree) -> None:
    """Another pty of the host (the user's other shell): not even there to be opened."""
    master, slave = os.openpty()
    try:
        name = os.ttyname(slave)
        r = sh(policy(WW, tree.ws, tmp=True), f"printf 'pwned\\033[6n' > {name}", tree.ws)
        assert r.returncode != 0
        os.set_blocking(master, False)
        with pytest.raises(BlockingIOError):
            os.read(master, 100)
    finally:
        os.close(master)
        os.close(slave)


def test_tiocsti_into_the_terminal(tree: Tree) -> None:
    """Pushing bytes into the input of the terminal the sandbox was started from."""
    master, slave = os.openpty()
    try:
        code = (
            "import fcntl, termios\n"
            "try:\n"
            "    fcntl.ioctl(0, termios.TIOCSTI, b'X')\n"
            "    print('pushed')\n"
            "except OSError as e:\n"
            "    print('errno', e.errno)\n"
        )
        r = run_direct(policy(WW, tree.ws, network=True), [PY, "-c", code], tree.ws, stdin=slave)
        assert r.stdout.strip() == f"errno {errno.EPERM}"
    finally:
        os.close(master)
        os.close(slave)
