"""exec's human transcript shows hostile text but writes no control of its own choosing
(only our SGR colours), and ``--json`` lines carry every control as a JSON escape."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.frontends.headless.human import HumanRenderer
from pycodex.frontends.headless.jsonl import dumps
from pycodex.protocol.events import (
    AgentMessage,
    AgentReasoning,
    AgentReasoningRawContent,
    BackgroundEvent,
    Error,
    Event,
    EventMsg,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    FileChange,
    McpInvocation,
    McpToolCallBegin,
    McpToolCallEnd,
    PatchApplyBegin,
    PatchApplyEnd,
    PlanUpdate,
    StreamError,
    TurnDiff,
)
from pycodex.protocol.items import PlanStep

H = "\x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x9d0;t\x9c\r\b"
SHOWN = "␛]52;c;SGVsbG8=␇␛]0;pwned␇<U+009D>0;t<U+009C>␍␈"
OUR_SGR = re.compile(r"\x1b\[(?:0|1|2|3|31|32|35|36)m")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

EVENTS: list[EventMsg] = [
    AgentReasoning(f"reasoning {H}"),
    AgentReasoningRawContent(f"raw {H}"),
    PlanUpdate((PlanStep(f"step {H}", "in_progress"),), f"why {H}"),
    ExecCommandBegin("c1", ("bash", "-lc", f"printf {H}"), f"/w{H}"),
    ExecCommandEnd("c1", "", "", f"output {H}\r\nline two\n", 0, 0.1),
    ExecApprovalRequest("c2", ("echo", H), "/w"),
    PatchApplyBegin("p", True, {f"f{H}.txt": FileChange("add", content=f"content {H}")}),
    PatchApplyEnd("p", f"patched {H}", "", True),
    TurnDiff(f"+added {H}\n"),
    McpToolCallBegin("m", McpInvocation("srv", f"tool{H}", {"q": H})),
    McpToolCallEnd(
        "m", McpInvocation("srv", "tool"), 0.1, ({"type": "text", "text": f"tool {H}"},)
    ),
    McpToolCallEnd("n", McpInvocation("srv", "tool"), 0.1, error=f"failed {H}"),
    StreamError(f"retrying {H}"),
    Error(f"fatal {H}"),
    BackgroundEvent(f"note {H}"),
    AgentMessage(f"answer {H}"),
]


def _render(color: bool) -> str:
    out = io.StringIO()
    renderer = HumanRenderer(out, color=color, version="0", show_raw_reasoning=True)
    renderer.header(Config(codex_home=Path("/h"), cwd=Path(f"/w{H}")), f"prompt {H}")
    for msg in EVENTS:
        renderer.on_event(Event("1", msg))
    renderer.flush()
    return out.getvalue()


def test_every_kind_of_text_is_shown_not_obeyed() -> None:
    for color in (False, True):
        text = _render(color)
        plain = OUR_SGR.sub("", text)
        assert CONTROLS.search(plain) is None, repr(plain)
        assert bool(OUR_SGR.search(text)) is color  # our colours stay
        for what in (
            "prompt",
            "reasoning",
            "raw",
            "step",
            "why",
            "output",
            "content",
            "patched",
            "+added",
            "tool",
            "failed",
            "retrying",
            "fatal",
            "note",
            "answer",
        ):
            assert f"{what} {SHOWN}" in plain, what
        assert "output ␛]52;c;SGVsbG8=␇␛]0;pwned␇<U+009D>0;t<U+009C>␍␈\nline two" in plain


def test_jsonl_keeps_the_text_but_escapes_every_control() -> None:
    line = dumps({"text": f"{H}\x7f\u202e é"})
    assert CONTROLS.search(line) is None and "\u202e" not in line
    assert "é" in line  # other non-ASCII stays literal
    assert json.loads(line) == {"text": f"{H}\x7f\u202e é"}  # the same value
