"""PID namespace: scoping signals where Landlock cannot (ABI < 6, before Linux 6.12).

Landlock ABI 6 refuses signals to processes outside the sandbox; older kernels do not, so a
command could ``kill`` the agent or any process of the same user. In a new PID namespace the
command can only name processes of its own namespace. The price is two waiting processes,
because the process that unshares stays outside and the namespace's first process is its
"init", which ignores every signal it has no handler for:

    spawned child (outside; waits, mirrors the status)
      └─ pid 1 (init of the namespace; reaps, mirrors the status of pid 2)
           └─ pid 2: the command (confined by Landlock and seccomp, then ``execve``)

Both waiters close every descriptor (so pipes reach EOF and exec errors still reach
``subprocess`` through the command's own copy) and ignore the terminal and termination
signals, which reach the command directly: all three share one process group. A waiter
reports a command killed by signal N as exit status 128+N.
"""

from __future__ import annotations

import os
import signal

from pycodex.sandbox import _linux_sys as sys_

CLONE_NEWPID = 0x2000_0000
_HANDLED = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP)


def _status_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _mirror(child: int, *, reap_all: bool) -> None:
    """Wait for ``child`` (reaping any orphan when init), then exit with its status."""
    os.closerange(0, 1 << 20)
    while True:
        try:
            pid, status = os.waitpid(-1 if reap_all else child, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == child:
            os._exit(_status_code(status))


def enter() -> None:
    """Fork into a new PID namespace; returns only in the process that will exec (pid 2)."""
    sys_.unshare(CLONE_NEWPID)
    for sig in _HANDLED:
        signal.signal(sig, signal.SIG_IGN)
    pid = os.fork()
    if pid:
        _mirror(pid, reap_all=False)
    pid = os.fork()  # we are pid 1 now
    if pid:
        _mirror(pid, reap_all=True)
    for sig in _HANDLED:
        signal.signal(sig, signal.SIG_DFL)
