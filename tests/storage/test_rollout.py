"""Rollout files: layout, round trip, torn lines, resume, lookup, and survival of kill -9."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    MessageItem,
    ReasoningItem,
    WebSearchCallItem,
    assistant_message,
    user_message,
)
from pycodex.storage.rollout import (
    COMPACTED_RECORD,
    AmbiguousSessionError,
    RolloutWriter,
    SessionFileError,
    find_latest_session,
    find_session,
    list_sessions,
    read_rollout,
)

SID = "0199b7c2-5d3e-7a10-9f00-1234567890ab"
ITEMS = (
    user_message("fix the bug in utils.py"),
    ReasoningItem(id="rs_1", summary=("looking",), encrypted_content="enc"),
    FunctionCallItem(call_id="call_1", name="shell", arguments='{"command":["ls"]}'),
    FunctionCallOutputItem(call_id="call_1", output='{"output":"a.py\\n"}'),
    assistant_message("Done: ünïcode ✓", item_id="msg_1"),
)


def new_session(
    home: Path,
    sid: str = SID,
    now: datetime | None = None,
    git: dict[str, str] | None = None,
) -> RolloutWriter:
    return RolloutWriter.create(
        home, sid, instructions="be brief", cwd=Path("/w"), now=now, git=git
    )


def test_layout_meta_line_and_modes(tmp_path: Path) -> None:
    now = datetime(2026, 11, 25, 15, 58, 12, 151000, tzinfo=UTC)
    git = {"commit_hash": "abc", "branch": "main"}
    with new_session(tmp_path, now=now, git=git) as writer:
        writer.record_items(ITEMS)
    local = now.astimezone()
    expected_dir = tmp_path / "sessions" / local.strftime("%Y/%m/%d")
    stamp = local.strftime("%Y-%m-%dT%H-%M-%S")
    assert writer.path == expected_dir / f"rollout-{stamp}-{SID}.jsonl"
    assert stat.S_IMODE(writer.path.stat().st_mode) == 0o600
    for d in (tmp_path / "sessions", expected_dir.parent.parent, expected_dir.parent, expected_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    lines = writer.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(ITEMS)
    meta = json.loads(lines[0])
    assert meta == {
        "id": SID,
        "timestamp": "2026-11-25T15:58:12.151Z",
        "instructions": "be brief",
        "cwd": "/w",
        "git": git,
        "originator": "codex_cli_rs",
        "cli_version": meta["cli_version"],
        "writer": "pycodex",  # marks the file as pycodex's own (resumed in place)
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", meta["cli_version"])
    assert json.loads(lines[2])["type"] == "reasoning"


def test_round_trip(tmp_path: Path) -> None:
    with new_session(tmp_path) as writer:
        writer.record_items(ITEMS[:2])
        writer.record_items(ITEMS[2:])
    saved = read_rollout(writer.path)
    assert saved.session_id == SID
    assert saved.items == ITEMS
    assert saved.meta["instructions"] == "be brief"
    assert saved.skipped_lines == 0


def test_a_compaction_marker_replaces_the_history_before_it(tmp_path: Path) -> None:
    summary = assistant_message("Summary: fixed utils.py; next: run the tests")
    with new_session(tmp_path) as writer:
        writer.record_items(ITEMS)
        writer.record_json({"record_type": COMPACTED_RECORD})
        writer.record_items([summary, user_message("now run them")])
    saved = read_rollout(writer.path)
    assert saved.items == (summary, user_message("now run them"))


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    with new_session(tmp_path) as writer:
        writer.record_items(ITEMS)
    with writer.path.open("ab") as fh:
        fh.write(b'{"type":"message","role":"assistant","content":[{"type":"out')
    saved = read_rollout(writer.path)
    assert saved.items == ITEMS
    assert saved.skipped_lines == 1


def test_resume_cuts_the_torn_tail_then_appends(tmp_path: Path) -> None:
    with new_session(tmp_path) as writer:
        writer.record_items(ITEMS[:3])
    with writer.path.open("ab") as fh:
        fh.write(b'{"type":"function_call_output","call_id":"ca')
    with RolloutWriter.append_to(writer.path) as resumed:
        resumed.record_items(ITEMS[3:])
    saved = read_rollout(writer.path)
    assert (saved.items, saved.skipped_lines) == (ITEMS, 0)
    for line in writer.path.read_text().splitlines():
        json.loads(line)  # valid JSONL throughout


def test_writer_refuses_after_close_and_unsafe_ids(tmp_path: Path) -> None:
    writer = new_session(tmp_path)
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.record_items(ITEMS)
    with pytest.raises(ValueError, match="session id"):
        new_session(tmp_path, sid="../escape")


def test_reads_a_codex_v020_rollout(tmp_path: Path) -> None:
    path = tmp_path / f"rollout-2025-08-10T10-00-00-{SID}.jsonl"
    lines = [
        {
            "id": SID,
            "timestamp": "2025-08-10T10:00:00.000Z",
            "instructions": None,
            "git": {"commit_hash": "c0ffee", "branch": "master"},
        },
        {"record_type": "state"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        {"record_type": "state"},
        {
            "type": "reasoning",
            "id": "rs_9",
            "summary": [{"type": "summary_text", "text": "t"}],
            "encrypted_content": "gAAA",
        },
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        {
            "type": "message",
            "id": "msg_9",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "hello"}],
        },
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    saved = read_rollout(path)
    assert saved.session_id == SID
    assert saved.meta["git"]["branch"] == "master"
    # a web search call is history too (kept and sent back, as Codex does)
    assert [type(i) for i in saved.items] == [
        MessageItem,
        ReasoningItem,
        WebSearchCallItem,
        MessageItem,
    ]
    assert saved.items[-1] == assistant_message("hello", item_id="msg_9")


def test_reads_the_later_codex_envelope_format(tmp_path: Path) -> None:
    path = tmp_path / f"rollout-2025-12-08T00-37-46-{SID}.jsonl"
    ts = "2025-12-08T00:37:46.102Z"
    lines = [
        {"timestamp": ts, "type": "session_meta", "payload": {"id": SID, "cwd": "/p"}},
        {"timestamp": ts, "type": "turn_context", "payload": {"model": "o4-mini"}},
        {"timestamp": ts, "type": "response_item", "payload": to_user_json("again")},
        {"timestamp": ts, "type": "event_msg", "payload": {"type": "token_count"}},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    saved = read_rollout(path)
    assert (saved.session_id, saved.meta["cwd"]) == (SID, "/p")
    assert saved.items == (user_message("again"),)


def to_user_json(text: str) -> dict[str, object]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_a_file_without_metadata_or_id_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "random.jsonl"
    path.write_text("garbage\n")
    with pytest.raises(SessionFileError, match="not a session file"):
        read_rollout(path)
    with pytest.raises(SessionFileError, match="cannot read"):
        read_rollout(tmp_path / "missing.jsonl")


def test_find_session_by_id_prefix_and_latest(tmp_path: Path) -> None:
    ids = [
        "aaaa1111-0000-0000-0000-000000000001",
        "aaaa2222-0000-0000-0000-000000000002",
        "bbbb3333-0000-0000-0000-000000000003",
    ]
    paths = []
    for n, sid in enumerate(ids):
        now = datetime(2026, 1, 1 + n, 12, 0, 0, tzinfo=UTC)
        with new_session(tmp_path, sid=sid, now=now) as w:
            w.record_items([user_message(f"task {n}")])
        paths.append(w.path)
        os.utime(w.path, (1_700_000_000 + n, 1_700_000_000 + n))
    assert find_session(tmp_path, ids[1]) == paths[1]
    assert find_session(tmp_path, ids[1].upper()) == paths[1]
    assert find_session(tmp_path, "bbbb") == paths[2]
    assert find_session(tmp_path, "cccc") is None
    assert find_session(tmp_path, "") is None
    with pytest.raises(AmbiguousSessionError, match="matches 2 sessions"):
        find_session(tmp_path, "aaaa")
    assert find_latest_session(tmp_path) == paths[2]
    os.utime(paths[0], (1_800_000_000, 1_800_000_000))  # resumed: recently written
    assert find_latest_session(tmp_path) == paths[0]


def test_nothing_saved_yet(tmp_path: Path) -> None:
    assert find_latest_session(tmp_path) is None
    assert find_session(tmp_path, SID) is None
    assert list_sessions(tmp_path) == []


def test_list_sessions_previews_first_real_user_message(tmp_path: Path) -> None:
    first = "aaaa1111-0000-0000-0000-000000000001"
    second = "bbbb2222-0000-0000-0000-000000000002"
    with new_session(tmp_path, sid=first) as w1:
        w1.record_items(
            [
                user_message("<environment_context>cwd: /w</environment_context>"),
                user_message("Refactor   utils\n and add tests " + "x" * 100),
                assistant_message("ok"),
            ]
        )
    with new_session(tmp_path, sid=second) as w2:
        pass
    os.utime(w1.path, (1_700_000_000, 1_700_000_000))
    os.utime(w2.path, (1_700_000_100, 1_700_000_100))
    summaries = list_sessions(tmp_path)
    assert [s.session_id for s in summaries] == [second, first]
    assert summaries[0].preview is None
    preview = summaries[1].preview
    assert preview is not None and preview.startswith("Refactor utils and add tests x")
    assert len(preview) == 80 and preview.endswith("…")
    assert summaries[1].cwd == "/w"
    assert summaries[1].timestamp.endswith("Z")
    assert len(list_sessions(tmp_path, limit=1)) == 1


WRITER_SCRIPT = """
import sys
from pathlib import Path
from pycodex.protocol.items import user_message
from pycodex.storage.rollout import RolloutWriter
w = RolloutWriter.create(Path(sys.argv[1]), sys.argv[2], instructions=None, cwd=Path("."))
print(w.path, flush=True)
i = 0
while True:
    w.record_items([user_message(f"item {i} " + "y" * (i % 5000))])
    i += 1
    if i == 300:
        print("ready", flush=True)
"""


def test_rollout_survives_kill_9_and_resumes(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(tmp_path), SID],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = Path(proc.stdout.readline().strip())
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGKILL)  # mid-loop: the writer never gets to clean up
    finally:
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    saved = read_rollout(path)
    count = len(saved.items)
    assert count >= 300
    assert saved.skipped_lines <= 1
    texts = [i.text for i in saved.items if isinstance(i, MessageItem)]
    assert [t.split(" ")[:2] for t in texts] == [["item", str(n)] for n in range(count)]
    with RolloutWriter.append_to(path) as resumed:
        resumed.record_items([assistant_message("after the crash")])
    again = read_rollout(path)
    assert again.skipped_lines == 0
    assert again.items == (*saved.items, assistant_message("after the crash"))
    assert find_session(tmp_path, SID[:8]) == path
