"""The BPF program, run by a small interpreter: decisions for both architectures."""

from __future__ import annotations

import errno
import struct

import pytest

from pycodex.sandbox import seccomp

ALLOW = seccomp.RET_ALLOW
EPERM = seccomp.RET_ERRNO | errno.EPERM
ENOSYS = seccomp.RET_ERRNO | errno.ENOSYS


def evaluate(program: bytes, nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """Interpret the classic-BPF subset the filter uses against one ``seccomp_data``."""
    full = (*args, *([0] * (6 - len(args))))
    data = struct.pack("=iIQ6Q", nr, arch, 0, *full)
    insns = [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]
    acc = pc = 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        if code == 0x20:
            acc = struct.unpack_from("=I", data, k)[0]
        elif code == 0x54:
            acc &= k
        elif code in (0x15, 0x35, 0x45):
            hit = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if hit else jf
        elif code == 0x06:
            return int(k)
        else:  # pragma: no cover - an opcode the interpreter does not know
            raise AssertionError(hex(code))


@pytest.mark.parametrize("arch_name", ["x86_64", "aarch64"])
def test_decisions(arch_name: str) -> None:
    arch = seccomp.ARCHES[arch_name]
    nr = arch.nr
    off = seccomp.build_filter(arch_name, network=False)
    on = seccomp.build_filter(arch_name, network=True)
    a = arch.audit
    assert evaluate(off, 0 if arch_name == "x86_64" else 63, a) == ALLOW  # read
    for name in seccomp.ALWAYS_DENIED:
        assert evaluate(off, nr[name], a) == EPERM, name
        assert evaluate(on, nr[name], a) == EPERM, name
    assert evaluate(off, nr["clone3"], a) == ENOSYS
    assert evaluate(off, nr["clone"], a, (0x11 | 0x0100_0000,)) == ALLOW  # fork-like
    assert evaluate(off, nr["clone"], a, (0x1000_0000,)) == EPERM  # CLONE_NEWUSER
    assert evaluate(off, nr["ioctl"], a, (1, 0x5413)) == ALLOW  # TIOCGWINSZ
    assert evaluate(off, nr["ioctl"], a, (1, 0x5412)) == EPERM  # TIOCSTI
    # network off: AF_UNIX stream/seqpacket only (flags like SOCK_CLOEXEC ignored), no connect
    assert evaluate(off, nr["socket"], a, (1, 1 | 0o2000000)) == ALLOW
    assert evaluate(off, nr["socketpair"], a, (1, 5)) == ALLOW
    assert evaluate(off, nr["socketpair"], a, (1, 2)) == EPERM  # AF_UNIX datagram
    for family in (2, 10, 16, 17, 40):  # INET, INET6, NETLINK, PACKET, VSOCK
        assert evaluate(off, nr["socket"], a, (family, 1)) == EPERM
        assert evaluate(on, nr["socket"], a, (family, 1)) == ALLOW
    assert evaluate(off, nr["connect"], a) == EPERM
    assert evaluate(off, nr["bind"], a) == EPERM
    assert evaluate(on, nr["bind"], a) == ALLOW
    assert evaluate(on, nr["connect"], a) == ALLOW
    # network on: no unix-socket clients (daemons' sockets), socket pairs still
    assert evaluate(on, nr["socket"], a, (1, 1)) == EPERM
    assert evaluate(on, nr["socketpair"], a, (1, 1)) == ALLOW
    assert evaluate(on, nr["socketpair"], a, (1, 2)) == EPERM


def test_foreign_abis_denied() -> None:
    prog = seccomp.build_filter("x86_64", network=True)
    assert evaluate(prog, 20, 0x4000_0003) == EPERM  # i386 getpid via int 0x80
    assert evaluate(prog, 0x4000_0000 | 39, seccomp.ARCHES["x86_64"].audit) == EPERM  # x32
    arm = seccomp.build_filter("aarch64", network=True)
    assert evaluate(arm, 20, 0x4000_0028) == EPERM  # arm (32-bit) on aarch64


def test_program_is_well_formed() -> None:
    for arch in seccomp.ARCHES:
        prog = seccomp.build_filter(arch, network=False)
        assert len(prog) % 8 == 0
        assert len(prog) // 8 < 4096  # BPF_MAXINSNS


@pytest.mark.parametrize("arch_name", ["x86_64", "aarch64"])
@pytest.mark.parametrize("network", [False, True])
def test_no_setid_modes(arch_name: str, network: bool) -> None:
    arch = seccomp.ARCHES[arch_name]
    nr, a = arch.nr, arch.audit
    prog = seccomp.build_filter(arch_name, network=network)
    o_creat, o_tmpfile = 0o100, 0o20200000
    for name, (flags_arg, mode_arg) in seccomp.MODE_CALLS.items():
        if name not in nr:
            assert arch_name == "aarch64" and name in {"chmod", "creat", "mknod", "open"}
            continue
        for mode, verdict in ((0o755, ALLOW), (0o1777, ALLOW), (0o4755, EPERM), (0o2755, EPERM)):
            args = [0] * 4
            args[mode_arg] = mode | 0o100000  # S_IFREG, as mknod passes it
            if flags_arg is None:
                assert evaluate(prog, nr[name], a, tuple(args)) == verdict, (name, mode)
                continue
            for flags, creates in ((0, False), (o_creat | 1, True), (o_tmpfile | 2, True)):
                args[flags_arg] = flags
                want = verdict if creates else ALLOW  # the mode only counts when creating
                assert evaluate(prog, nr[name], a, tuple(args)) == want, (name, mode, flags)
    assert evaluate(prog, nr["mkdirat"], a, (0, 0, 0o2755)) == ALLOW  # the kernel drops those bits
    assert evaluate(prog, nr["openat2"], a) == ENOSYS  # its mode is in memory
    assert evaluate(prog, 0 if arch_name == "x86_64" else 63, a, (0, 0, 0o4755, 0o4755)) == ALLOW
    # the kernel reads a mode as umode_t (16 bits); the filter reads the low 32 bits
    assert evaluate(prog, nr["fchmod"], a, (3, 1 << 32 | 0o755)) == ALLOW


@pytest.mark.parametrize("arch_name", ["x86_64", "aarch64"])
@pytest.mark.parametrize("network", [False, True])
def test_unix_socket_choices(arch_name: str, network: bool) -> None:
    """``allow_unix_sockets``: none, all, or listed (connect goes to the supervisor)."""
    arch = seccomp.ARCHES[arch_name]
    nr, a = arch.nr, arch.audit
    none, every, listed = (
        seccomp.build_filter(arch_name, network=network, unix=u) for u in ("none", "all", "listed")
    )
    stream, seqpacket, dgram = (1, 1 | 0o4000), (1, 5), (1, 2)
    inet = (2, 1)
    for prog in (none, listed):
        assert evaluate(prog, nr["socket"], a, dgram) == EPERM  # sendto any path
        assert evaluate(prog, nr["socketpair"], a, dgram) == EPERM
        assert evaluate(prog, nr["socketpair"], a, stream) == ALLOW
    assert evaluate(every, nr["socket"], a, dgram) == ALLOW
    assert evaluate(every, nr["socketpair"], a, dgram) == ALLOW
    assert evaluate(every, nr["socket"], a, stream) == ALLOW
    assert evaluate(every, nr["connect"], a) == ALLOW
    assert evaluate(listed, nr["socket"], a, stream) == ALLOW
    assert evaluate(listed, nr["socket"], a, seqpacket) == ALLOW
    assert evaluate(listed, nr["connect"], a) == seccomp.RET_USER_NOTIF
    assert evaluate(none, nr["socket"], a, stream) == (EPERM if network else ALLOW)
    assert evaluate(none, nr["connect"], a) == (ALLOW if network else EPERM)
    for prog in (none, every, listed):  # bind and other families follow network_access
        assert evaluate(prog, nr["bind"], a) == (ALLOW if network else EPERM)
        assert evaluate(prog, nr["socket"], a, inet) == (ALLOW if network else EPERM)
        # no command may become a seccomp supervisor (flags: SECCOMP_FILTER_FLAG_*)
        assert evaluate(prog, nr["seccomp"], a, (1, 8)) == EPERM
        assert evaluate(prog, nr["seccomp"], a, (1, 8 | 1)) == EPERM
        assert evaluate(prog, nr["seccomp"], a, (1, 0)) == ALLOW  # a filter of its own
        assert len(prog) // 8 < 4096
