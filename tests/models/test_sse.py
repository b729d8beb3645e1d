"""The SSE parser on captured and hostile byte streams, split at every possible point."""

from __future__ import annotations

from pycodex.models.sse import SseEvent, SseParser

CAPTURED = (
    b"event: response.created\n"
    b'data: {"type":"response.created","response":{"id":"resp_1"}}\n\n'
    b": keep-alive\n\n"
    b"event: response.output_text.delta\r\n"
    b'data: {"type":"response.output_text.delta","delta":"h\xc3\xa9"}\r\n\r\n'
    b"data: line one\n"
    b"data:line two\n"
    b"id: 7\nretry: 1000\nweird-field: x\n\n"
    b"data: [DONE]\n\n"
)

EXPECTED = [
    SseEvent("response.created", '{"type":"response.created","response":{"id":"resp_1"}}'),
    SseEvent("response.output_text.delta", '{"type":"response.output_text.delta","delta":"hé"}'),
    SseEvent("message", "line one\nline two"),
    SseEvent("message", "[DONE]"),
]


def test_whole_stream_parses_to_events() -> None:
    parser = SseParser()
    assert parser.feed(CAPTURED) + parser.finish() == EXPECTED
    assert EXPECTED[-1].is_done
    assert not EXPECTED[0].is_done


def test_every_split_point_gives_the_same_events() -> None:
    for cut in range(len(CAPTURED) + 1):
        parser = SseParser()
        events = parser.feed(CAPTURED[:cut]) + parser.feed(CAPTURED[cut:]) + parser.finish()
        assert events == EXPECTED, cut


def test_byte_by_byte_feeding() -> None:
    parser = SseParser()
    events = [e for i in range(len(CAPTURED)) for e in parser.feed(CAPTURED[i : i + 1])]
    assert events + parser.finish() == EXPECTED


def test_json_data_is_none_for_garbage() -> None:
    assert SseEvent("message", "not json {").json_data() is None
    assert SseEvent("message", "[1, 2]").json_data() is None
    assert SseEvent("message", '{"a": 1}').json_data() == {"a": 1}


def test_garbage_bytes_and_invalid_utf8_do_not_crash() -> None:
    parser = SseParser()
    events = parser.feed(b"\xff\xfe garbage\n:\n\ndata: \xff\n\nevent: only-event\n\n")
    assert events == [SseEvent("message", "\ufffd")]


def test_last_event_without_blank_line_is_delivered_at_finish() -> None:
    parser = SseParser()
    assert parser.feed(b"data: [DONE]") == []
    assert parser.finish() == [SseEvent("message", "[DONE]")]
    assert parser.finish() == []


def test_event_name_resets_between_events() -> None:
    parser = SseParser()
    events = parser.feed(b"event: a\ndata: 1\n\ndata: 2\n\n")
    assert events == [SseEvent("a", "1"), SseEvent("message", "2")]
