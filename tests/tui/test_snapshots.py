"""Visual snapshots of the main states (pytest-textual-snapshot; SVGs in __snapshots__).

Deterministic by construction: a scripted core (fixed events, no model, no clock), a fixed
cwd string, a frozen clock for the status line, a fixed terminal size. Update after an
intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at
the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pycodex.config.schema import Config
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.options import TuiOptions
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    ApplyPatchApprovalRequest,
    EventMsg,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    FileChange,
    PatchApplyBegin,
    PatchApplyEnd,
    PlanUpdate,
    StreamError,
    TokenCount,
)
from pycodex.protocol.items import PlanStep, TokenUsage
from pycodex.protocol.scripted_core import ScriptedCore, turn
from tests.tui.support import ready, type_text, wait_until

SIZE = (100, 44)
ANSWER = """Done. The helper now **parses** the header:

```python
def parse(line: str) -> dict[str, str]:
    key, _, value = line.partition(":")
    return {key.strip(): value.strip()}
```

- tests pass
- `ruff` is clean"""

CHANGE = FileChange("update", unified_diff="@@ -1,2 +1,2 @@\n-old = 1\n+new = 2\n keep\n")
FULL_TURN: list[EventMsg] = [
    AgentReasoning("**Reading the code**\n\nThe parser lives in `util.py`."),
    PlanUpdate(
        (
            PlanStep("Read util.py", "completed"),
            PlanStep("Fix the parser", "in_progress"),
            PlanStep("Run the tests", "pending"),
        )
    ),
    ExecCommandBegin("c1", ("bash", "-lc", "pytest -q"), "/work/demo"),
    ExecCommandEnd("c1", "3 passed\n", "", "....\n3 passed\n", 0, 1.25),
    ExecCommandBegin("c2", ("false",), "/work/demo"),
    ExecCommandEnd("c2", "", "", "", 1, 0.01),
    PatchApplyBegin("p1", True, {"util.py": CHANGE}),
    PatchApplyEnd("p1", "ok", "", True),
    StreamError("stream disconnected; retrying 1/5 in 0.2s…"),
    TokenCount(
        TokenUsage(1000, 200, 300, 0, 1300),
        TokenUsage(1000, 200, 300, 0, 1300),
        model_context_window=10_000,
    ),
    AgentMessageDelta(ANSWER[:20]),
    AgentMessage(ANSWER),
]


def _app(turns: Sequence[Sequence[EventMsg]]) -> CodexApp:
    config = Config(codex_home=Path("/nonexistent/home"), cwd=Path("/work/demo"))
    core = ScriptedCore([turn(*t, window=10_000) for t in turns])
    options = TuiOptions(config=config, env={}, spawn=core.spawner(), clock=lambda: 100.0)
    return CodexApp(options)


def _before(
    app: CodexApp, prompt: str | None, until: Callable[[], object]
) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, app)
        app.composer.cursor_blink = False
        if prompt is not None:
            await type_text(pilot, prompt)
            await pilot.press("enter")
        await wait_until(pilot, until)
        await pilot.pause()

    return run_before


def test_welcome(snap_compare: Any) -> None:
    app = _app([])
    assert snap_compare(app, terminal_size=SIZE, run_before=_before(app, None, lambda: True))


def test_finished_turn(snap_compare: Any) -> None:
    app = _app([FULL_TURN])

    def done() -> bool:
        return not app.working and "ruff" in app.transcript_text()

    assert snap_compare(app, terminal_size=SIZE, run_before=_before(app, "fix the parser", done))


def test_exec_approval_modal(snap_compare: Any) -> None:
    app = _app([[ExecApprovalRequest("c9", ("rm", "-rf", "build"), "/work/demo", "clean it")]])
    assert snap_compare(
        app,
        terminal_size=SIZE,
        run_before=_before(app, "clean", lambda: app.approval_open),
    )


def test_patch_approval_modal(snap_compare: Any) -> None:
    app = _app([[ApplyPatchApprovalRequest("p9", {"util.py": CHANGE}, "needs write access")]])
    assert snap_compare(
        app, terminal_size=SIZE, run_before=_before(app, "edit", lambda: app.approval_open)
    )


def test_slash_popup(snap_compare: Any) -> None:
    app = _app([])
    assert snap_compare(
        app, terminal_size=SIZE, run_before=_before(app, None, lambda: True), press=["/"]
    )


def test_transcript_pager(snap_compare: Any) -> None:
    """Ctrl+T over a turn whose first cells were already evicted to the history lines:
    they must look like the mounted cells did (colours, markdown, diff)."""
    app = _app([FULL_TURN])
    app.transcript.max_mounted = 3

    def done() -> bool:
        return not app.working and "ruff" in app.transcript_text()

    async def open_pager(pilot: Pilot[Any]) -> None:
        await _before(app, "fix the parser", done)(pilot)
        assert app.transcript.history.blocks > 3
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: app.screen.query("PagerView"))
        await pilot.press("home")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_pager)
