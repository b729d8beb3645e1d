"""The Linux sandbox: Landlock + seccomp + a mount namespace, applied in ``preexec_fn``.

Launch mechanism, measured (``bench/sandbox_bench.py``): the parent prepares everything that
allocates or reads files — the Landlock ruleset fd (cached per set of roots), the BPF program,
the mount plan, the capability buffer — and the forked child runs only a fixed list of
syscalls before ``execve``: unshare + mounts, capability drop, no_new_privs,
``landlock_restrict_self``, seccomp. No extra program is executed, so the overhead over a
plain spawn is the ``fork`` that ``preexec_fn`` forces instead of ``vfork`` plus the
namespace setup and teardown — about a millisecond — where a re-exec wrapper
(``python -m ...``) would pay a whole interpreter start-up (~20 ms) per command.

Thread-safety of ``preexec_fn``: the child never imports, never takes a Python-level lock and
only calls into libc through ctypes objects built in the parent; glibc's ``fork`` keeps malloc
usable in the child. A failing step writes one line to the command's stderr and exits 126.

Support is probed once per process by running the whole child setup in a throwaway child; a
kernel without Landlock, seccomp or mount namespaces raises ``SandboxError``.
"""

from __future__ import annotations

import ctypes
import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pycodex.protocol.errors import SandboxError
from pycodex.sandbox import _linux_sys as sys_
from pycodex.sandbox import landlock, namespaces, seccomp

EXIT_SETUP_FAILED = 126
HINT = "inside an already-isolated container, use --sandbox danger-full-access"


@dataclass(frozen=True, slots=True)
class Support:
    abi: int  # Landlock ABI version
    arch: str


def _child_setup(
    plan: namespaces.MountPlan,
    caps: namespaces.CapDrop,
    ruleset_fd: int,
    fprog: ctypes.Array[ctypes.c_char],
    _insns: ctypes.Array[ctypes.c_char],
    exit_after: bool = False,
) -> None:
    """Runs in the forked child, in this order; see the module docstring."""
    step = "mount namespace"
    try:
        namespaces.apply(plan)
        step = "capability drop"
        namespaces.drop_capabilities(caps)
        step = "no_new_privs"
        sys_.prctl(sys_.PR_SET_NO_NEW_PRIVS, 1)
        step = "landlock_restrict_self"
        landlock.restrict_self(ruleset_fd)
        step = "seccomp"
        seccomp.install(fprog)
    except OSError as exc:
        os.write(2, f"{step}: {exc.strerror}\n".encode())
        os._exit(EXIT_SETUP_FAILED)
    if exit_after:
        os._exit(0)


def build_preexec(
    support: Support,
    *,
    writable_roots: tuple[str, ...],
    cwd: str,
    network: bool,
    exit_after: bool = False,
) -> Callable[[], None]:
    """The ``preexec_fn`` for one command; ``writable_roots`` are real, existing paths.
    ``exit_after``: the child exits 0 once confined (the support probe)."""
    rules = landlock.Rules(writable_roots, network)
    ruleset_fd = landlock.cached_ruleset(support.abi, rules)
    fprog, insns = _fprog(support.arch, network)
    return functools.partial(
        _child_setup,
        namespaces.plan(writable_roots, cwd),
        namespaces.cap_drop(),
        ruleset_fd,
        fprog,
        insns,
        exit_after,
    )


@functools.cache
def _fprog(
    arch: str, network: bool
) -> tuple[ctypes.Array[ctypes.c_char], ctypes.Array[ctypes.c_char]]:
    return seccomp.make_fprog(seccomp.build_filter(arch, network=network))


_support: list[Support | SandboxError] = []  # the probe's outcome, once known
_support_lock = threading.Lock()


def support() -> Support:
    """Probe once: Landlock ABI, seccomp, and a full trial of the child setup."""
    with _support_lock:
        if not _support:
            try:
                _support.append(_probe())
            except SandboxError as exc:
                _support.append(exc)
        found = _support[0]
    if isinstance(found, SandboxError):
        raise found
    return found


def _probe() -> Support:
    arch = sys_.machine()
    if arch not in seccomp.ARCHES:
        raise SandboxError(f"the Linux sandbox supports x86_64 and aarch64, not {arch}; {HINT}")
    abi = landlock.abi_version()
    if abi < 1:
        raise SandboxError(f"Landlock is not available on this kernel (Linux 5.13+); {HINT}")
    if not seccomp.available():
        raise SandboxError(f"seccomp filters are not available on this kernel; {HINT}")
    found = Support(abi=abi, arch=arch)
    trial = build_preexec(found, writable_roots=(), cwd="/", network=False, exit_after=True)
    try:
        done = subprocess.run(
            [sys.executable, "-c", ""],
            preexec_fn=trial,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"the sandbox could not be tried: {exc}; {HINT}") from exc
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip() or f"status {done.returncode}"
        raise SandboxError(f"the kernel refused the sandbox ({why}); {HINT}")
    return found
