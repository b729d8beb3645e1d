"""No privilege on disk from inside: a sandboxed command leaves no set-user-ID or set-group-ID
file and no file capability behind (issue 12, finding 5).

As root (containers, CI) a setuid-root copy of a shell left in the workspace is root for every
local user who runs it later. The witness is on the host, after the command: ``lstat`` of every
entry of the workspace shows neither bit, and no ``security.capability`` attribute exists.
"""

from __future__ import annotations

import errno
import io
import os
import platform
import shutil
import stat
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from pycodex.protocol.policy import SandboxMode
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import (
    NOBODY,
    py,
    python_for_nobody,
    require_sandbox,
    run_as_nobody,
    sh,
)
from tests.sandbox.sandboxed import policy as make_policy

WW = SandboxMode.WORKSPACE_WRITE
SETID = stat.S_ISUID | stat.S_ISGID
X86 = platform.machine() == "x86_64"


def setid_entries(root: Path) -> list[str]:
    """Every entry under ``root`` (directories included) with a setuid or setgid bit."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            if path.lstat().st_mode & SETID:
                found.append(str(path.relative_to(root)))
    return found


def capability_entries(root: Path) -> list[str]:
    found = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            try:
                os.getxattr(path, "security.capability", follow_symlinks=False)
            except OSError:
                continue
            found.append(str(path.relative_to(root)))
    return found


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    require_sandbox()


SHELL_ATTEMPTS = {
    "chmod-4755": "cp /bin/sh x; chmod 4755 x",
    "chmod-u+s": "cp /bin/sh x; chmod u+s x",
    "chmod-g+s": "cp /bin/sh x; chmod g+s x",
    "install-4755": "install -m 4755 /bin/sh x",
    "install-2755": "install -m 2755 /bin/sh x",
    "cp-p": "cp -p ../outside/suid x",
    "cp-a": "cp -a ../outside/suid x",
    "tar-xp": "tar -xpf ../outside/a.tar",
    "mkdir-m": "mkdir -m 2755 x",
    "chmod-dir": "mkdir x && chmod 2755 x",
    "python-chmod": f"cp /bin/sh x; {sys.executable} -c 'import os; os.chmod(\"x\", 0o4755)'",
}


def _outside_material(tree: Tree) -> None:
    """A setuid file and a tar archive holding one, outside the workspace (readable)."""
    suid = tree.out / "suid"
    suid.write_bytes(Path("/bin/sh").read_bytes())
    suid.chmod(0o4755)
    info = tarfile.TarInfo("x")
    data = b"#!/bin/sh\nid\n"
    info.size, info.mode = len(data), 0o6755
    with tarfile.open(tree.out / "a.tar", "w") as tar:
        tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("script", SHELL_ATTEMPTS.values(), ids=list(SHELL_ATTEMPTS))
def test_shell_cannot_leave_setid_file(tree: Tree, script: str) -> None:
    _outside_material(tree)
    res = sh(make_policy(WW, tree.ws), script, tree.ws)
    assert (tree.ws / "x").exists(), res.stderr  # the attempt got as far as the file
    assert setid_entries(tree.ws) == [], res.stderr


def test_no_hard_link_to_an_outside_setuid_file(tree: Tree) -> None:
    """A link would survive the original's removal or upgrade (the same filesystem here):
    the workspace is a mount of its own inside the sandbox, so links across are EXDEV."""
    _outside_material(tree)
    assert (tree.out / "suid").stat().st_dev == tree.ws.stat().st_dev
    res = sh(make_policy(WW, tree.ws), "ln ../outside/suid x", tree.ws)
    assert "Invalid cross-device link" in res.stderr
    assert setid_entries(tree.ws) == []


_PY_ATTEMPTS = r"""
import ctypes, errno, os, stat
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
os.umask(0)
AT_FDCWD, X86 = -100, X86_FLAG
src = open("/bin/sh", "rb").read()

def attempt(name, fn):
    try:
        fn()
        print(name, "ok")
    except OSError as exc:
        print(name, errno.errorcode.get(exc.errno, exc.errno))

def raw(nr, *args):
    conv = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    res = libc.syscall(ctypes.c_long(nr), *conv)
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return res

def write(name, mode, flags=os.O_WRONLY | os.O_CREAT | os.O_EXCL):
    fd = os.open(name, flags, mode)
    os.write(fd, src)
    os.close(fd)

def fchmod():
    write("f_fchmod", 0o755)
    fd = os.open("f_fchmod", os.O_RDONLY)
    os.fchmod(fd, 0o4755)

def tmpfile():
    fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o4755)
    os.write(fd, src)
    os.link(f"/proc/self/fd/{fd}", "f_tmpfile", follow_symlinks=True)

def fchmodat2():
    write("f_fchmodat2", 0o755)
    raw(452, AT_FDCWD, b"f_fchmodat2", 0o6755, 0)

def mknod():
    if X86:
        raw(133, b"f_mknod", stat.S_IFREG | 0o4755, 0)
    else:
        raw(33, AT_FDCWD, b"f_mknod", stat.S_IFREG | 0o4755, 0)

attempt("open_creat", lambda: write("f_open", 0o4755))
attempt("open_creat_setgid", lambda: write("f_open_g", 0o2755))
attempt("fchmod", fchmod)
attempt("chmod", lambda: (write("f_chmod", 0o755), os.chmod("f_chmod", 0o6755)))
attempt("tmpfile", tmpfile)
attempt("fchmodat2", fchmodat2)
attempt("mknodat", lambda: os.mknod("f_mknodat", stat.S_IFREG | 0o4755))
attempt("mknod", mknod)
attempt("mkdir", lambda: os.mkdir("d_mkdir", 0o6755))
if X86:  # the old non-*at calls exist on x86_64 only
    attempt("sys_open", lambda: raw(2, b"f_sys_open", 0o1101, 0o4755))
    attempt("sys_creat", lambda: raw(85, b"f_creat", 0o4755))
    attempt("sys_chmod", lambda: (write("f_sys_chmod", 0o755), raw(90, b"f_sys_chmod", 0o4755)))
    attempt("sys_mkdir", lambda: raw(83, b"d_sys_mkdir", 0o2755))
"""


def test_python_and_raw_calls_cannot_set_the_bits(tree: Tree) -> None:
    code = _PY_ATTEMPTS.replace("X86_FLAG", str(X86))
    res = py(make_policy(WW, tree.ws), code, tree.ws)
    assert res.returncode == 0, res.stderr
    outcome = dict(line.split() for line in res.stdout.splitlines())
    assert setid_entries(tree.ws) == [], outcome
    assert len(outcome) == (13 if X86 else 9)
    made = {"mkdir", "sys_mkdir"}  # mkdir keeps only permission and sticky bits: no refusal
    assert {k: v for k, v in outcome.items() if k not in made} == dict.fromkeys(
        set(outcome) - made, "EPERM"
    )
    assert all(outcome[k] == "ok" for k in made if k in outcome)


def test_ordinary_modes_still_work(tree: Tree) -> None:
    """Plain opens with a junk mode, creation with 0755, chmod, sticky bit: all unchanged."""
    code = (
        "import os\n"
        "os.umask(0)\n"
        "os.close(os.open('file.txt', os.O_RDONLY, 0o7777))\n"  # no O_CREAT: mode ignored
        "os.close(os.open('new', os.O_WRONLY | os.O_CREAT, 0o755))\n"
        "os.chmod('new', 0o700)\n"
        "os.mkdir('d', 0o1777)\n"
        "fd = os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o600); os.close(fd)\n"
        "print(oct(os.stat('new').st_mode & 0o7777), oct(os.stat('d').st_mode & 0o7777))\n"
    )
    res = py(make_policy(WW, tree.ws), code, tree.ws)
    assert (res.returncode, res.stdout.split()) == (0, ["0o700", "0o1777"]), res.stderr


def test_openat2_falls_back(tree: Tree) -> None:
    """openat2 answers ENOSYS (its mode is out of the filter's reach); libc's open works."""
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "how = ctypes.create_string_buffer(24)\n"  # flags, mode, resolve: all zero
        "res = libc.syscall(437, -100, b'file.txt', how, 24)\n"
        "print(res, ctypes.get_errno(), open('file.txt').read().strip())\n"
    )
    res = py(make_policy(WW, tree.ws), code, tree.ws)
    assert res.stdout.split() == ["-1", str(errno.ENOSYS), "in", "workspace"], res.stderr


def test_no_file_capability(tree: Tree) -> None:
    """The kernel refuses ``security.capability`` without CAP_SETFCAP, which is dropped."""
    code = (
        "import errno, os, shutil\n"
        "shutil.copy('/bin/sh', 'x')\n"
        # VFS_CAP_REVISION_2 with effective set; permitted = CAP_DAC_OVERRIDE | CAP_SETUID
        "cap = bytes.fromhex('01000002' '82000000' '00000000' '00000000' '00000000')\n"
        "try:\n"
        "    os.setxattr('x', 'security.capability', cap)\n"
        "    print('set')\n"
        "except OSError as exc:\n"
        "    print(errno.errorcode[exc.errno])\n"
    )
    res = py(make_policy(WW, tree.ws), code, tree.ws)
    assert res.stdout.split() == ["EPERM"], res.stderr
    setcap = sh(make_policy(WW, tree.ws), "setcap cap_setuid+ep x", tree.ws)
    if setcap.returncode == 127:  # pragma: no cover - setcap is installed here
        pytest.skip("no setcap")
    assert setcap.returncode != 0
    assert capability_entries(tree.ws) == []


def test_chown_keeps_no_privilege(tree: Tree) -> None:
    """A setuid file the host left in the workspace: giving it away needs CAP_CHOWN, and a
    chown to oneself clears the bit (the kernel's rule without CAP_FSETID)."""
    victim = tree.ws / "suid"
    victim.write_bytes(b"#!/bin/sh\n")
    victim.chmod(0o4755)
    owner = victim.stat().st_uid
    other = 1 if owner != 1 else 2
    res = sh(make_policy(WW, tree.ws), f"chown {other} suid; chown {owner} suid", tree.ws)
    st = victim.stat()
    assert st.st_uid == owner, res.stderr
    assert st.st_mode & SETID == 0, res.stderr


_AS_USER = """
import os, sys
from pathlib import Path
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.launch import prepare_launch, run_foreground
from pycodex.sandbox.policy import SandboxPolicy
ws = Path(sys.argv[1])
pol = SandboxPolicy(mode=SandboxMode.WORKSPACE_WRITE, workspace=ws, exclude_slash_tmp=True,
                    exclude_tmpdir_env_var=True)
creat = "import os; os.umask(0); os.close(os.open('c', 0o101, 0o4755))"
script = ("cp /bin/sh a; chmod 4755 a; chmod g+s a; install -m 6755 /bin/sh b; "
          + sys.executable + ' -c "' + creat + '"; setcap cap_setuid+ep a; ls a b c')
launch = prepare_launch(pol, ["bash", "-c", script], cwd=ws, env=os.environ)
sys.exit(run_foreground(launch, cwd=ws))
"""


def test_other_user_cannot_leave_setid_file(tmp_path: Path) -> None:
    """Run by an ordinary user (65534), whose setuid copy would make anyone that user."""
    python = python_for_nobody()
    shared = Path(tempfile.mkdtemp(prefix="pycodex-setid-"))
    try:
        shared.chmod(0o755)
        ws = shared / "ws"
        ws.mkdir()
        os.chown(ws, NOBODY, NOBODY)
        r = run_as_nobody(python, _AS_USER, [str(ws)], ws)
        assert r.stdout.split() == ["a", "b"], r.stderr  # c: refused at creation
        assert {p.stat().st_uid for p in ws.iterdir()} == {NOBODY}
        assert setid_entries(ws) == [], r.stderr
        assert capability_entries(ws) == [], r.stderr
    finally:
        shutil.rmtree(shared)
