from __future__ import annotations

import itertools
import json
import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.transport.decode import (
    LineDecoder,
    NDJSONDecoder,
    ServerSentEvent,
    SSEDecoder,
    aiter_ndjson,
    aiter_sse,
    loads,
)
from tests.conftest import FIXTURES


def feed_all(decoder, pieces):
    out = []
    for piece in pieces:
        out.extend(decoder.feed(piece))
    out.extend(decoder.flush())
    return out


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


# Lines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pieces", "lines"),
    [
        ([b"a\nb\n"], ["a", "b"]),
        ([b"a\r\nb\r\n"], ["a", "b"]),
        ([b"a\rb\r"], ["a", "b"]),
        ([b"a\r", b"\nb\n"], ["a", "b"]),  # CRLF split across chunks counts once
        ([b"a\r", b"\r\nb"], ["a", "", "b"]),
        ([b"a\n\rb"], ["a", "", "b"]),
        ([b"unterminated"], ["unterminated"]),
        ([b"x", b"y", b"z\n"], ["xyz"]),
    ],
)
def test_lines_end_at_cr_lf_and_crlf(pieces, lines):
    assert feed_all(LineDecoder(), pieces) == lines


def test_utf8_split_inside_a_character_is_kept_whole():
    data = "snø ☃ 🎉\n".encode()
    for cut in range(len(data) + 1):
        assert feed_all(LineDecoder(), [data[:cut], data[cut:]]) == ["snø ☃ 🎉"]


def test_invalid_utf8_becomes_replacement_character():
    assert feed_all(LineDecoder(), [b"a\xffb\n", b"\xe2\x98"]) == ["a\ufffdb", "\ufffd"]


def test_leading_bom_is_dropped_once():
    assert feed_all(LineDecoder(), [b"\xef\xbb", b"\xbfa\n\xef\xbb\xbfb\n"]) == ["a", "\ufeffb"]


def test_unicode_line_separators_inside_json_do_not_split_lines():
    assert feed_all(LineDecoder(), ["a\u2028b\x85c\x0cd\n".encode()]) == ["a\u2028b\x85c\x0cd"]


def test_line_longer_than_bound_is_an_error_whatever_the_chunking():
    with pytest.raises(ModelResponseError, match="longer than 10 characters"):
        feed_all(LineDecoder(max_line_length=10, provider="openai"), [b"0123456789A\n"])
    with pytest.raises(ModelResponseError):
        feed_all(LineDecoder(max_line_length=10), [b"x"] * 20)
    assert feed_all(LineDecoder(max_line_length=10), [b"0123456789\n" * 3]) == ["0123456789"] * 3


# SSE ---------------------------------------------------------------------------------------


def test_sse_fields_comments_and_multiline_data():
    stream = (
        b": keep-alive\n"
        b"event: delta\nid: 7\nretry: 3000\ndata: first\ndata:second\n\n"
        b"data\n\n"
        b"data\ndata\n\n"
        b"event: ping\n\n"
        b'id: 8\nretry: 1x\ndata: {"a": 1}\n\n'
        b"unknown: field\ndata:  two spaces\n\n"
    )
    assert feed_all(SSEDecoder(), [stream]) == [
        ServerSentEvent("delta", "first\nsecond", "7", 3000),
        ServerSentEvent("message", "", "7", 3000),
        ServerSentEvent("message", "\n", "7", 3000),
        ServerSentEvent("message", '{"a": 1}', "8", 3000),
        ServerSentEvent("message", " two spaces", "8", 3000),
    ]


def test_sse_event_type_is_reset_after_dispatch_and_id_with_nul_ignored():
    stream = b"event: a\ndata: 1\n\ndata: 2\nid: x\x00y\n\n"
    events = feed_all(SSEDecoder(), [stream])
    assert [(e.event, e.data, e.id) for e in events] == [("a", "1", ""), ("message", "2", "")]


def test_sse_event_cut_off_by_eof_is_returned_marked_incomplete():
    assert feed_all(SSEDecoder(), [b"data: complete\n\ndata: cut off"]) == [
        ServerSentEvent("message", "complete"),
        ServerSentEvent("message", "cut off", complete=False),
    ]
    assert feed_all(SSEDecoder(), [b"event: x\ndata: a\ndata: b\n"]) == [
        ServerSentEvent("x", "a\nb", complete=False)
    ]
    assert feed_all(SSEDecoder(), [b"data: a\n\nevent: only\n"]) == [ServerSentEvent(data="a")]


def test_sse_json_helper():
    assert ServerSentEvent(data='{"k": [1]}').json() == {"k": [1]}


SSE_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.sse"))


@pytest.mark.parametrize("name", SSE_FILES)
@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_sse_any_chunking_gives_the_same_events(name, cuts):
    data = (FIXTURES / name).read_bytes()
    whole = feed_all(SSEDecoder(), [data])
    assert feed_all(SSEDecoder(), split_at(data, cuts)) == whole


def reference_sse(text: str) -> list[ServerSentEvent]:
    """The WHATWG rules read literally, one line at a time, plus our EOF deviation."""
    *lines, tail = re.split(r"\r\n|\r|\n", text)
    if tail:
        lines.append(tail)
    events, data, kind, last_id, retry = [], [], "", "", None
    for line in lines:
        if not line:
            if data:
                events.append(ServerSentEvent(kind or "message", "\n".join(data), last_id, retry))
            data, kind = [], ""
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    if data:
        events.append(ServerSentEvent(kind or "message", "\n".join(data), last_id, retry, False))
    return events


SSE_LINES = st.sampled_from(
    [
        "data: x",
        "data:y",
        "data:  two",
        "data",
        "data:",
        "data: ",
        "event: e",
        "event:f",
        "event:",
        "id: 1",
        "id:2",
        "retry: 30",
        ": comment",
        ":",
        "other: z",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(SSE_LINES, max_size=20),
    ends=st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=20, max_size=20),
    last=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
)
def test_sse_events_are_those_of_the_spec_read_line_by_line(lines, ends, last, cuts):
    text = "".join(line + end for line, end in zip(lines, ends, strict=False))
    if not last and lines:
        text = text[: -len(ends[len(lines) - 1])]  # the stream stops inside its last line
    data = text.encode()
    assert feed_all(SSEDecoder(), split_at(data, cuts)) == reference_sse(text)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_sse_garbage_never_crashes_and_chunking_never_matters(data, cuts):
    assert feed_all(SSEDecoder(), split_at(data, cuts)) == feed_all(SSEDecoder(), [data])


# NDJSON ------------------------------------------------------------------------------------


def test_ndjson_values_blank_lines_and_last_line_without_newline():
    stream = b'{"a":1}\n\n  \r\n{"b":[2]}\r\n{"c":3}'
    assert feed_all(NDJSONDecoder(), [stream]) == [{"a": 1}, {"b": [2]}, {"c": 3}]


def test_ndjson_invalid_line_is_a_response_error_naming_the_provider():
    with pytest.raises(ModelResponseError, match="ollama: a stream line is not valid JSON"):
        feed_all(NDJSONDecoder(provider="ollama"), [b'{"a":1}\nnot json\n'])


def test_ndjson_stream_cut_mid_line_is_a_stream_error():
    with pytest.raises(ModelStreamError, match="ended in the middle of a JSON line"):
        feed_all(NDJSONDecoder(), [b'{"a":1}\n{"b":'])


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.dictionaries(st.text(max_size=5), st.text(max_size=8) | st.integers()), max_size=8
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
)
def test_ndjson_any_chunking_gives_the_same_values(values, cuts):
    data = "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values).encode()
    assert feed_all(NDJSONDecoder(), split_at(data, cuts)) == values


def test_ndjson_error_after_good_lines_in_one_read_names_the_bad_line():
    with pytest.raises(ModelResponseError) as caught:
        NDJSONDecoder(provider="ollama").feed(b'{"a":1}\n{"b":2}\n{"c":\n')
    assert caught.value.body == '{"c":'


# JSON --------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def outcome(parse, text):
    """The value parsed, or where and why parsing failed."""
    try:
        return ("value", parse(text))
    except json.JSONDecodeError as exc:
        return ("error", exc.msg, exc.pos)


@settings(max_examples=300, deadline=None)
@given(
    value=JSON_VALUES,
    before=st.sampled_from(["", " ", "\n", "\t "]),
    after=st.sampled_from(["", " ", "\r\n", " x", "]", "{}"]),
    separators=st.sampled_from([(",", ":"), (", ", ": ")]),
)
def test_loads_is_json_loads(value, before, after, separators):
    text = before + json.dumps(value, separators=separators) + after
    assert outcome(loads, text) == outcome(json.loads, text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet='{}[]",:0123456789.eE+-truefalsn \\x', max_size=30))
def test_loads_of_anything_is_json_loads(text):
    assert outcome(loads, text) == outcome(json.loads, text)


# Async adapters ----------------------------------------------------------------------------


async def test_aiter_sse_and_ndjson_read_a_streamed_response():
    async def pieces(data: bytes):
        for i in range(0, len(data), 3):
            yield data[i : i + 3]

    sse = httpx.Response(200, content=pieces(b"data: 1\n\ndata: 2\n\n"))
    assert [e.data async for e in aiter_sse(sse)] == ["1", "2"]
    nd = httpx.Response(200, content=pieces(b'{"x":1}\n{"x":2}'))
    assert [v async for v in aiter_ndjson(nd)] == [{"x": 1}, {"x": 2}]


def test_line_events_dispatch_every_data_line_at_once():
    decoder = SSEDecoder(line_events=True)
    assert decoder.feed(b'data: {"a":1}\ndata: {"b":2}\n') == [
        ServerSentEvent(data='{"a":1}'),
        ServerSentEvent(data='{"b":2}'),
    ]
    assert decoder.feed(b"\n: comment\nevent: x\ndata\n") == [ServerSentEvent("x", "")]
    assert decoder.feed(b"data: [DO") == []
    assert decoder.flush() == [ServerSentEvent(data="[DO", complete=False)]
    decoder = SSEDecoder(line_events=True)
    assert decoder.feed(b"data: 1\n: cut comm") == [ServerSentEvent(data="1")]
    assert decoder.flush() == []


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_ndjson_garbage_only_ever_raises_typed_errors(data, cuts):
    outcomes = []
    for pieces in (split_at(data, cuts), [data]):
        try:
            outcomes.append(("ok", feed_all(NDJSONDecoder(), pieces)))
        except (ModelResponseError, ModelStreamError) as exc:
            outcomes.append(("error", type(exc)))
    assert outcomes[0] == outcomes[1]


def test_an_endless_line_keeps_memory_bounded():
    endless = (b"x" * 1024 for _ in range(10_000))  # 10 MB offered, never more than 64 KiB held
    with pytest.raises(ModelResponseError, match="longer than 65536"):
        feed_all(LineDecoder(max_line_length=1 << 16), endless)
