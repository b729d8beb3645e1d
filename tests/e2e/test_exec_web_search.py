"""The first hosted tool through the real CLI: `--search` / `[tools] web_search` offer the
Responses API's `web_search`; its calls are shown, kept in the session file and sent back;
a Chat provider is refused at start-up."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import codex, write_config
from tests.support.model_server import ScriptedModelServer, Turn

WEB_SEARCH_TOOL = {"type": "web_search", "external_web_access": True}


def _rollout_items(home: Path) -> list[dict[str, object]]:
    [path] = list((home / "sessions").rglob("rollout-*.jsonl"))
    items: list[dict[str, object]] = []
    for line in path.read_text().splitlines():
        data = json.loads(line)
        payload = data.get("payload", data) if isinstance(data, dict) else {}
        if isinstance(payload, dict) and payload.get("type") == "web_search_call":
            items.append(payload)
    return items


def test_search_flag_offers_web_search_and_reports_the_call_in_json(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(
        Turn(web_searches=["pycodex release notes"], text="found it"),
        Turn(text="second answer"),
    )
    res = codex(["exec", "--search", "--json", "look it up"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    [request] = model_server.model_requests
    assert request.body is not None
    tools = request.body["tools"]
    assert tools[-1] == WEB_SEARCH_TOOL
    assert [t.get("name") for t in tools[:-1]] == ["shell", "update_plan", "apply_patch"]
    # one web_search item (schema-checked by res.events), before the answer
    items = res.items()
    assert [i["type"] for i in items] == ["web_search", "agent_message"]
    assert items[0] == {
        "id": items[0]["id"],
        "type": "web_search",
        "query": "pycodex release notes",
        "action": {"type": "search", "query": "pycodex release notes"},
    }
    recorded = _rollout_items(codex_home)
    assert [r.get("action") for r in recorded] == [
        {"type": "search", "query": "pycodex release notes"}
    ]

    # resumed: the call is history, sent back to the model (without its id, as Codex)
    res2 = codex(["exec", "--search", "--json", "resume", "--last", "more"], cwd=repo, env=env)
    assert res2.rc == 0, res2.err
    second = model_server.model_requests[1].body
    assert second is not None
    sent = [i for i in second["input"] if i.get("type") == "web_search_call"]
    assert sent == [
        {
            "type": "web_search_call",
            "status": "completed",
            "action": {"type": "search", "query": "pycodex release notes"},
        }
    ]


def test_tools_web_search_in_config_shows_the_search_in_human_output(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(
        codex_home, model_server.base_url, top="[tools]\nweb_search = true\nview_image = true\n"
    )
    model_server.push(Turn(web_searches=["weather in Paris"], text="sunny"))
    res = codex(["exec", "what is the weather"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    [request] = model_server.model_requests
    assert request.body is not None and request.body["tools"][-1] == WEB_SEARCH_TOOL
    search_lines = [line for line in res.out.splitlines() if "web search" in line]
    assert len(search_lines) == 1 and search_lines[0].endswith("web search weather in Paris")
    assert "sunny" in res.out
    # other [tools] keys are newer Codex keys: warned, not errors
    assert "`tools.view_image` is a newer Codex key, ignored by pycodex" in res.err


def test_without_search_no_hosted_tool_is_offered(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="plain"))
    res = codex(["exec", "--json", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    [request] = model_server.model_requests
    assert request.body is not None
    assert all(t.get("type") == "function" for t in request.body["tools"])


def test_a_chat_provider_with_search_is_refused_at_start_up(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url, wire="chat")
    res = codex(["exec", "--search", "hi"], cwd=repo, env=env)
    assert res.rc == 2
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1, res.err
    assert "web search" in lines[0] and "`mock`" in lines[0] and "chat wire" in lines[0]
    assert model_server.model_requests == []
