"""Other CLIs' rollout files: recognised, cleaned, continued in a new linked pycodex file.

``fixtures/codex020-rollout.jsonl`` was written by the real Codex v0.20 (`codex exec`, then
``-c experimental_resume``) against the scripted model server; ``fixtures/codex0171-rollout.
jsonl`` by the real Codex v0.171 (`codex exec`, then `codex exec resume --last`), with the
text of its prompts replaced by placeholders and its paths made neutral.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputImage,
    LocalShellCallItem,
    MessageItem,
    ReasoningItem,
    WebSearchCallItem,
    assistant_message,
    to_json,
    user_message,
)
from pycodex.storage.rollout import (
    RolloutWriter,
    SavedSession,
    find_latest_session,
    find_session,
    list_sessions,
    open_for_resume,
    read_rollout,
)
from pycodex.storage.rollout_formats import clean_foreign, is_context_text

FIXTURES = Path(__file__).parent / "fixtures"
V020 = FIXTURES / "codex020-rollout.jsonl"
V2 = FIXTURES / "codex0171-rollout.jsonl"
V020_ID = "04db80a3-eb01-45b5-b83f-a3eeb86c12b8"
V2_ID = "01a25282-18b5-73e0-8e2d-31e02c53a82f"
CONVERSATION = (
    user_message("run echo hello"),
    FunctionCallItem(call_id="call_1_0", name="?", arguments="?"),  # name/args per file
    FunctionCallOutputItem(call_id="call_1_0", output="?"),
    assistant_message("The command printed hello."),
    user_message("and again"),
    assistant_message("Second answer."),
)
PAST = 1_600_000_000


def shape(items: tuple[Any, ...]) -> list[tuple[str, str]]:
    """(type, role or call id or text) of each item: what the conversation is made of."""
    out: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, MessageItem):
            out.append((item.role, item.text))
        elif isinstance(item, FunctionCallItem | FunctionCallOutputItem):
            out.append((item.type, item.call_id))
        else:
            out.append((item.type, ""))
    return out


def place(source: Path, home: Path, sid: str) -> Path:
    day = home / "sessions" / "2026" / "12" / "07"
    day.mkdir(parents=True, exist_ok=True)
    target = day / f"rollout-2026-12-07T21-55-46-{sid}.jsonl"
    shutil.copyfile(source, target)
    os.utime(target, (PAST, PAST))
    return target


def write_lines(path: Path, lines: list[Any], tail: bytes = b"") -> Path:
    path.write_bytes(b"".join(json.dumps(x).encode() + b"\n" for x in lines) + tail)
    return path


def test_a_genuine_codex_020_rollout_is_recognised_and_read() -> None:
    saved = read_rollout(V020)
    assert (saved.format, saved.session_id, saved.foreign) == ("codex-0.20", V020_ID, True)
    assert shape(saved.items) == shape(CONVERSATION)
    call = saved.items[1]
    assert isinstance(call, FunctionCallItem) and call.name == "shell"
    assert (saved.skipped_lines, saved.unknown_lines, saved.dropped_items) == (0, 0, 0)


def test_a_genuine_current_codex_rollout_keeps_only_the_conversation() -> None:
    saved = read_rollout(V2)
    assert (saved.format, saved.session_id, saved.foreign) == ("codex-v2", V2_ID, True)
    assert saved.meta["cwd"] == "/work/project"
    assert shape(saved.items) == shape(CONVERSATION)
    call, output = saved.items[1], saved.items[2]
    assert isinstance(call, FunctionCallItem) and call.name == "exec_command"
    assert isinstance(output, FunctionCallOutputItem) and output.output.endswith("hello\n")
    # two developer messages (skills, permissions) and two generated user messages (AGENTS.md
    # + environment, then environment again) are not conversation
    assert saved.dropped_items == 4
    assert saved.unknown_lines == 0  # event_msg, turn_context, world_state … are known


def test_pycodex_files_are_its_own_with_or_without_the_writer_marker(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, "sid-1", instructions=None, cwd=Path("/w")) as w:
        w.record_items([user_message("hi")])
    assert read_rollout(w.path).format == "pycodex"
    legacy = {"id": "sid-2", "timestamp": "t", "cwd": "/w", "originator": "o", "cli_version": "0"}
    path = write_lines(tmp_path / "rollout-2026-01-01T00-00-00-sid-2.jsonl", [legacy])
    assert read_rollout(path).format == "pycodex"
    bare: dict[str, Any] = {"id": "sid-3", "timestamp": "t", "instructions": None, "git": {}}
    path = write_lines(tmp_path / "rollout-2026-01-01T00-00-00-sid-3.jsonl", [bare])
    assert read_rollout(path).format == "codex-0.20"


def test_unknown_line_kinds_are_counted_and_a_torn_last_line_skipped(tmp_path: Path) -> None:
    lines = [json.loads(x) for x in V2.read_text().splitlines()]
    lines.insert(3, {"timestamp": "t", "type": "future_kind", "payload": {"x": 1}})
    lines.append({"weird": True})
    path = write_lines(tmp_path / "r.jsonl", lines, tail=b'{"timestamp":"t","type":"respo')
    saved = read_rollout(path)
    assert (saved.unknown_lines, saved.skipped_lines) == (2, 1)
    assert shape(saved.items) == shape(CONVERSATION)


def test_a_v2_compaction_replaces_the_history(tmp_path: Path) -> None:
    def env(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"timestamp": "t", "type": kind, "payload": payload}

    replacement = [to_json(user_message("summary of before"))]
    lines = [
        env("session_meta", {"id": "s"}),
        env("response_item", to_json(user_message("old"))),
        env("compacted", {"message": "sum", "replacement_history": replacement}),
        env("response_item", to_json(user_message("new"))),
    ]
    saved = read_rollout(write_lines(tmp_path / "r.jsonl", lines))
    assert [i.text for i in saved.items if isinstance(i, MessageItem)] == [
        "summary of before",
        "new",
    ]
    lines[2] = env("compacted", {"message": "the summary"})
    saved = read_rollout(write_lines(tmp_path / "r.jsonl", lines))
    assert [i.text for i in saved.items if isinstance(i, MessageItem)] == [
        "old",
        "the summary",
        "new",
    ]


def test_cleaning_drops_context_keeps_words_and_pairs_calls() -> None:
    def msg(role: str, *texts: str) -> dict[str, Any]:
        parts = [{"type": "input_text", "text": t} for t in texts]
        return {"type": "message", "role": role, "content": parts}

    raw = [
        msg("developer", "<permissions instructions>…"),
        msg("system", "you are"),
        msg("user", "# AGENTS.md instructions for /p\n\n<INSTRUCTIONS>x</INSTRUCTIONS>"),
        msg("user", "<environment_context>…</environment_context>", "real words"),
        msg("user", "  <USER_INSTRUCTIONS>old style</USER_INSTRUCTIONS>"),
        msg("user", "<user_shell_command>ls</user_shell_command>"),  # the user's act: kept
        {"type": "reasoning", "id": "rs_1", "summary": []},  # nothing to resend
        {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAA"},
        {"type": "function_call_output", "call_id": "early", "output": "x"},
        {"type": "function_call", "call_id": "early", "name": "f", "arguments": "{}"},
        {"type": "custom_tool_call", "call_id": "p1", "name": "apply_patch", "input": "*** B"},
        {"type": "custom_tool_call_output", "call_id": "p1", "output": "Success."},
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        {
            "type": "function_call_output",
            "call_id": "c1",
            "output": [{"type": "input_text", "text": "out"}],
        },
        {"type": "function_call_output", "call_id": "c1", "output": "again"},
        {"type": "function_call", "call_id": "lost", "name": "f", "arguments": "{}"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        {
            "type": "local_shell_call",
            "call_id": "l1",
            "action": {"type": "exec", "command": ["ls"]},
        },
        {"type": "function_call_output", "call_id": "l1", "output": "a"},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_image", "image_url": "data:x"}],
        },
    ]
    cleaned = clean_foreign(raw)
    assert cleaned.items == (
        user_message("real words"),
        user_message("<user_shell_command>ls</user_shell_command>"),
        ReasoningItem(id="rs_2", encrypted_content="gAAA"),
        FunctionCallItem(call_id="p1", name="apply_patch", arguments='{"input": "*** B"}'),
        FunctionCallOutputItem(call_id="p1", output="Success."),
        FunctionCallItem(call_id="c1", name="exec_command", arguments="{}"),
        FunctionCallOutputItem(call_id="c1", output="out"),
        WebSearchCallItem(id="ws_1"),
        LocalShellCallItem(call_id="l1", command=("ls",)),
        FunctionCallOutputItem(call_id="l1", output="a"),
        MessageItem(role="user", content=(InputImage("data:x"),)),
    )
    # developer, system, AGENTS.md, user_instructions, rs_1, early ×2, second c1 output,
    # lost (a web search call is kept: history, as in Codex)
    assert cleaned.dropped == 9


CALL_EVENTS = st.lists(
    st.tuples(st.sampled_from(["call", "output"]), st.sampled_from(["a", "b", "c"])),
    max_size=12,
)


@given(CALL_EVENTS)
def test_cleaned_calls_are_always_what_a_strict_server_accepts(
    events: list[tuple[str, str]],
) -> None:
    raw = [
        {"type": "function_call", "call_id": cid, "name": "f", "arguments": "{}"}
        if kind == "call"
        else {"type": "function_call_output", "call_id": cid, "output": "o"}
        for kind, cid in events
    ]
    open_calls: set[str] = set()
    for item in clean_foreign(raw).items:
        if isinstance(item, FunctionCallItem):
            assert item.call_id not in open_calls
            open_calls.add(item.call_id)
        else:
            assert isinstance(item, FunctionCallOutputItem) and item.call_id in open_calls
            open_calls.discard(item.call_id)
    assert not open_calls


def resume(saved: SavedSession, home: Path) -> RolloutWriter:
    now = datetime(2026, 12, 8, 9, 0, 0, tzinfo=UTC)
    return open_for_resume(saved, home, instructions="mine", cwd=Path("/w"), now=now)


def test_resuming_a_foreign_file_writes_a_new_linked_copy_and_never_the_source(
    tmp_path: Path,
) -> None:
    for fixture, sid, fmt in ((V2, V2_ID, "codex-v2"), (V020, V020_ID, "codex-0.20")):
        home = tmp_path / fmt
        source = place(fixture, home, sid)
        before = source.read_bytes()
        saved = read_rollout(source)
        with resume(saved, home) as writer:
            writer.record_items([user_message("next"), assistant_message("ok")])
        assert source.read_bytes() == before and source.stat().st_mtime == PAST
        assert writer.path != source
        assert writer.path.parent == home / "sessions" / "2026" / "12" / "08"
        meta = json.loads(writer.path.read_text().splitlines()[0])
        assert meta["resumed_from"] == {"path": str(source), "id": sid, "format": fmt}
        assert (meta["id"], meta["writer"], meta["instructions"]) == (sid, "pycodex", "mine")
        again = read_rollout(writer.path)
        assert again.format == "pycodex" and again.session_id == sid
        assert again.items == (*saved.items, user_message("next"), assistant_message("ok"))
        # the continuation is pycodex's own: the next resume appends to it in place
        with resume(again, home) as third:
            third.record_items([user_message("more")])
        assert third.path == writer.path
        assert read_rollout(writer.path).items[-1] == user_message("more")


def test_list_and_lookup_show_a_continued_session_once_as_its_continuation(
    tmp_path: Path,
) -> None:
    source = place(V2, tmp_path, V2_ID)
    [summary] = list_sessions(tmp_path)
    assert (summary.path, summary.preview, summary.cwd) == (
        source,
        "run echo hello",
        "/work/project",
    )
    assert find_session(tmp_path, V2_ID[:8]) == source
    assert find_latest_session(tmp_path) == source

    with resume(read_rollout(source), tmp_path) as writer:
        writer.record_items([user_message("next")])
    [summary] = list_sessions(tmp_path)
    assert (summary.session_id, summary.path, summary.preview) == (
        V2_ID,
        writer.path,
        "run echo hello",
    )
    assert find_session(tmp_path, V2_ID) == writer.path
    assert find_session(tmp_path, V2_ID[:8]) == writer.path
    assert find_latest_session(tmp_path) == writer.path
    assert len(list_sessions(tmp_path, limit=1)) == 1


def test_context_markers_of_current_codex_are_recognised() -> None:
    for text in (
        "<environment_context>\n<cwd>/p</cwd>\n</environment_context>",
        "# AGENTS.md instructions for /p\n\n<INSTRUCTIONS>\nx\n</INSTRUCTIONS>",
        "<skills_instructions>…</skills_instructions>",
        "<skill>\n<name>x</name></skill>",
        "\n<user_instructions>x</user_instructions>",
    ):
        assert is_context_text(text), text
    for text in ("please read AGENTS.md", "<div> in my html?", "<turn_aborted>x</turn_aborted>"):
        assert not is_context_text(text), text
