"""The macOS sandbox: a Seatbelt profile run through ``/usr/bin/sandbox-exec``.

Same semantics as Linux: deny by default; read anything; write only under the writable
roots, never under a root's ``.git``; network only when the policy allows it; signals and
process inspection only within the sandbox. Roots go in as ``-D`` parameters, not spliced
into the profile text, so no path can change the profile's meaning.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pycodex.protocol.errors import SandboxError

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

_BASE = """\
(version 1)
(deny default)

; processes: run and fork; signal and inspect only processes of this sandbox
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; reading is unrestricted; so are system facts programs ask for
(allow file-read*)
(allow sysctl-read)
(allow user-preference-read)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.PowerManagement.control"))
(allow ipc-posix-sem)
(allow ipc-posix-shm-read-data)

; terminals and the usual character devices
(allow pseudo-tty)
(allow file-write-data file-ioctl
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/tty")
  (literal "/dev/dtracehelper"))
(allow file-read* file-write* file-ioctl
  (literal "/dev/ptmx")
  (regex #"^/dev/ttys[0-9]+$"))
"""

_NETWORK = """
; network allowed by the policy
(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup
  (global-name "com.apple.dnssd.service")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd")
  (global-name "com.apple.trustd.agent"))
"""

_NO_NETWORK = """
; network off: local socket pairs only
(allow system-socket (socket-domain AF_UNIX))
"""


def _root_clause(i: int) -> str:
    root = f'(subpath (param "WRITABLE_ROOT_{i}"))'
    git = f'(subpath (param "WRITABLE_ROOT_{i}_GIT"))'
    return f"  (require-all {root} (require-not {git}))"


def profile(roots: Sequence[Path], *, network: bool) -> tuple[str, dict[str, str]]:
    """The profile text and its ``-D`` parameters for writable ``roots`` (canonical paths).

    Every root gets a ``.git`` carve-out: it costs nothing when no ``.git`` exists and keeps
    one that is created later read-only too.
    """
    params: dict[str, str] = {}
    clauses = []
    for i, root in enumerate(roots):
        params[f"WRITABLE_ROOT_{i}"] = str(root)
        params[f"WRITABLE_ROOT_{i}_GIT"] = str(root / ".git")
        clauses.append(_root_clause(i))
    text = _BASE + (_NETWORK if network else _NO_NETWORK)
    if clauses:
        text += "\n; writable roots, each without its .git\n(allow file-write*\n"
        text += "\n".join(clauses) + ")\n"
    return text, params


def sandbox_exec_argv(
    argv: Sequence[str], roots: Sequence[Path], *, network: bool
) -> tuple[str, ...]:
    """``sandbox-exec -p PROFILE -DNAME=VALUE... -- ARGV...``."""
    text, params = profile([Path(os.path.realpath(r)) for r in roots], network=network)
    defines = [f"-D{k}={v}" for k, v in params.items()]
    return (SANDBOX_EXEC, "-p", text, *defines, "--", *argv)


def check_available() -> None:
    if not os.access(SANDBOX_EXEC, os.X_OK):
        raise SandboxError(
            f"{SANDBOX_EXEC} is missing; inside an already-isolated environment, "
            "use --sandbox danger-full-access"
        )
