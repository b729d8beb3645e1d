"""Named "server profiles": the scripted model server behaving like a real local server.

Real OpenAI-compatible servers differ from OpenAI in ways that break agents. Each quirk is a
flag of ``ServerProfile``; the named profiles combine the quirks reported for each server
(issues of opencode, Goose, Qwen Code, Crush, Codex and the servers themselves). They are
emulations for tests, not captures: a flag is exactly as strict as its docstring says.

    ScriptedModelServer(script, profile="vllm")
    ScriptedModelServer(script, profile=ServerProfile(reject_null_content=True))

Request checks answer like the real server (4xx JSON, or a 500 with a Python traceback when
``errors_as_traceback``) and do not consume a script step. Rendering flags change only the
Chat wire; the Responses wire is unaffected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.model_script import ToolCall, Turn
from tests.support.wire_render import (
    CREATED_AT,
    RenderContext,
    arguments_text,
    call_ids,
    effective_usage,
    pieces,
    sse,
)


@dataclass(frozen=True)
class ServerProfile:
    name: str = "openai"
    # --- request validation ---------------------------------------------------------
    reject_null_content: bool = False  # assistant "content": null -> 400
    reject_developer_role: bool = False  # role "developer" -> 400
    system_first_only: bool = False  # a system message after the first message -> error
    alternating_roles: bool = False  # two user (or assistant) messages in a row -> error
    reject_invalid_tool_arguments: bool = False  # history arguments not a JSON object -> error
    tool_choice_auto_error: bool = False  # "tool_choice": "auto" -> 400 (vLLM default)
    errors_as_traceback: bool = False  # validation errors as 500 + a stack frame (llama-cpp-python)
    # --- tool behaviour -------------------------------------------------------------
    tools_need_tool_choice: bool = False  # tool calls only with tool_choice auto/required
    tool_calls_as_text: str | None = None  # "tool_call" | "function" | "fenced" | "bare"
    # --- stream shape (Chat) --------------------------------------------------------
    repeat_call_header: bool = False  # id, type and function.name in every fragment
    legacy_function_call: bool = False  # also the deprecated delta.function_call
    omit_call_index: bool = False  # fragments without "index"
    args_whitespace: bool = False  # arguments pretty-printed with padding
    args_in_one_chunk: bool = False  # the whole call in one fragment
    ping_comments: bool = False  # ": ping" comment lines between events
    usage: bool = True  # honour stream_options.include_usage
    model_echo: str | None = None  # "model" in chunks differs from the request
    created: bool = True  # "created" field in chunks
    done_marker: bool = True  # "data: [DONE]" at the end
    # --- Ollama ---------------------------------------------------------------------
    context_length: int | None = None  # /api/show model_info.<arch>.context_length
    num_ctx: int | None = None  # /api/show parameters "num_ctx N"
    truncate_to_context: bool = False  # silently cut prompts longer than the window


PROFILES: dict[str, ServerProfile] = {
    "openai": ServerProfile(),
    # llama.cpp's llama-server: strict message validation, Jinja templates that only allow
    # a leading system message, a fixed model name in chunks.
    "llamacpp": ServerProfile(
        name="llamacpp",
        reject_null_content=True,
        system_first_only=True,
        alternating_roles=True,
        reject_invalid_tool_arguments=True,
        model_echo="gpt-3.5-turbo",
    ),
    # llama-cpp-python's server (FastAPI): tools only with tool_choice, errors as tracebacks,
    # no usage in streams.
    "llamacpp-python": ServerProfile(
        name="llamacpp-python",
        reject_null_content=True,
        errors_as_traceback=True,
        tools_need_tool_choice=True,
        usage=False,
        created=False,
    ),
    # vLLM without --enable-auto-tool-choice; some tool parsers repeat the call header.
    "vllm": ServerProfile(
        name="vllm",
        reject_developer_role=True,
        tool_choice_auto_error=True,
        repeat_call_header=True,
        reject_invalid_tool_arguments=True,
    ),
    # LM Studio: keep-alive comments, no usage, model names echoed as paths, both fields.
    "lmstudio": ServerProfile(
        name="lmstudio",
        ping_comments=True,
        usage=False,
        created=False,
        model_echo="lmstudio-community/qwen2.5-7b-instruct",
        legacy_function_call=True,
        done_marker=False,
    ),
    # Ollama's /v1: no index on fragments, whole calls in one chunk with padded arguments,
    # a small default context that silently truncates.
    "ollama": ServerProfile(
        name="ollama",
        omit_call_index=True,
        args_in_one_chunk=True,
        args_whitespace=True,
        context_length=32_768,
        num_ctx=4096,
        truncate_to_context=True,
    ),
}


def resolve(profile: str | ServerProfile | None) -> ServerProfile:
    if profile is None:
        return PROFILES["openai"]
    if isinstance(profile, ServerProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown server profile {profile!r}; known: {sorted(PROFILES)}") from None


# --- request validation ------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    status: int
    body: bytes
    content_type: str


# What llama-cpp-python 0.3.x really answers to a request its pydantic model refuses
# (captured against `python -m llama_cpp.server`): a 500 whose JSON message is the
# validation errors followed by a stack frame.
LLAMA_CPP_PYTHON_FRAME = (
    '\n\n  File "/usr/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, '
    "in create_chat_completion\n    POST /v1/chat/completions"
)


def _reject(profile: ServerProfile, status: int, message: str, exception: str) -> Rejection:
    if profile.errors_as_traceback:
        detail = exception.split(": ", 1)[-1]
        error = {
            "message": f"1 validation errors:\n  {detail!r}{LLAMA_CPP_PYTHON_FRAME}",
            "type": "internal_server_error",
            "param": None,
            "code": None,
        }
        return Rejection(500, json.dumps({"error": error}).encode(), "application/json")
    body = {"error": {"code": status, "message": message, "type": "invalid_request_error"}}
    return Rejection(status, json.dumps(body).encode(), "application/json")


def check_chat_request(profile: ServerProfile, body: dict[str, Any]) -> Rejection | None:
    """What the emulated server refuses, as it would answer; None when it accepts."""
    raw = body.get("messages")
    messages: list[Any] = raw if isinstance(raw, list) else []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        if profile.reject_null_content and role == "assistant" and msg.get("content") is None:
            return _reject(
                profile,
                400,
                f"Invalid 'messages[{i}].content': expected a string or an array, got null",
                "pydantic_core._pydantic_core.ValidationError: 1 validation error for "
                f"ChatCompletionRequestAssistantMessage\nmessages.{i}.content\n"
                "  Input should be a valid string [type=string_type, input_value=None]",
            )
        if profile.reject_developer_role and role == "developer":
            return _reject(
                profile,
                400,
                f"Invalid 'messages[{i}].role': 'developer' is not one of 'system', 'user', "
                "'assistant', 'tool'",
                f"ValueError: Invalid role 'developer' in messages[{i}]",
            )
        if profile.system_first_only and role == "system" and i > 0:
            return Rejection(
                500,
                json.dumps(
                    {
                        "error": {
                            "code": 500,
                            "message": "System message must be at the beginning.",
                            "type": "server_error",
                        }
                    }
                ).encode(),
                "application/json",
            )
        prev = messages[i - 1] if i > 0 and isinstance(messages[i - 1], dict) else {}
        if profile.alternating_roles and role in ("user", "assistant") and prev.get("role") == role:
            message = "Conversation roles must alternate user/assistant/user/assistant/..."
            error = {"code": 500, "message": message, "type": "server_error"}
            return Rejection(500, json.dumps({"error": error}).encode(), "application/json")
        if profile.reject_invalid_tool_arguments and role == "assistant":
            for call in msg.get("tool_calls") or []:
                args = (call.get("function") or {}).get("arguments")
                try:
                    ok = isinstance(args, str) and isinstance(json.loads(args), dict)
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    return _reject(
                        profile,
                        500,
                        "Failed to parse tool call arguments as JSON",
                        "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
                    )
    if profile.tool_choice_auto_error and body.get("tool_choice") == "auto":
        return _reject(
            profile,
            400,
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
            "to be set",
            'ValueError: "auto" tool choice requires --enable-auto-tool-choice',
        )
    return None


# --- rendering -----------------------------------------------------------------------


def text_for_calls(calls: tuple[ToolCall, ...] | list[ToolCall], style: str) -> str:
    """Tool calls written into the message text, as models without tool support do."""
    parts = []
    for call in calls:
        args = (
            json.loads(arguments_text(call))
            if not isinstance(call.arguments, dict)
            else call.arguments
        )
        obj = {"name": call.name, "arguments": args}
        if style == "tool_call":
            parts.append(f"<tool_call>\n{json.dumps(obj)}\n</tool_call>")
        elif style == "function":
            params = "".join(
                f"<parameter={k}>\n{v if isinstance(v, str) else json.dumps(v)}\n</parameter>\n"
                for k, v in args.items()
            )
            parts.append(f"<tool_call>\n<function={call.name}>\n{params}</function>\n</tool_call>")
        elif style == "fenced":
            parts.append(f"```json\n{json.dumps(obj, indent=2)}\n```")
        else:  # bare
            parts.append(json.dumps(obj))
    return "\n".join(parts)


def _padded(args: str) -> str:
    try:
        value = json.loads(args)
    except ValueError:
        return args
    return "\n  " + json.dumps(value, indent=3, separators=(" ,", " : ")) + " \n\n"


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    return max(1, len(json.dumps(body.get("messages", []))) // 4)


def render_chat(
    turn: Turn,
    ctx: RenderContext,
    profile: ServerProfile,
    body: dict[str, Any],
    reasoning_field: str = "reasoning",
) -> list[bytes]:
    """A Chat stream of ``turn`` with the profile's quirks."""
    text, calls = turn.text, tuple(turn.tool_calls)
    if profile.tools_need_tool_choice and body.get("tool_choice") not in ("auto", "required"):
        calls = ()  # the server never enables tool calling: the model just talks
        text = text or "(no tools available)"
    if profile.tool_calls_as_text and calls:
        written = text_for_calls(calls, profile.tool_calls_as_text)
        text, calls = (f"{text}\n{written}" if text else written), ()
    ids = call_ids(Turn(tool_calls=calls), ctx)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data: dict[str, Any] = {"id": f"chatcmpl-{ctx.number}", "object": "chat.completion.chunk"}
        if profile.created:
            data["created"] = CREATED_AT
        data["model"] = profile.model_echo or ctx.model
        data["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
        return sse(data)

    frames = [chunk({"role": "assistant", "content": ""})]
    if turn.reasoning_raw is not None:
        frames += [chunk({reasoning_field: d}) for d in pieces(turn.reasoning_raw, turn.chunk_size)]
    frames += [chunk({"content": d}) for d in pieces(text, turn.chunk_size)] if text else []
    for i, (call, cid) in enumerate(zip(calls, ids, strict=True)):
        args = arguments_text(call)
        if profile.args_whitespace:
            args = _padded(args)
        header: dict[str, Any] = {"index": i, "id": cid, "type": "function"}
        if profile.omit_call_index:
            del header["index"]
        parts = [args] if profile.args_in_one_chunk else ["", *pieces(args, turn.chunk_size)]
        for n, part in enumerate(parts):
            frag: dict[str, Any]
            if n == 0 or profile.repeat_call_header:
                frag = {**header, "function": {"name": call.name, "arguments": part}}
            else:
                frag = {"function": {"arguments": part}}
                if not profile.omit_call_index:
                    frag = {"index": i, **frag}
            delta: dict[str, Any] = {"tool_calls": [frag]}
            if profile.legacy_function_call:
                legacy = {"arguments": part}
                delta["function_call"] = {"name": call.name, **legacy} if n == 0 else legacy
            frames.append(chunk(delta))
    frames.append(chunk({}, "tool_calls" if calls else "stop"))
    if ctx.include_usage and profile.usage:
        u = effective_usage(turn, ctx)
        prompt = estimate_prompt_tokens(body)
        window = profile.num_ctx or profile.context_length
        if profile.truncate_to_context and window:
            prompt = min(prompt, window)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": u.output_tokens,
            "total_tokens": prompt + u.output_tokens,
        }
        data = {"id": f"chatcmpl-{ctx.number}", "object": "chat.completion.chunk", "choices": []}
        frames.append(sse({**data, "model": profile.model_echo or ctx.model, "usage": usage}))
    if profile.done_marker:
        frames.append(sse("[DONE]"))
    if profile.ping_comments:
        frames = [f for frame in frames for f in (b": ping\n\n", frame)]
    return frames


def show_body(profile: ServerProfile, model: str) -> dict[str, Any]:
    """Ollama's ``POST /api/show`` answer (the fields pycodex reads, plus a few)."""
    family = model.split(":", 1)[0].replace("-", "").replace(".", "") or "llama"
    data: dict[str, Any] = {
        "modelfile": f"FROM {model}\n",
        "parameters": f'num_ctx {profile.num_ctx}\nstop "<|im_end|>"' if profile.num_ctx else "",
        "template": "{{ .Prompt }}",
        "details": {"format": "gguf", "family": family, "parameter_size": "7.6B"},
        "model_info": {
            "general.architecture": family,
            f"{family}.context_length": profile.context_length or 131_072,
            f"{family}.embedding_length": 3584,
        },
        "capabilities": ["completion", "tools"],
    }
    return data
