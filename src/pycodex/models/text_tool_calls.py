"""Tool calls that a model wrote into its message text instead of the API's tool-call field.

Small local models (and chat templates that do not map tool calls back to the API) often
answer with the call as text. Recognised forms:

- ``<tool_call>{"name": "shell", "arguments": {...}}</tool_call>`` (Hermes, Qwen; a JSON list
  of calls inside one tag, and a tag left unclosed at the very end of the text, too);
- ``<function=NAME><parameter=KEY>value</parameter>…</function>`` (Qwen3-Coder), or
  ``<function=NAME>{"key": …}</function>`` (Llama 3.1), also inside ``<tool_call>``;
- a fenced code block (no language, ``json``, ``tool_call``) holding such a JSON object;
- a message that is nothing but such a JSON object (Llama 3 on Ollama answers that way).

Misfires are worse than misses, so a candidate becomes a call only when its JSON parses,
its keys are those of a call (``name``, ``arguments``/``parameters``, ``id``, ``type``), the
name is a tool that was offered, and the arguments are a JSON object. Tags inside inline code
or inside a fenced block of another language (an example in prose) are left alone.

Pure functions plus a streaming filter (``TextToolCallFilter``) that holds back text that
may turn out to be a call, so a front end never shows the raw markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ToolSchemas = Mapping[str, Mapping[str, Any] | None]  # tool name -> JSON schema of arguments

_CALL_KEYS = frozenset({"name", "arguments", "parameters", "id", "type", "call_id"})
_JSON_FENCE_LANGS = frozenset({"", "json", "tool_call", "tool_code", "jsonc"})
_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_FUNCTION = re.compile(r"<function=([\w.\-]+)>(.*?)(?:</function>|\Z)", re.DOTALL)
_PARAMETER = re.compile(
    r"<parameter=([\w.\-]+)>(.*?)(?:</parameter>|(?=<parameter=)|\Z)", re.DOTALL
)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+\-]*)[^\n]*$", re.MULTILINE)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
MARKERS = ("<tool_call>", "<function=")


@dataclass(frozen=True, slots=True)
class TextToolCall:
    """One recognised call: ``arguments`` is compact JSON text of an object."""

    name: str
    arguments: str
    start: int  # the span of the markup in the text it was found in
    end: int


@dataclass(frozen=True, slots=True)
class _Fence:
    start: int  # the opening fence line
    body_start: int
    body_end: int
    end: int  # after the closing fence line (len(text) when unclosed)
    lang: str
    closed: bool


def _fences(text: str) -> list[_Fence]:
    """Fenced code blocks (CommonMark-ish: a closing fence of the same char, as long)."""
    out: list[_Fence] = []
    pos = 0
    while (m := _FENCE.search(text, pos)) is not None:
        marker, lang = m.group(1), m.group(2).lower()
        body_start = min(m.end() + 1, len(text))
        close = re.compile(
            rf"^[ \t]{{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE
        )
        c = close.search(text, body_start)
        if c is None:
            out.append(_Fence(m.start(), body_start, len(text), len(text), lang, False))
            break
        end = min(c.end() + 1, len(text)) if c.end() < len(text) else c.end()
        out.append(_Fence(m.start(), body_start, c.start(), end, lang, True))
        pos = end
    return out


def _inline_code(text: str, fences: list[_Fence]) -> list[tuple[int, int]]:
    spans = []
    for m in _INLINE_CODE.finditer(text):
        if "\n\n" in m.group(0) or any(f.start <= m.start() < f.end for f in fences):
            continue
        spans.append((m.start(), m.end()))
    return spans


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _arguments(value: Any) -> dict[str, Any] | None:
    if value is None:
        return {}
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _calls_from_json(payload: Any, tools: ToolSchemas) -> list[tuple[str, dict[str, Any]]] | None:
    """``payload`` as one or more calls of offered tools, else None (all or nothing)."""
    objects = payload if isinstance(payload, list) and payload else [payload]
    calls = []
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get("function"), dict):
            obj = obj["function"]  # {"type": "function", "function": {...}}
        if not isinstance(obj, dict) or not set(obj) <= _CALL_KEYS:
            return None
        name = obj.get("name")
        if not isinstance(name, str) or name not in tools:
            return None
        if "arguments" not in obj and "parameters" not in obj:
            return None
        args = _arguments(obj.get("arguments", obj.get("parameters")))
        if args is None:
            return None
        calls.append((name, args))
    return calls


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text.strip())
    except ValueError:
        return None


def _param_value(raw: str, schema: Mapping[str, Any] | None) -> Any:
    value = raw.removeprefix("\n").removesuffix("\n")
    kind = schema.get("type") if schema else None
    if kind == "string":
        return value
    parsed = _parse_json(value)
    if parsed is not None or value.strip() == "null":
        return parsed
    return value


def _function_call(name: str, body: str, tools: ToolSchemas) -> dict[str, Any] | None:
    if name not in tools:
        return None
    params = list(_PARAMETER.finditer(body))
    if not params:
        return _arguments(body)
    props = (tools[name] or {}).get("properties")
    props = props if isinstance(props, Mapping) else {}
    args: dict[str, Any] = {}
    for p in params:
        key = p.group(1)
        schema = props.get(key)
        args[key] = _param_value(p.group(2), schema if isinstance(schema, Mapping) else None)
    return args


def _dump(args: dict[str, Any]) -> str:
    return json.dumps(args, ensure_ascii=False, separators=(",", ":"))


def find_text_tool_calls(text: str, tools: ToolSchemas) -> list[TextToolCall]:
    """Every tool call written in ``text``, in order (see the module docstring)."""
    if not tools or not text.strip():
        return []
    fences = _fences(text)
    code = _inline_code(text, fences)
    blocked = code + [(f.start, f.end) for f in fences if f.lang not in _JSON_FENCE_LANGS]
    found: list[TextToolCall] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, calls: list[tuple[str, dict[str, Any]]]) -> None:
        found.extend(TextToolCall(n, _dump(a), start, end) for n, a in calls)
        taken.append((start, end))

    for m in _TAG.finditer(text):
        if _inside(m.start(), blocked):
            continue
        inner = m.group(1)
        if "</tool_call>" not in m.group(0) and text[m.end() :].strip():
            continue  # unclosed is only accepted at the very end
        fn = _FUNCTION.search(inner)
        if fn is not None:
            args = _function_call(fn.group(1), fn.group(2), tools)
            if args is not None:
                add(m.start(), m.end(), [(fn.group(1), args)])
            continue
        calls = _calls_from_json(_parse_json(inner), tools)
        if calls:
            add(m.start(), m.end(), calls)
    for m in _FUNCTION.finditer(text):
        if _inside(m.start(), blocked) or _inside(m.start(), taken):
            continue
        if "</function>" not in m.group(0) and text[m.end() :].strip():
            continue
        args = _function_call(m.group(1), m.group(2), tools)
        if args is not None:
            add(m.start(), m.end(), [(m.group(1), args)])
    for f in fences:
        if not f.closed or f.lang not in _JSON_FENCE_LANGS or _inside(f.start, taken):
            continue
        if _inside(f.start, code):
            continue
        calls = _calls_from_json(_parse_json(text[f.body_start : f.body_end]), tools)
        if calls:
            add(f.start, f.end, calls)
    if not found:
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            calls = _calls_from_json(_parse_json(stripped), tools)
            if calls:
                add(0, len(text), calls)
    found.sort(key=lambda c: c.start)
    return found


def strip_calls(text: str, calls: list[TextToolCall]) -> str:
    """``text`` without the markup of ``calls`` (blank runs collapsed, ends trimmed)."""
    out, pos = [], 0
    for call in sorted(calls, key=lambda c: c.start):
        if call.start >= pos:
            out.append(text[pos : call.start])
            pos = call.end
    out.append(text[pos:])
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def extract_text_tool_calls(text: str, tools: ToolSchemas) -> tuple[str, list[TextToolCall]]:
    """The text to show and the calls found in it (text unchanged when there are none)."""
    calls = find_text_tool_calls(text, tools)
    return (strip_calls(text, calls), calls) if calls else (text, [])


def _hold_from(text: str, *, at_start: bool = True) -> int:
    """Where text that might still become a call starts (``len(text)``: nothing to hold)."""
    hold = len(text)
    for marker in MARKERS:
        i = text.rfind(marker)
        if i >= 0:
            closing = "</tool_call>" if marker == "<tool_call>" else "</function>"
            if closing not in text[i:]:
                hold = min(hold, i)
        for k in range(len(marker) - 1, 0, -1):  # a marker cut at the end of a delta
            if text.endswith(marker[:k]):
                hold = min(hold, len(text) - k)
                break
    fences = _fences(text)
    if fences and not fences[-1].closed:
        hold = min(hold, fences[-1].start)
    last_line = text.rsplit("\n", 1)[-1]
    closes_last = bool(fences) and fences[-1].closed and fences[-1].end >= len(text)
    if last_line.strip() and set(last_line.strip()) <= {"`", "~"} and not closes_last:
        hold = min(hold, len(text) - len(last_line))  # maybe an opening fence, cut short
    if at_start and text.lstrip()[:1] in ("{", "["):
        hold = 0  # maybe a bare JSON call: decided at the end
    return hold


@dataclass(slots=True)
class TextToolCallFilter:
    """Streams message text, holding back what may be a call; ``finish`` decides the rest.

    ``feed`` returns text that is safe to show now; ``finish`` the remainder of the final
    text (with calls removed). The concatenation of everything returned equals the final
    shown text when the stripping only removed held-back text (the usual case).
    """

    tools: ToolSchemas
    _full: str = ""
    _shown: str = ""
    _done: int = 0  # full[:_done] is decided (ends at a line start): never scanned again
    _done_visible: str = ""  # what full[:_done] shows

    @property
    def text(self) -> str:
        return self._full

    def _release(self, visible: str) -> str:
        if not visible.startswith(self._shown):
            return ""  # the final item carries the right text
        delta = visible[len(self._shown) :]
        self._shown = visible
        return delta

    def feed(self, delta: str) -> str:
        """Only the undecided tail is scanned, so a long message costs linear time."""
        self._full += delta
        tail = self._full[self._done :]
        hold = _hold_from(tail, at_start=self._done == 0)
        prefix = tail[:hold]
        calls = find_text_tool_calls(prefix, self.tools) if "<" in prefix or "`" in prefix else []
        out, pos = [], 0
        for call in calls:
            out.append(prefix[pos : call.start])
            pos = call.end
        out.append(prefix[pos:])
        released = self._release(self._done_visible + "".join(out))
        # Everything before the last line start of the decided part (and not inside a
        # call) is final: move the scan window past it.
        cut = prefix.rfind("\n") + 1
        for call in calls:
            if call.start < cut < call.end:
                cut = call.start
        if cut > 0 and not (self._done == 0 and hold == 0):
            kept, pos = [], 0
            for call in calls:
                if call.end <= cut:
                    kept.append(prefix[pos : call.start])
                    pos = call.end
            kept.append(prefix[pos:cut])
            self._done += cut
            self._done_visible += "".join(kept)
        return released

    def flush_raw(self) -> str:
        """The held-back rest exactly as written (when the calls are not to be converted)."""
        return self._release(self.text)

    def finish(self) -> tuple[str, list[TextToolCall]]:
        """The not yet shown rest of the final text, and the calls."""
        shown, calls = extract_text_tool_calls(self.text, self.tools)
        return self._release(shown), calls
