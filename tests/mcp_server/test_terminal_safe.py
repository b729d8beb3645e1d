"""The relay sends its client no control characters: events (output chunks split inside a
sequence or a UTF-8 character included), approval questions, and the approval answer still
reaches core under the event's real call id."""

from __future__ import annotations

import re
from typing import Any

from pycodex.protocol.events import (
    AgentMessage,
    ApplyPatchApprovalRequest,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    FileChange,
    TaskComplete,
    TaskStarted,
)
from pycodex.protocol.ops import ExecApproval, PatchApproval
from pycodex.protocol.policy import ReviewDecision
from tests.mcp_server.test_relay import RecordingPeer, run_turn, scripted

H = "\x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x9b2J\r\n"
SHOWN = "␛]52;c;SGVsbG8=␇␛]0;pwned␇\n"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    return []


def test_events_questions_and_chunks_carry_no_controls() -> None:
    raw = f"out {H}é done\n".encode()
    cut = raw.index(b"52;") + 1  # inside the OSC; and one more cut inside "é"
    cut2 = raw.index("é".encode()) + 1
    core = scripted(
        [
            TaskStarted(),
            ExecCommandBegin("c1", ("printf", H), f"/w{H}"),
            ExecCommandOutputDelta("c1", "stdout", raw[:cut]),
            ExecCommandOutputDelta("c1", "stdout", raw[cut:cut2]),
            ExecCommandOutputDelta("c1", "stdout", raw[cut2:]),
            ExecCommandEnd("c1", raw.decode(), "", raw.decode(), 0, 0.1, raw.decode()),
            ExecApprovalRequest("call\x1b1", ("echo", H), "/w", reason=f"why {H}"),
            ApplyPatchApprovalRequest("p\x071", {f"f{H}": FileChange("add", content=H)}),
            AgentMessage(f"answer {H}"),
            TaskComplete(f"answer {H}"),
        ]
    )
    peer = RecordingPeer({"action": "accept"})
    result = run_turn(core, peer)
    for sent in [*peer.notifications, *peer.requests]:
        for text in _strings(sent):
            assert CONTROLS.search(text) is None, text
    chunks = [
        bytes(n["msg"]["chunk"])
        for n in peer.notifications
        if n["msg"]["type"] == "exec_command_output_delta"
    ]
    assert b"".join(chunks).decode("utf-8") == f"out {SHOWN}é done\n"
    end = next(n["msg"] for n in peer.notifications if n["msg"]["type"] == "exec_command_end")
    assert end["stdout"] == end["aggregated_output"] == f"out {SHOWN}é done\n"
    exec_q, patch_q = peer.requests
    assert exec_q["message"] == (
        f"Allow Codex to run `echo '␛]52;c;SGVsbG8=␇␛]0;pwned␇\n'` in `/w`? (why {SHOWN})"
    )
    assert exec_q["codex_command"] == ["echo", SHOWN] and exec_q["codex_call_id"] == "call␛1"
    assert patch_q["codex_changes"] == {f"f{SHOWN}": {"add": {"content": SHOWN}}}
    # the answers reached core under the real ids
    assert ExecApproval("call\x1b1", ReviewDecision.APPROVED) in core.ops
    assert PatchApproval("p\x071", ReviewDecision.APPROVED) in core.ops
    assert result.text == f"answer {H}"  # the server's tools/call result sanitises it
