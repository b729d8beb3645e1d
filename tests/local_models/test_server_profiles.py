"""The real client against the scripted server playing real local servers (server profiles).

Each test names the quirk it covers; the profile makes the emulated server as strict as the
real one, so a request pycodex got wrong fails here the way it fails in the field.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from pycodex.config.schema import ModelProviderInfo
from pycodex.models.base import (
    Completed,
    FunctionTool,
    ModelEvent,
    ModelRequestOptions,
    Notice,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    Retrying,
)
from pycodex.models.client import EMPTY_BODY, create_model_client
from pycodex.protocol.errors import ProviderHttpError, StreamDisconnected
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputText,
    MessageItem,
    ResponseItem,
    assistant_message,
    user_message,
)
from pycodex.protocol.policy import WireApi
from tests.support.model_server import (
    Fault,
    ScriptedModelServer,
    ServerProfile,
    ToolCall,
    Turn,
)

SHELL = FunctionTool(
    "shell",
    "Runs a shell command",
    {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}},
)
LS = {"command": ["ls", "-la"]}


def _history() -> tuple[ResponseItem, ...]:
    """After a tool call: an assistant turn that carried only the call (with padded
    arguments), its output, a developer message, and the next user message."""
    return (
        user_message("list files"),
        FunctionCallItem("call_1", "shell", ' {"command": ["ls"]}\n'),
        FunctionCallOutputItem("call_1", "a.txt"),
        MessageItem("developer", (InputText("Prefer short answers."),)),
        user_message("and now?"),
    )


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def server_factory() -> Iterator[Any]:
    servers: list[ScriptedModelServer] = []

    def make(profile: str | ServerProfile, *steps: Any, **kw: Any) -> ScriptedModelServer:
        server = ScriptedModelServer(steps, profile=profile, wires=("chat",), **kw).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def provider(server: ScriptedModelServer, **kw: Any) -> ModelProviderInfo:
    fields: dict[str, Any] = {
        "id": "local",
        "name": "Local",
        "base_url": server.base_url,
        "wire_api": WireApi.CHAT,
        "request_max_retries": 3,
        "stream_max_retries": 2,
    }
    return ModelProviderInfo(**(fields | kw))


def run(
    prov: ModelProviderInfo,
    prompt: Prompt | None = None,
    *,
    options: ModelRequestOptions | None = None,
    sleeps: Sleeps | None = None,
) -> list[ModelEvent]:
    client = create_model_client(
        prov, options or ModelRequestOptions(model="local-model"), env={}, sleep=sleeps or Sleeps()
    )
    prompt = prompt or Prompt("be brief", _history(), (SHELL,))

    async def main() -> list[ModelEvent]:
        return [e async for e in client.stream(prompt)]

    return asyncio.run(asyncio.wait_for(main(), 20))


def items(events: list[ModelEvent]) -> list[Any]:
    return [e.item for e in events if isinstance(e, OutputItemDone)]


def shown(events: list[ModelEvent]) -> str:
    return "".join(e.delta for e in events if isinstance(e, OutputTextDelta))


def completed(events: list[ModelEvent]) -> Completed:
    last = events[-1]
    assert isinstance(last, Completed)
    return last


# --- requests every server accepts ---------------------------------------------------


@pytest.mark.parametrize("profile", ["llamacpp", "llamacpp-python", "vllm", "lmstudio", "ollama"])
def test_history_after_a_tool_call_is_accepted_by_every_profile(
    server_factory: Any, profile: str
) -> None:
    server = server_factory(profile, Turn(text="done"))
    events = run(provider(server))
    assert items(events) == [assistant_message("done")]
    (req,) = server.model_requests
    messages = req.body["messages"] if req.body else []
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "user"]
    assert messages[0]["content"] == "be brief\n\nPrefer short answers."  # developer folded in
    assert messages[2]["content"] == ""  # never null
    assert messages[2]["tool_calls"][0]["function"]["arguments"] == '{"command":["ls"]}'


def test_the_emulation_is_strict_null_content_and_late_system_are_refused(
    server_factory: Any,
) -> None:
    """What pycodex avoids really breaks these servers (so the test above means something)."""
    import urllib.request

    server = server_factory("llamacpp", Turn(text="never used"))

    def post(messages: list[dict[str, Any]]) -> int:
        body = json.dumps({"model": "m", "messages": messages, "stream": True}).encode()
        req = urllib.request.Request(server.base_url + "/chat/completions", body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    null: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": []}
    assert post([{"role": "user", "content": "hi"}, null]) == 400
    late = [{"role": "user", "content": "hi"}, {"role": "system", "content": "x"}]
    assert post(late) == 500
    assert server.remaining == 1  # refusals consume no script step


# --- tolerant stream parsing ---------------------------------------------------------


@pytest.mark.parametrize(
    "quirks",
    [
        {"repeat_call_header": True},
        {"legacy_function_call": True},
        {"legacy_function_call": True, "repeat_call_header": True},
        {"omit_call_index": True, "repeat_call_header": True},
        {"args_whitespace": True, "args_in_one_chunk": True, "omit_call_index": True},
        {"ping_comments": True, "created": False, "model_echo": "something-else"},
    ],
    ids=["repeat", "legacy", "legacy+repeat", "noindex+repeat", "whitespace", "ping"],
)
def test_tool_call_chunks_are_assembled_once(server_factory: Any, quirks: dict[str, Any]) -> None:
    turn = Turn(tool_calls=[ToolCall("shell", LS, call_id="call_a")], chunk_size=3)
    server = server_factory(ServerProfile(**quirks), turn)
    events = run(provider(server))
    (call,) = items(events)
    assert isinstance(call, FunctionCallItem)
    assert (call.call_id, call.name) == ("call_a", "shell")
    assert json.loads(call.arguments) == LS


def test_only_the_legacy_field_still_gives_the_call() -> None:
    """A server that sends ``function_call`` alone (no ``tool_calls``)."""
    from pycodex.models.chat_api import ChatParser
    from pycodex.models.sse import SseEvent

    frames = [
        {"choices": [{"index": 0, "delta": {"function_call": {"name": "shell", "arguments": ""}}}]},
        {"choices": [{"index": 0, "delta": {"function_call": {"arguments": '{"command"'}}}]},
        {"choices": [{"index": 0, "delta": {"function_call": {"arguments": ': ["ls", "-la"]}'}}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "function_call"}]},
    ]
    parser = ChatParser()
    for f in frames:
        parser.feed(SseEvent("message", json.dumps(f)))
    out = parser.finish()
    (call,) = [e.item for e in out if isinstance(e, OutputItemDone)]
    assert isinstance(call, FunctionCallItem)
    assert call.name == "shell" and json.loads(call.arguments) == LS


def test_no_usage_is_estimated_and_marked(server_factory: Any) -> None:
    server = server_factory("lmstudio", Turn(text="a reply of some length" * 4))
    events = run(provider(server))
    usage = completed(events).usage
    assert usage is not None and usage.estimated
    assert usage.input_tokens > 10 and usage.output_tokens >= 20
    assert items(events) == [assistant_message("a reply of some length" * 4)]


def test_reported_usage_is_not_marked_estimated(server_factory: Any) -> None:
    server = server_factory("vllm", Turn(text="hi"))
    usage = completed(run(provider(server))).usage
    assert usage is not None and not usage.estimated


def test_empty_200_body_is_retried_then_reported(server_factory: Any) -> None:
    server = server_factory("openai", *[Fault.empty_body()] * 5)
    sleeps = Sleeps()
    with pytest.raises(StreamDisconnected, match=EMPTY_BODY) as err:
        run(provider(server, stream_max_retries=10), sleeps=sleeps)
    assert len(server.model_requests) == 3  # a small budget of its own: 1 + 2 retries
    assert len(sleeps.delays) == 2
    assert "larger than their context" in str(err.value)


def test_empty_200_body_then_a_good_answer(server_factory: Any) -> None:
    server = server_factory("openai", Fault.empty_body(), Turn(text="fine"))
    events = run(provider(server))
    assert any(isinstance(e, Retrying) and EMPTY_BODY in e.reason for e in events)
    assert items(events) == [assistant_message("fine")]


def test_stream_without_done_or_finish_reason_is_never_a_completed_turn(
    server_factory: Any,
) -> None:
    cut = Fault.cut(after_events=3, graceful=True, turn=Turn(text="half an answer"))
    server = server_factory("openai", cut, cut, cut)
    with pytest.raises(StreamDisconnected, match="before completion"):
        run(provider(server))


def test_missing_done_marker_with_finish_reason_completes(server_factory: Any) -> None:
    server = server_factory(ServerProfile(done_marker=False), Turn(text="ok"))
    assert items(run(provider(server))) == [assistant_message("ok")]


# --- tool_choice -----------------------------------------------------------------------


def test_server_that_calls_tools_only_with_tool_choice(server_factory: Any) -> None:
    turn = Turn(tool_calls=[ToolCall("shell", LS)])
    server = server_factory("llamacpp-python", turn, turn)
    without = items(run(provider(server)))
    assert not any(isinstance(i, FunctionCallItem) for i in without)
    with_choice = items(run(provider(server, tool_choice="auto")))
    assert [i.name for i in with_choice if isinstance(i, FunctionCallItem)] == ["shell"]
    bodies = [r.body or {} for r in server.model_requests]
    assert "tool_choice" not in bodies[0] and bodies[1]["tool_choice"] == "auto"


def test_vllm_refusing_auto_is_retried_once_without_tool_choice(server_factory: Any) -> None:
    server = server_factory("vllm", Turn(tool_calls=[ToolCall("shell", LS)]))
    events = run(provider(server, tool_choice="auto"))
    assert [i.name for i in items(events)] == ["shell"]
    reqs = server.requests
    assert [r.served for r in reqs] == ["rejected", "turn"]
    assert "tool_choice" not in (reqs[1].body or {})


@pytest.mark.parametrize("choice", ["required", "none"])
def test_tool_choice_values_are_sent_as_configured(server_factory: Any, choice: str) -> None:
    server = server_factory("openai", Turn(text="x"))
    run(provider(server, tool_choice=choice))
    assert (server.model_requests[0].body or {})["tool_choice"] == choice


def test_omit_sends_no_tool_choice_on_the_responses_wire(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="x"))
    prov = provider(model_server, wire_api=WireApi.RESPONSES, tool_choice="omit")
    run(prov)
    assert "tool_choice" not in (model_server.model_requests[0].body or {})


# --- 500 with a traceback ------------------------------------------------------------


def test_the_emulated_python_server_answers_a_bad_request_like_the_real_one(
    server_factory: Any,
) -> None:
    import urllib.request

    server = server_factory("llamacpp-python")
    body = json.dumps(
        {"model": "m", "messages": [{"role": "assistant", "content": None}], "stream": True}
    ).encode()
    req = urllib.request.Request(server.base_url + "/chat/completions", body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 500
    message = json.loads(info.value.read())["error"]["message"]
    assert "validation errors" in message and 'File "' in message


# Captured from llama-cpp-python 0.3.36 (`python -m llama_cpp.server`) for a message with
# role "developer" (two of its seven validation errors kept).
LLAMA_CPP_PYTHON_500 = {
    "error": {
        "message": "7 validation errors:\n  {'type': 'literal_error', 'loc': ('body', "
        "'messages', 0, 'ChatCompletionRequestSystemMessage', 'role'), 'msg': \"Input should "
        "be 'system'\", 'input': 'developer', 'ctx': {'expected': \"'system'\"}}\n  {'type': "
        "'missing', 'loc': ('body', 'messages', 0, 'ChatCompletionRequestFunctionMessage', "
        "'name'), 'msg': 'Field required', 'input': {'role': 'developer', 'content': 'hi'}}"
        '\n\n  File "/srv/llama_cpp/server/app.py", line 376, in create_chat_completion\n'
        "    POST /v1/chat/completions",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}


def test_llama_cpp_python_validation_500_is_not_retried(server_factory: Any) -> None:
    server = server_factory(
        "openai", Fault.http_status(500, body=LLAMA_CPP_PYTHON_500), Turn(text="no")
    )
    sleeps = Sleeps()
    with pytest.raises(ProviderHttpError) as err:
        run(provider(server), sleeps=sleeps)
    assert len(server.model_requests) == 1 and sleeps.delays == []
    message = str(err.value)
    assert message.startswith("unexpected status 500: 7 validation errors: {'type'")
    assert "File " not in message and "POST /v1" not in message
    assert len(message) < 340


TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/x/app.py", line 5, in create\n'
    "    body = Request(**raw)\n"
    "pydantic_core._pydantic_core.ValidationError: 1 validation error for Request\n"
    "messages.1.content\n  Input should be a valid string [type=string_type]\n"
)


def test_validation_traceback_is_not_retried_and_is_shortened(server_factory: Any) -> None:
    server = server_factory("openai", Fault.http_status(500, body=TRACEBACK), Turn(text="no"))
    sleeps = Sleeps()
    with pytest.raises(ProviderHttpError) as err:
        run(provider(server), sleeps=sleeps)
    assert len(server.model_requests) == 1 and sleeps.delays == []
    message = str(err.value)
    assert "ValidationError: 1 validation error for Request" in message
    assert "Input should be a valid string" in message
    assert "File " not in message and len(message) < 400


def test_other_traceback_is_retried_once(server_factory: Any) -> None:
    trace = (
        "Traceback (most recent call last):\n"
        '  File "/x/engine.py", line 9, in step\n'
        "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
    )
    server = server_factory(
        "openai",
        Fault.http_status(500, body=trace),
        Fault.http_status(500, body=trace),
        Turn(text="x"),
    )
    with pytest.raises(ProviderHttpError, match="RuntimeError: CUDA out of memory"):
        run(provider(server))
    assert len(server.model_requests) == 2


# --- small contexts --------------------------------------------------------------------


def test_ollama_context_is_read_and_an_oversized_prompt_is_warned_once(
    server_factory: Any,
) -> None:
    server = server_factory("ollama", Turn(text="one"), Turn(text="two"))
    prov = provider(server, probe_context_window=True)
    big = Prompt("x" * 20_000, (user_message("hi"),), (SHELL,))
    client = create_model_client(prov, ModelRequestOptions(model="qwen2.5:7b"), env={})

    async def main() -> list[list[ModelEvent]]:
        return [[e async for e in client.stream(big)] for _ in range(2)]

    first, second = asyncio.run(asyncio.wait_for(main(), 20))
    notices = [e for e in first if isinstance(e, Notice)]
    assert len(notices) == 1
    assert "context window of 4096 tokens" in notices[0].message
    assert not any(isinstance(e, Notice) for e in second)
    show = [r for r in server.requests if r.path == "/api/show"]
    assert len(show) == 1 and (show[0].body or {})["model"] == "qwen2.5:7b"


def test_a_prompt_that_fits_gets_no_notice(server_factory: Any) -> None:
    server = server_factory("ollama", Turn(text="one"))
    events = run(provider(server), options=ModelRequestOptions("m", context_window=4096))
    assert not any(isinstance(e, Notice) for e in events)
    assert not [r for r in server.requests if r.path == "/api/show"]  # known: not asked


def test_compact_tools_shorten_descriptions_on_the_wire(server_factory: Any) -> None:
    from pycodex.core.tools.specs import default_tools
    from pycodex.protocol.policy import AskForApproval

    server = server_factory("openai", Turn(text="x"), Turn(text="y"))
    tools = default_tools(AskForApproval.ON_REQUEST)
    prompt = Prompt("i", (user_message("hi"),), tools)
    run(provider(server), prompt, options=ModelRequestOptions("m"))
    run(provider(server), prompt, options=ModelRequestOptions("m", compact_tools=True))
    full, small = (len(json.dumps((r.body or {})["tools"])) for r in server.model_requests)
    assert small < full * 0.6
    names = [t["function"]["name"] for t in (server.model_requests[1].body or {})["tools"]]
    assert names == ["shell", "update_plan", "apply_patch"]


# --- tool calls written as text --------------------------------------------------------


@pytest.mark.parametrize("style", ["tool_call", "function", "fenced", "bare"])
def test_text_tool_calls_become_function_calls(server_factory: Any, style: str) -> None:
    # a bare JSON call is recognised only as the whole message (Llama 3 style)
    words = "" if style == "bare" else "Let me look."
    profile = ServerProfile(tool_calls_as_text=style)
    server = server_factory(profile, Turn(text=words, tool_calls=[ToolCall("shell", LS)]))
    events = run(provider(server, text_tool_calls=True))
    got = items(events)
    calls = [i for i in got if isinstance(i, FunctionCallItem)]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("shell", LS)]
    assert calls[0].call_id.startswith("call_text_")
    messages = [i.text for i in got if isinstance(i, MessageItem)]
    assert messages == ([words] if words else [])
    assert shown(events).strip() == words  # the markup never reached the screen


def test_text_tool_calls_off_leaves_the_text_alone(server_factory: Any) -> None:
    profile = ServerProfile(tool_calls_as_text="tool_call")
    server = server_factory(profile, Turn(tool_calls=[ToolCall("shell", LS)]))
    events = run(provider(server, text_tool_calls=False))
    (message,) = items(events)
    assert isinstance(message, MessageItem) and "<tool_call>" in message.text


def test_text_mentioning_the_syntax_is_not_a_call(server_factory: Any) -> None:
    text = 'Models may write `<tool_call>{"name": "shell", "arguments": {}}</tool_call>` as text.'
    server = server_factory("openai", Turn(text=text))
    events = run(provider(server, text_tool_calls=True))
    assert items(events) == [assistant_message(text)]
    assert shown(events) == text


def test_real_tool_calls_win_over_text_ones(server_factory: Any) -> None:
    text = '<tool_call>{"name": "shell", "arguments": {"command": ["pwd"]}}</tool_call>'
    server = server_factory("openai", Turn(text=text, tool_calls=[ToolCall("shell", LS)]))
    got = items(run(provider(server, text_tool_calls=True)))
    calls = [i for i in got if isinstance(i, FunctionCallItem)]
    assert [json.loads(c.arguments) for c in calls] == [LS]


def test_text_tool_calls_on_the_responses_wire(model_server: ScriptedModelServer) -> None:
    text = (
        'Sure.\n<tool_call>{"name": "shell", "arguments": {"command": ["ls", "-la"]}}</tool_call>'
    )
    model_server.push(Turn(text=text))
    prov = provider(model_server, wire_api=WireApi.RESPONSES, text_tool_calls=True)
    events = run(prov)
    got = items(events)
    assert [type(i).__name__ for i in got] == ["MessageItem", "FunctionCallItem"]
    assert got[0].text == "Sure." and json.loads(got[1].arguments) == LS
    assert shown(events).strip() == "Sure."


def test_consecutive_user_messages_are_one_for_alternating_templates(
    server_factory: Any,
) -> None:
    """Environment context, AGENTS.md and the prompt are three user items in a row; Gemma- or
    Mistral-style templates (the llamacpp profile) raise unless roles alternate."""
    server = server_factory("llamacpp", Turn(text="ok"))
    history = (
        user_message("<environment_context>cwd</environment_context>"),
        user_message("<user_instructions>be nice</user_instructions>"),
        user_message("hi"),
    )
    assert items(run(provider(server), Prompt("sys", history, (SHELL,)))) == [
        assistant_message("ok")
    ]
    messages = (server.model_requests[0].body or {})["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == (
        "<environment_context>cwd</environment_context>\n\n"
        "<user_instructions>be nice</user_instructions>\n\nhi"
    )
