"""The Linux sandbox: Landlock + seccomp + a mount namespace, applied in ``preexec_fn``.

Launch mechanism, measured (``bench/sandbox_bench.py``): the parent prepares everything that
allocates or reads configuration — the BPF program, the Landlock rules, the capability
buffer, and the mount namespace itself (built once per plan, see ``mountns``) — and the
forked child runs a fixed list of syscalls before ``execve``: ``setns`` into the namespace;
a PID namespace only where Landlock cannot scope signals (see ``pidns``); capability drop;
no_new_privs; Landlock ruleset + ``landlock_restrict_self``; seccomp (when unix sockets are
listed, installed with a listener that goes to the agent's ``unix_supervisor`` over a socket
pair, and closed in the child before ``execve``). No extra program is
executed, so the overhead over a plain spawn is mostly the ``fork`` that ``preexec_fn``
forces instead of ``vfork`` (page-table copy, growing with the spawner's resident memory,
and copy-on-write faults) plus ~1 ms of child work. A re-exec wrapper (``python -m ...``)
would pay a whole interpreter start-up (20-30 ms here) per command instead.

Thread-safety of ``preexec_fn``: the child never imports, never takes a Python-level lock and
only calls into libc through ctypes objects built in the parent; glibc's ``fork`` keeps malloc
usable in the child. A failing step writes one line to the command's stderr and exits 126.

Support is probed once per process by running the whole child setup in a throwaway child; a
kernel without Landlock, seccomp or mount namespaces raises ``SandboxError``.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pycodex.protocol.errors import SandboxError
from pycodex.sandbox import _linux_sys as sys_
from pycodex.sandbox import landlock, mountns, namespaces, pidns, seccomp, unix_supervisor

EXIT_SETUP_FAILED = 126
SIGNAL_SCOPE_ABI = 6  # Landlock scopes signals and abstract unix sockets from this ABI on
HINT = "inside an already-isolated container, use --sandbox danger-full-access"


@dataclass(frozen=True, slots=True)
class Support:
    abi: int  # Landlock ABI version
    arch: str


@dataclass(frozen=True, slots=True)
class ChildPlan:
    """Everything the child needs, built in the parent (the buffers stay alive with it)."""

    ns: mountns.Namespace
    cwd: bytes
    caps: namespaces.CapDrop
    abi: int
    rules: landlock.Rules
    fprog: ctypes.Array[ctypes.c_char]
    insns: ctypes.Array[ctypes.c_char]  # what ``fprog`` points at
    pid_namespace: bool
    exit_after: bool
    # listed unix sockets: the filter goes in with a listener, handed to the supervisor
    supervisor: unix_supervisor.Handoff | None = None
    seccomp_nr: int = 0


def _child_setup(p: ChildPlan) -> None:
    """Runs in the forked child, in this order; see the module docstring."""
    step = "mount namespace"
    try:
        mountns.enter(p.ns, p.cwd)
        rules = p.rules
        if p.ns.shm:
            rules = landlock.Rules((*rules.writable_roots, namespaces.SHM), rules.network)
        if p.pid_namespace:
            step = "pid namespace"
            pidns.enter()
        step = "capability drop"
        namespaces.drop_capabilities(p.caps)
        step = "no_new_privs"
        sys_.prctl(sys_.PR_SET_NO_NEW_PRIVS, 1)
        step = "landlock_restrict_self"
        ruleset = landlock.create_ruleset(p.abi, rules)
        landlock.restrict_self(ruleset)
        os.close(ruleset)
        step = "seccomp"
        if p.supervisor is None:
            seccomp.install(p.fprog)
        else:
            listener = sys_.seccomp_with_listener(p.seccomp_nr, p.fprog)
            step = "unix socket supervisor"
            p.supervisor.child_send(listener)
            os.close(listener)
    except OSError as exc:
        os.write(2, f"{step}: {exc.strerror}\n".encode())
        os._exit(EXIT_SETUP_FAILED)
    if p.exit_after:
        os._exit(0)


def build_preexec(
    support: Support,
    *,
    writable_roots: tuple[str, ...],
    cwd: str,
    network: bool,
    terminal: bool = False,
    pid_namespace: bool | None = None,
    exit_after: bool = False,
    codex_home: str | None = None,
    unix_sockets: tuple[str | Path, ...] | Literal["all"] = (),
) -> Callable[[], None]:
    """The ``preexec_fn`` for one command; ``writable_roots`` are real, existing paths.

    ``terminal``: the command runs on the user's terminal (keep the host's devpts).
    ``pid_namespace``: scope signals with a PID namespace (default: only when Landlock cannot,
    ABI < 6; see ``pidns``). ``exit_after``: exit 0 once confined (the support probe).
    ``codex_home``: its secrets are hidden, and it is read-only inside a writable root.
    ``unix_sockets``: the unix sockets a command may connect to, ``"all"`` or these paths
    (then each connect is answered by a thread of ours, see ``unix_supervisor``).
    Raises ``SandboxError`` when the mount namespace cannot be built."""
    mounts = namespaces.plan(
        writable_roots, private_shm=bool(writable_roots), terminal=terminal, codex_home=codex_home
    )
    try:
        ns = mountns.namespace_for(mounts)
    except OSError as exc:
        raise SandboxError(f"the kernel refused the sandbox ({exc}); {HINT}") from exc
    rules = landlock.Rules(writable_roots, network)
    unix: seccomp.UnixAccess = (
        "all" if unix_sockets == "all" else "listed" if unix_sockets else "none"
    )
    fprog, insns = _fprog(support.arch, network, unix)
    plan = ChildPlan(
        ns=ns,
        cwd=os.fsencode(cwd),
        caps=namespaces.cap_drop(),
        abi=support.abi,
        rules=rules,
        fprog=fprog,
        insns=insns,
        pid_namespace=support.abi < SIGNAL_SCOPE_ABI if pid_namespace is None else pid_namespace,
        exit_after=exit_after,
    )
    if unix_sockets == "all" or not unix_sockets:
        return functools.partial(_child_setup, plan)
    listed = tuple(os.path.normpath(p) for p in unix_sockets)
    handoff = unix_supervisor.Handoff(unix_supervisor.Rules(listed, network))
    plan = dataclasses.replace(
        plan, supervisor=handoff, seccomp_nr=seccomp.ARCHES[support.arch].nr["seccomp"]
    )
    preexec = functools.partial(_child_setup, plan)
    handoff.bind_lifetime(preexec)
    return preexec


@functools.cache
def _fprog(
    arch: str, network: bool, unix: seccomp.UnixAccess = "none"
) -> tuple[ctypes.Array[ctypes.c_char], ctypes.Array[ctypes.c_char]]:
    return seccomp.make_fprog(seccomp.build_filter(arch, network=network, unix=unix))


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
