"""Resuming another CLI's session through the real `codex exec` (issue 13, finding 5).

The sources are genuine rollouts: ``codex020-rollout.jsonl`` written by Codex v0.20 and
``codex0171-rollout.jsonl`` by Codex v0.171 (its prompt texts replaced by placeholders), both
against the scripted model server. After a resume the request must carry the old
conversation and none of the other CLI's own context; the source file must stay byte for
byte as it was; the new pycodex rollout must link to it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from tests.e2e.harness import codex, user_texts, write_config
from tests.support.model_server import ScriptedModelServer, Turn

FIXTURES = Path(__file__).parent.parent / "storage" / "fixtures"
V020 = FIXTURES / "codex020-rollout.jsonl"
V020_ID = "04db80a3-eb01-45b5-b83f-a3eeb86c12b8"
V2 = FIXTURES / "codex0171-rollout.jsonl"
V2_ID = "01a25282-18b5-73e0-8e2d-31e02c53a82f"
OLD_CONVERSATION = ["run echo hello", "and again"]
FOREIGN_MARKERS = (
    "real Codex prompt removed",  # the placeholder of every foreign context text
    "<skills_instructions>",
    "<permissions instructions>",
    "# AGENTS.md instructions for /work/project",
)
PAST = 1_600_000_000  # an mtime far from now: a touched source would show


def place(source: Path, home: Path) -> Path:
    """The fixture copied where its CLI keeps it, with an old mtime."""
    day = home / "sessions" / "2026" / "12" / "07"
    day.mkdir(parents=True, exist_ok=True)
    sid = V020_ID if source == V020 else V2_ID
    target = day / f"rollout-2026-12-07T21-55-46-{sid}.jsonl"
    shutil.copyfile(source, target)
    os.utime(target, (PAST, PAST))
    return target


def rollouts(home: Path) -> list[Path]:
    return sorted((home / "sessions").glob("*/*/*/rollout-*.jsonl"))


def assert_strict_pairs(body: dict[str, Any]) -> None:
    """What a strict Responses server demands: every output after its call, every call
    answered."""
    open_calls: set[str] = set()
    for item in body["input"]:
        kind = item.get("type")
        if kind in ("function_call", "local_shell_call"):
            open_calls.add(item["call_id"])
        elif kind == "function_call_output":
            assert item["call_id"] in open_calls, f"output without its call: {item}"
            open_calls.discard(item["call_id"])
    assert not open_calls, f"calls without output: {open_calls}"


def assert_no_foreign_context(body: dict[str, Any]) -> None:
    text = json.dumps(body["input"])
    for marker in FOREIGN_MARKERS:
        assert marker not in text, marker
    roles = [i.get("role") for i in body["input"] if i.get("type") == "message"]
    assert "developer" not in roles and "system" not in roles
    contexts = [t for t in user_texts(body) if t.startswith("<environment_context>")]
    assert len(contexts) == 1  # pycodex's own, regenerated


def assistant_texts(body: dict[str, Any]) -> list[str]:
    return [
        p["text"]
        for i in body["input"]
        if i.get("type") == "message" and i.get("role") == "assistant"
        for p in i["content"]
    ]


def meta_of(path: Path) -> dict[str, Any]:
    first: dict[str, Any] = json.loads(path.read_text().splitlines()[0])
    return first


def test_exec_resume_of_a_current_codex_session_continues_in_a_new_linked_file(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    source = place(V2, codex_home)
    before = source.read_bytes()
    model_server.push(Turn(text="Third answer."), Turn(text="Fourth answer."))

    first = codex(["exec", "resume", V2_ID[:8], "next question"], cwd=repo, env=env)
    assert first.rc == 0, first.err

    body = model_server.wait_for_requests(1, timeout=10)[0].body
    assert body is not None
    assert [t for t in user_texts(body) if not t.startswith("<")] == [
        *OLD_CONVERSATION,
        "next question",
    ]
    assert assistant_texts(body) == ["The command printed hello.", "Second answer."]
    calls = [i for i in body["input"] if i.get("type") == "function_call"]
    assert [c["name"] for c in calls] == ["exec_command"]  # a consistent pair: kept
    assert_strict_pairs(body)
    assert_no_foreign_context(body)

    assert source.read_bytes() == before
    assert source.stat().st_mtime == PAST
    new = [p for p in rollouts(codex_home) if p != source]
    assert len(new) == 1
    meta = meta_of(new[0])
    assert meta["id"] == V2_ID and meta["writer"] == "pycodex"
    assert meta["resumed_from"] == {"path": str(source), "id": V2_ID, "format": "codex-v2"}

    # Resuming again (--last) continues the pycodex file in place: no third file, and the
    # whole conversation, the source's part included, is sent.
    second = codex(["exec", "resume", "--last", "once more"], cwd=repo, env=env)
    assert second.rc == 0, second.err
    body2 = model_server.wait_for_requests(2, timeout=10)[1].body
    assert body2 is not None
    assert [t for t in user_texts(body2) if not t.startswith("<")] == [
        *OLD_CONVERSATION,
        "next question",
        "once more",
    ]
    assert assistant_texts(body2)[-1] == "Third answer."
    assert_strict_pairs(body2)
    assert_no_foreign_context(body2)
    assert [p for p in rollouts(codex_home) if p != source] == new
    assert source.read_bytes() == before and source.stat().st_mtime == PAST


def test_experimental_resume_of_a_codex_020_file_leaves_it_untouched(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    source = repo.parent / "old-session.jsonl"  # v0.20's -c form takes any path
    shutil.copyfile(V020, source)
    os.utime(source, (PAST, PAST))
    before = source.read_bytes()
    model_server.push(Turn(text="Third answer."))

    result = codex(
        ["exec", "-c", f"experimental_resume={source}", "next question"], cwd=repo, env=env
    )
    assert result.rc == 0, result.err

    body = model_server.wait_for_requests(1, timeout=10)[0].body
    assert body is not None
    assert [t for t in user_texts(body) if not t.startswith("<")] == [
        *OLD_CONVERSATION,
        "next question",
    ]
    assert assistant_texts(body) == ["The command printed hello.", "Second answer."]
    assert_strict_pairs(body)
    assert_no_foreign_context(body)
    assert source.read_bytes() == before and source.stat().st_mtime == PAST
    (new,) = rollouts(codex_home)
    meta = meta_of(new)
    assert meta["id"] == V020_ID
    assert meta["resumed_from"] == {"path": str(source), "id": V020_ID, "format": "codex-0.20"}
    lines = new.read_text().splitlines()
    assert "next question" in lines[-2] and "Third answer." in lines[-1]


def test_exec_resume_of_a_pycodex_session_appends_in_place(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="First."), Turn(text="Second."))
    assert codex(["exec", "hello"], cwd=repo, env=env).rc == 0
    (own,) = rollouts(codex_home)
    size = own.stat().st_size

    assert codex(["exec", "resume", "--last", "again"], cwd=repo, env=env).rc == 0

    assert rollouts(codex_home) == [own]
    assert own.stat().st_size > size
    assert "resumed_from" not in meta_of(own)
    body = model_server.wait_for_requests(2, timeout=10)[1].body
    assert body is not None
    assert [t for t in user_texts(body) if not t.startswith("<")] == ["hello", "again"]
