"""The terminal-safe text rule: what reaches a terminal holds no control but newline and
tab, plain text passes unchanged, and escape sequences are shown, not obeyed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from pycodex.core.terminal_text import OutputSanitizer, is_safe, sanitize, sanitize_tree
from pycodex.protocol.events import (
    ExecCommandEnd,
    FileChange,
    McpInvocation,
    McpToolCallEnd,
    PatchApplyBegin,
    PlanUpdate,
)
from pycodex.protocol.items import PlanStep

# Anything a terminal could act on: C0 but \n and \t, DEL, C1, bidi overrides/isolates.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

OSC52 = "\x1b]52;c;SGVsbG8=\x07"
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"

# Text biased towards the characters and sequences that matter.
_pieces = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "\x1b",
            "\x1b[",
            "\x1b]",
            "\x1bP",
            "\x1b_",
            "\x1b^",
            "\x1bX",
            "\x1b\\",
            "\x07",
            "\x9b",
            "\x9d",
            "\x90",
            "\x9c",
            "\r",
            "\n",
            "\r\n",
            "\b",
            "\t",
            "\x7f",
            "\u202e",
            "\u2066",
            "31m",
            "2J",
            "[0m",
            OSC52,
            TITLE,
            CLEAR,
        ]
    ),
)
hostile_text = st.lists(_pieces, max_size=20).map("".join)
plain_text = st.text(
    alphabet=st.characters(
        blacklist_characters="".join(chr(c) for c in range(0x20) if chr(c) not in "\n\t")
        + "".join(chr(c) for c in range(0x7F, 0xA0))
        + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    )
)


@given(hostile_text)
def test_the_result_never_holds_a_control(text: str) -> None:
    out = sanitize(text)
    assert FORBIDDEN.search(out) is None
    assert is_safe(out)
    assert sanitize(out) == out  # idempotent


@given(st.one_of(hostile_text, plain_text, st.text(alphabet=st.characters(max_codepoint=0x7F))))
def test_is_safe_is_exactly_the_rule(text: str) -> None:
    """The ASCII fast path (bytes.translate) and the regex agree."""
    assert is_safe(text) == (FORBIDDEN.search(text) is None)


@given(plain_text)
def test_plain_text_passes_unchanged(text: str) -> None:
    assert sanitize(text) is text
    assert is_safe(text)


@given(st.lists(st.binary(max_size=12), max_size=12), hostile_text)
def test_chunked_output_never_holds_a_control(chunks: list[bytes], hostile: str) -> None:
    cuts = [*chunks, hostile.encode("utf-8", "surrogatepass")]
    stream = OutputSanitizer()
    out = "".join(stream.feed(c) for c in cuts) + stream.finish()
    assert FORBIDDEN.search(out) is None


@given(plain_text, st.integers(min_value=1, max_value=7))
def test_chunked_plain_utf8_is_kept_whole(text: str, size: int) -> None:
    """A character or a \\r\\n split between chunks is not damaged."""
    data = text.replace("\n", "\r\n").encode("utf-8", "surrogatepass")
    stream = OutputSanitizer()
    out = "".join(stream.feed(data[i : i + size]) for i in range(0, len(data), size))
    out += stream.finish()
    assert out == data.decode("utf-8", "replace").replace("\r\n", "\n")


def test_sequences_are_shown_not_obeyed() -> None:
    out = sanitize(f"before{OSC52}{TITLE}{CLEAR}after")
    assert out == "before␛]52;c;SGVsbG8=␇␛]0;pwned␇after"  # the CSI is dropped


def test_each_kind_of_sequence() -> None:
    assert sanitize("\x1b[1;31mred\x1b[0m") == "red"  # SGR colours go
    assert sanitize("\x9b2Jx") == "x"  # 8-bit CSI too
    assert sanitize("\x1b]8;;http://x\x1b\\link") == "␛]8;;http://x␛\\link"  # ST-terminated
    assert sanitize("\x1bPq#0\x1b\\") == "␛Pq#0␛\\"  # DCS (sixel)
    assert sanitize("\x1b_Gf=1;AAAA\x1b\\") == "␛_Gf=1;AAAA␛\\"  # APC (kitty graphics)
    assert sanitize("\x1b^pm\x1b\\ \x1bXsos\x1b\\") == "␛^pm␛\\ ␛Xsos␛\\"
    assert sanitize("lone\x1b") == "lone␛"
    assert sanitize("\x9d0;t\x9c") == "<U+009D>0;t<U+009C>"  # 8-bit OSC and ST


def test_text_cannot_hide_text() -> None:
    assert sanitize("rm -rf ~\rls     ") == "rm -rf ~␍ls     "
    assert sanitize("safe\b\b\b\bevil") == "safe␈␈␈␈evil"
    assert sanitize("a\x1b[2Kb") == "ab"  # erase-line dropped: both parts stay visible
    assert sanitize("abc\u202edcba") == "abc<U+202E>dcba"


def test_line_endings() -> None:
    assert sanitize("one\r\ntwo\r\n") == "one\ntwo\n"
    assert sanitize("tab\tand\nnewline") == "tab\tand\nnewline"
    assert sanitize("50%\r100%\n") == "50%␍100%\n"


def test_a_sequence_joined_by_a_dropped_one_is_still_shown() -> None:
    assert sanitize("\x1b\x1b[0m[2J") == "␛[2J"


def test_chunk_boundaries() -> None:
    stream = OutputSanitizer()
    parts = [b"a\r", b"\nb\x1b", b"[3", b"1mred \xe2\x82", b"\xac \x1b"]
    assert [stream.feed(p) for p in parts] == ["a", "\nb", "", "red ", "€ "]
    assert stream.finish() == "␛"
    assert OutputSanitizer().feed(b"\xff ok") == "\ufffd ok"


@dataclass(frozen=True)
class _Holder:
    call_id: str
    text: str
    count: int


def test_sanitize_tree_walks_events() -> None:
    end = ExecCommandEnd("c\x1b1", OSC52, "", f"out{TITLE}", 0, 0.1, "f\x07")
    safe = sanitize_tree(end)
    assert safe.call_id == "c\x1b1"  # ids are matched, not shown
    assert (safe.stdout, safe.aggregated_output, safe.formatted_output) == (
        "␛]52;c;SGVsbG8=␇",
        "out␛]0;pwned␇",
        "f␇",
    )
    plan = sanitize_tree(PlanUpdate((PlanStep(f"step{CLEAR}", "pending"),), "why\x07"))
    assert plan.plan[0].step == "step" and plan.explanation == "why␇"
    patch = sanitize_tree(
        PatchApplyBegin("p", True, {"f\x1b]0;x\x07": FileChange("add", content="\x9bmx")})
    )
    assert patch.changes == {"f␛]0;x␇": FileChange("add", content="x")}
    mcp = sanitize_tree(
        McpToolCallEnd(
            "m",
            McpInvocation("s", "t", {"k": ["\x07"]}),
            0.0,
            ({"type": "text", "text": OSC52},),
            structured_content={"a\x1b": 1},
        )
    )
    assert mcp.invocation.arguments == {"k": ["␇"]}
    assert mcp.content == ({"type": "text", "text": "␛]52;c;SGVsbG8=␇"},)
    assert mcp.structured_content == {"a␛": 1}
    assert sanitize_tree(_Holder("x", "\x07", 3)) == _Holder("x", "␇", 3)
    assert sanitize_tree(b"\x1b") == b"\x1b"  # bytes: OutputSanitizer's job
    clean = ExecCommandEnd("c", "fine", "", "fine\n", 0, 0.1)
    assert sanitize_tree(clean) is clean  # nothing to change: nothing rebuilt
