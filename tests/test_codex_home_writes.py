"""Only pycodex.storage writes under $CODEX_HOME: the rule no import contract can express.

Every module may import ``pathlib``, so the check watches writes instead of imports: a
Python audit hook (PEP 578) sees each ``open`` with write flags, ``mkdir``, ``rename``
(and ``replace``), ``remove``, ``rmdir``, ``truncate``, ``symlink`` and ``link`` in this
process, and the stack says which module asked: the innermost ``pycodex`` frame (a write
through ``pathlib`` or ``tempfile`` counts for the pycodex module that called it). A real
session runs in-process (config loaded from a config.toml, the model over real HTTP from
the scripted model server, a turn with a shell call and a patch, then shutdown) and every
write under $CODEX_HOME must come from ``pycodex.storage``; so must the TUI's, under Pilot
with the CLI's real services (trust, history). Sandboxed commands are separate
processes, outside the hook and outside the rule.

Audit hooks cannot be removed, so the one installed here stays for the worker process and
does nothing unless a ``watch_writes`` block is active.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from pycodex.config.loader import load_config
from pycodex.config.overrides import CliOverrides
from pycodex.core.codex import Codex
from pycodex.protocol.events import (
    Event,
    ExecCommandEnd,
    PatchApplyEnd,
    SessionConfigured,
    ShutdownComplete,
    TaskComplete,
)
from pycodex.protocol.ops import Shutdown, UserInput
from tests.core.test_approvals_e2e import SANDBOX
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

ALLOWED = "pycodex.storage"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# event -> positions of the path arguments it writes (see the audit events table)
_PATH_EVENTS = {
    "os.mkdir": (0,),
    "os.rename": (0, 1),  # os.replace raises it too
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.truncate": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
}


@dataclass
class Watch:
    """Writes seen under ``home`` while active: (module, event, path)."""

    home: tuple[str, ...]
    violations: list[tuple[str, str, str]] = field(default_factory=list)
    allowed: list[tuple[str, str, str]] = field(default_factory=list)

    def under_home(self, path: str) -> bool:
        return any(path == h or path.startswith(h + os.sep) for h in self.home)


_watches: list[Watch] = []
_busy = threading.local()
_installed = threading.Event()  # audit hooks cannot be removed: add ours once


def _opener() -> str | None:
    """The innermost pycodex module on the calling stack (None: not pycodex's write)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if isinstance(name, str) and name.startswith("pycodex."):
            return name
        frame = frame.f_back
    return None


def _written_paths(event: str, args: tuple[Any, ...]) -> list[str]:
    if event == "open":
        path, _mode, flags = args
        if not isinstance(flags, int) or not flags & _WRITE_FLAGS:
            return []
        candidates = [path]
    elif event in _PATH_EVENTS:
        if any(isinstance(a, int) and a >= 0 for a in args[2:] if a is not None) and event in (
            "os.rename",
            "os.symlink",
            "os.link",
        ):
            return []  # relative to a directory fd: not a path we can place
        candidates = [args[i] for i in _PATH_EVENTS[event]]
    else:
        return []
    return [
        # abspath, not resolve(): no file system calls from inside the hook
        os.path.abspath(os.fsdecode(p))  # noqa: PTH100
        for p in candidates
        if isinstance(p, str | bytes | Path)
    ]


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _watches or getattr(_busy, "on", False):
        return
    if event != "open" and event not in _PATH_EVENTS:
        return
    _busy.on = True
    try:
        paths = _written_paths(event, args)
        for watch in list(_watches):
            for path in paths:
                if not watch.under_home(path):
                    continue
                opener = _opener()
                if opener is None:
                    continue  # the test itself, the model server's thread
                seen = (opener, event, path)
                ok = opener == ALLOWED or opener.startswith(ALLOWED + ".")
                (watch.allowed if ok else watch.violations).append(seen)
    finally:
        _busy.on = False


@contextmanager
def watch_writes(home: Path) -> Iterator[Watch]:
    if not _installed.is_set():
        sys.addaudithook(_hook)
        _installed.set()
    watch = Watch(home=tuple({str(home.absolute()), os.path.realpath(home)}))
    _watches.append(watch)
    try:
        yield watch
    finally:
        _watches.remove(watch)


PATCH = "*** Begin Patch\n*** Add File: notes.txt\n+written by a patch\n*** End Patch\n"


def _run_session(tmp_path: Path, server: ScriptedModelServer) -> list[Event]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    sandbox = "workspace-write" if SANDBOX else "danger-full-access"
    (home / "config.toml").write_text(
        'model = "gpt-5"\nmodel_provider = "scripted"\napproval_policy = "never"\n'
        f'sandbox_mode = "{sandbox}"\n\n[model_providers.scripted]\nname = "Scripted"\n'
        f'base_url = "{server.base_url}"\nenv_key = "SCRIPTED_KEY"\nwire_api = "responses"\n'
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    env |= {"CODEX_HOME": str(home), "SCRIPTED_KEY": "sk-test"}
    config = load_config(codex_home=home, cwd=work, env=env, overrides=CliOverrides()).config

    async def session() -> list[Event]:
        events: list[Event] = []
        async with asyncio.timeout(60):
            codex = await Codex.spawn(config, env=env)
            await codex.submit(UserInput("write two files"))
            while not isinstance((e := await codex.next_event()).msg, TaskComplete):
                events.append(e)
            await codex.submit(Shutdown())
            while not isinstance((e := await codex.next_event()).msg, ShutdownComplete):
                events.append(e)
        return events

    return asyncio.run(session())


def test_a_session_writes_under_codex_home_only_through_storage(tmp_path: Path) -> None:
    script = [
        Turn(
            tool_calls=[
                ToolCall("shell", {"command": ["sh", "-c", "echo made > made.txt"]}),
                ToolCall("apply_patch", {"input": PATCH}),
            ]
        ),
        Turn(text="done"),
    ]
    with ScriptedModelServer(script) as server, watch_writes(tmp_path / "home") as watch:
        events = _run_session(tmp_path, server)
    msgs = [e.msg for e in events]
    assert isinstance(msgs[0], SessionConfigured) and msgs[0].rollout_path is not None
    assert [m.exit_code for m in msgs if isinstance(m, ExecCommandEnd)] == [0]
    assert [m.success for m in msgs if isinstance(m, PatchApplyEnd)] == [True]
    assert (tmp_path / "work" / "made.txt").read_text() == "made\n"
    assert (tmp_path / "work" / "notes.txt").read_text() == "written by a patch\n"
    # The hook saw the session's own writes (the rollout), so an empty list means something.
    assert any(path == msgs[0].rollout_path for _, _, path in watch.allowed), watch.allowed
    assert watch.violations == []


def _write_as(module: str, target: Path) -> None:
    """Run a write whose innermost frame belongs to ``module`` (as if that module did it)."""
    code = compile("open(target, 'w').close()\nos.replace(target, target)\n", module, "exec")
    exec(code, {"__name__": module, "target": target, "os": os})


def test_the_hook_names_a_write_from_outside_storage(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with watch_writes(home) as watch:
        _write_as("pycodex.core.somewhere", home / "stray.json")
        _write_as("pycodex.storage.files", home / "fine.json")
        _write_as("pycodex.core.somewhere", tmp_path / "outside.json")  # not under home
        (home / "by-the-test.txt").write_text("x")  # no pycodex frame: not the product's
        with open(home / "fine.json") as f:  # reading is not writing
            f.read()
    stray, fine = str(home / "stray.json"), str(home / "fine.json")
    assert watch.violations == [
        ("pycodex.core.somewhere", "open", stray),
        ("pycodex.core.somewhere", "os.rename", stray),
        ("pycodex.core.somewhere", "os.rename", stray),
    ]
    assert watch.allowed == [
        ("pycodex.storage.files", "open", fine),
        ("pycodex.storage.files", "os.rename", fine),
        ("pycodex.storage.files", "os.rename", fine),
    ]


def test_a_tui_session_writes_under_codex_home_only_through_storage(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    """The TUI in-process (Pilot, real core over HTTP, the CLI's real services): trusting
    the project edits config.toml, a prompt goes to history, the session to its rollout."""
    import dataclasses

    from textual.pilot import Pilot  # the TUI's imports only here: the core test needs none

    from pycodex.cli.tui_cmd import _services
    from pycodex.frontends.tui.app import CodexApp
    from pycodex.frontends.tui.onboarding import TrustOnboarding
    from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until

    model_server.push(Turn(text="hi there"))
    base = tui_options(codex_home, tmp_path, model_server.base_url)
    app = CodexApp(dataclasses.replace(base, ask_trust=True, services=_services(base.config)))

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustOnboarding), "onboarding")
        await pilot.press("1")  # trust this folder: saved in config.toml
        await ready(pilot, app)
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "hi there" in app.transcript_text(), "the answer")
        await idle(pilot, app)

    with watch_writes(codex_home) as watch:
        drive(app, scenario)
    # The hook saw each of the session's own writes, so an empty list means something.
    written = {(module, event, Path(path).name) for module, event, path in watch.allowed}
    assert ("pycodex.storage.files", "os.rename", "config.toml") in written  # trust saved
    assert ("pycodex.storage.history", "open", "history.jsonl") in written
    assert any(m == "pycodex.storage.rollout" and n.startswith("rollout-") for m, _, n in written)
    assert (codex_home / "history.jsonl").read_text().count('"hello"') == 1
    assert watch.violations == []
