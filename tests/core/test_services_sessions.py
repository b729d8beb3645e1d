"""core.services.sessions and core.services.replay, without a UI: real files under a
CODEX_HOME in tmp_path, written by pycodex.storage as a session would write them."""

from __future__ import annotations

import json
from pathlib import Path

from pycodex.config.loader import load_config
from pycodex.config.overrides import CliOverrides
from pycodex.config.schema import Config
from pycodex.core.services.replay import replay_entries
from pycodex.core.services.sessions import SessionStore
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    LocalShellCallItem,
    ResponseItem,
    assistant_message,
    to_json,
    user_message,
)
from pycodex.storage.rollout import RolloutWriter

PATCH = "*** Begin Patch\n*** Add File: notes.txt\n+hello\n*** End Patch\n"


def _config(tmp_path: Path, toml: str = "") -> Config:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(toml, encoding="utf-8")
    env = {"HOME": str(tmp_path), "CODEX_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return load_config(codex_home=home, cwd=tmp_path, env=env, overrides=CliOverrides()).config


def _shell_output(text: str, code: int, seconds: float) -> str:
    return json.dumps(
        {"output": text, "metadata": {"exit_code": code, "duration_seconds": seconds}}
    )


ITEMS: list[ResponseItem] = [
    user_message("<environment_context>\n  <cwd>/x</cwd>\n</environment_context>"),
    user_message("list the files"),
    FunctionCallItem("c1", "shell", json.dumps({"command": ["ls", "-1"]})),
    FunctionCallOutputItem("c1", _shell_output("a.txt\n", 0, 0.25)),
    FunctionCallItem("c2", "apply_patch", json.dumps({"input": PATCH})),
    FunctionCallOutputItem("c2", "Success. Updated the following files:\nA notes.txt\n"),
    LocalShellCallItem("c3", ("false",)),  # no output recorded: exit code unknown
    FunctionCallItem("c4", "shell", json.dumps({"command": ["apply_patch", PATCH]})),
    FunctionCallItem("c5", "some_mcp_tool", "{}"),  # neither a command nor a patch
    assistant_message("There is one file."),
]

EXPECTED = [
    ("user", "list the files"),
    (
        "command",
        json.dumps(
            {"command": ["ls", "-1"], "output": "a.txt\n", "exit_code": 0, "duration": 0.25}
        ),
    ),
    (
        "patch",
        json.dumps(
            {
                "files": {"notes.txt": {"kind": "add", "content": "hello\n"}},
                "output": "Success. Updated the following files:\nA notes.txt\n",
            }
        ),
    ),
    (
        "command",
        json.dumps({"command": ["false"], "output": "", "exit_code": None, "duration": 0.0}),
    ),
    (
        "patch",
        json.dumps({"files": {"notes.txt": {"kind": "add", "content": "hello\n"}}, "output": ""}),
    ),
    ("assistant", "There is one file."),
]


def test_replay_entries_choose_and_shape_what_a_resumed_session_shows() -> None:
    assert replay_entries(ITEMS) == EXPECTED


def _write_session(home: Path, cwd: Path, session_id: str, items: list[ResponseItem]) -> Path:
    with RolloutWriter.create(home, session_id, instructions=None, cwd=cwd) as writer:
        for item in items:
            writer.record_json(to_json(item))
        return writer.path


def test_replay_reads_a_saved_session_file(tmp_path: Path) -> None:
    config = _config(tmp_path)
    path = _write_session(
        config.codex_home, tmp_path, "11111111-0000-4000-8000-000000000000", ITEMS
    )
    store = SessionStore(config)
    assert list(store.replay(path)) == EXPECTED
    assert list(store.replay(tmp_path / "missing.jsonl")) == []


def test_list_sessions_finds_the_saved_ones(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for n, text in enumerate(("first prompt", "second prompt")):
        sid = f"0000000{n}-0000-4000-8000-000000000000"
        _write_session(config.codex_home, tmp_path, sid, [user_message(text)])
    rows = SessionStore(config).list_sessions()
    assert sorted((r.session_id, r.preview) for r in rows) == [
        ("00000000-0000-4000-8000-000000000000", "first prompt"),
        ("00000001-0000-4000-8000-000000000000", "second prompt"),
    ]


def test_history_is_appended_and_read_back_oldest_first(tmp_path: Path) -> None:
    store = SessionStore(_config(tmp_path))
    assert list(store.load_history()) == []
    store.append_history("s1", "first")
    store.append_history("s2", "second")
    assert list(store.load_history()) == ["first", "second"]


def test_history_off_neither_reads_nor_writes(tmp_path: Path) -> None:
    on = SessionStore(_config(tmp_path))
    on.append_history("s1", "kept before")
    off = SessionStore(_config(tmp_path, '[history]\npersistence = "none"\n'))
    off.append_history("s1", "not kept")
    assert list(off.load_history()) == []
    assert list(on.load_history()) == ["kept before"]


def test_set_trust_persists_and_a_failure_is_a_warning(tmp_path: Path) -> None:
    config = _config(tmp_path)
    warnings: list[str] = []
    SessionStore(config, warn=warnings.append).set_trust(tmp_path, True)
    text = (config.codex_home / "config.toml").read_text(encoding="utf-8")
    assert 'trust_level = "trusted"' in text and warnings == []

    blocked = tmp_path / "not-a-dir"
    blocked.write_text("", encoding="utf-8")  # CODEX_HOME is a file: nothing can be saved
    broken = SessionStore(Config(codex_home=blocked, cwd=tmp_path), warn=warnings.append)
    broken.set_trust(tmp_path, False)
    assert len(warnings) == 1 and warnings[0].startswith("could not save the trust setting: ")
