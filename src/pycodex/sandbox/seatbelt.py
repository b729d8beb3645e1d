"""The macOS sandbox: a Seatbelt profile run through ``/usr/bin/sandbox-exec``.

Same semantics as Linux: deny by default; read anything but CODEX_HOME's secrets; write
only under the writable roots, never under a ``.git``, ``.codex`` or ``.agents`` path
component nor under CODEX_HOME; network only when the policy allows it; signals and
process inspection only within the sandbox. Paths go in as ``-D`` parameters, not spliced
into the profile text, so no path can change the profile's meaning. Exclusions are
``require-not`` clauses inside the ``allow`` rules, so nothing depends on the order in
which Seatbelt weighs rules.

Where Linux protects the repositories that exist when a command starts (``protected``, kept
current with inotify), Seatbelt matches every such component with one regular expression:
no search, no per-command cost (macOS has no inotify, and ``stat``-ing every directory per
command would cost milliseconds), and stricter (a repository the command makes is
read-only too, so no repository can be swapped in either). Not covered on macOS:
bare-repository layouts not named ``.git`` and the ``gitdir:`` targets of ``.git`` files
(those are found on Linux only).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pycodex.protocol.errors import SandboxError
from pycodex.sandbox import protected as protected_paths

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

_BASE = """\
(version 1)
(deny default)

; processes: run and fork; signal and inspect only processes of this sandbox
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; system facts programs ask for (reading files: see the end)
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


# a path with a .git, .codex or .agents component (inside or below it)
PROTECTED_COMPONENTS = r'(require-not (regex #"/\.(git|codex|agents)(/|$)"))'


def _root_clause(i: int, protected: int) -> str:
    root = f'(subpath (param "WRITABLE_ROOT_{i}"))'
    nots = [f'(require-not (subpath (param "WRITABLE_ROOT_{i}_GIT")))', PROTECTED_COMPONENTS]
    nots += [f'(require-not (subpath (param "PROTECTED_{k}")))' for k in range(protected)]
    return f"  (require-all {root} {' '.join(nots)})"


def _read_rule(files: int, dirs: int) -> str:
    nots = [f'(require-not (literal (param "SECRET_FILE_{k}")))' for k in range(files)]
    nots += [f'(require-not (subpath (param "SECRET_DIR_{k}")))' for k in range(dirs)]
    if not nots:
        return "\n; reading is unrestricted\n(allow file-read*)\n"
    body = "\n".join(f"  {n}" for n in nots)
    head = "\n; reading: everything but CODEX_HOME's secrets\n(allow file-read* (require-all\n"
    return f"{head}{body}))\n"


def profile(
    roots: Sequence[Path],
    *,
    network: bool,
    protected: Sequence[str] = (),
    secret_files: Sequence[str] = (),
    secret_dirs: Sequence[str] = (),
) -> tuple[str, dict[str, str]]:
    """The profile text and its ``-D`` parameters for writable ``roots`` (canonical paths),
    the ``protected`` paths no root may write and CODEX_HOME's secrets nothing may read.

    Every root gets a ``.git`` carve-out: it costs nothing when no ``.git`` exists and keeps
    one that is created later read-only too.
    """
    params: dict[str, str] = {}
    clauses = []
    for k, path in enumerate(protected):
        params[f"PROTECTED_{k}"] = path
    for i, root in enumerate(roots):
        params[f"WRITABLE_ROOT_{i}"] = str(root)
        params[f"WRITABLE_ROOT_{i}_GIT"] = str(root / ".git")
        clauses.append(_root_clause(i, len(protected)))
    for k, path in enumerate(secret_files):
        params[f"SECRET_FILE_{k}"] = path
    for k, path in enumerate(secret_dirs):
        params[f"SECRET_DIR_{k}"] = path
    text = _BASE + (_NETWORK if network else _NO_NETWORK)
    text += _read_rule(len(secret_files), len(secret_dirs))
    if clauses:
        text += "\n; writable roots, each without its .git and the protected paths\n"
        text += "(allow file-write*\n" + "\n".join(clauses) + ")\n"
    return text, params


def sandbox_exec_argv(
    argv: Sequence[str],
    roots: Sequence[Path],
    *,
    network: bool,
    codex_home: Path | None = None,
) -> tuple[str, ...]:
    """``sandbox-exec -p PROFILE -DNAME=VALUE... -- ARGV...``; ``codex_home`` read-only
    and its secrets unreadable."""
    real = [Path(os.path.realpath(r)) for r in roots]
    home = os.path.realpath(codex_home) if codex_home else None
    secrets = protected_paths.secrets(home)
    text, params = profile(
        real,
        network=network,
        protected=[home] if home is not None and real else [],
        secret_files=[s.path for s in secrets if not s.is_dir],
        secret_dirs=[s.path for s in secrets if s.is_dir],
    )
    defines = [f"-D{k}={v}" for k, v in params.items()]
    return (SANDBOX_EXEC, "-p", text, *defines, "--", *argv)


def check_available() -> None:
    if not os.access(SANDBOX_EXEC, os.X_OK):
        raise SandboxError(
            f"{SANDBOX_EXEC} is missing; inside an already-isolated environment, "
            "use --sandbox danger-full-access"
        )
