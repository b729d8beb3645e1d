"""Start-up is a feature: quick commands must not import the network, TUI or agent stacks.

Each command runs in a fresh interpreter exactly as the console script runs it
(``pycodex.cli.main``); afterwards the probe writes ``sorted(sys.modules)`` to a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FORBIDDEN = (
    "asyncio",
    "ssl",
    "http.client",
    "socket",
    "textual",
    "mcp",
    "httpx",
    "openai",
    "pycodex.models",
    "pycodex.core",
    "pycodex.frontends",
)

PROBE = """
import sys
out, args = sys.argv[1], sys.argv[2:]
from pycodex.cli import main
try:
    code = main(args)
except SystemExit as exc:
    code = exc.code
modules = sorted(sys.modules)
with open(out, "w") as fh:
    fh.write("\\n".join(modules))
sys.exit(code)
"""


def modules_after(tmp_path: Path, *args: str, expect: int = 0) -> set[str]:
    out = tmp_path / "modules.txt"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["CODEX_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == expect, proc.stderr
    return set(out.read_text().split("\n"))


def imported_forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules for f in FORBIDDEN if m == f or m.startswith(f + "."))


def test_probe_sees_imports(tmp_path: Path) -> None:
    """The probe itself works: the command's own modules are listed."""
    assert "pycodex.cli" in modules_after(tmp_path, "--version")
    assert imported_forbidden({"asyncio.events", "sockets", "pycodex.core"}) == [
        "asyncio.events",
        "pycodex.core",
    ]


def test_version_imports_nothing_heavy(tmp_path: Path) -> None:
    modules = modules_after(tmp_path, "--version")
    assert imported_forbidden(modules) == []
    assert "argparse" not in modules  # --version answers before the parser is built


def test_login_status_imports_nothing_heavy(tmp_path: Path) -> None:
    modules = modules_after(tmp_path, "login", "status", expect=1)
    assert "pycodex.cli.login_cmd" in modules
    assert imported_forbidden(modules) == []


def test_config_show_imports_nothing_heavy(tmp_path: Path) -> None:
    modules = modules_after(tmp_path, "config", "show")
    assert "pycodex.cli.config_cmd" in modules
    assert imported_forbidden(modules) == []
