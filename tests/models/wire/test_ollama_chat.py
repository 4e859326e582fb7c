from __future__ import annotations

import json

import pytest

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.core.messages import Message, Role, ToolCall, ToolResult
from locus.models.accumulate import StreamAccumulator
from locus.models.wire import ollama_chat as codec
from tests.conftest import fixture_bytes
from tests.helpers import (
    assert_every_split_same,
    decode_and_fold,
    summarize_chunks,
    summarize_response,
)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
OSLO = ToolCall(id="call_k3v9x2qa", name="get_weather", arguments={"city": "Oslo"})
PARIS = ToolCall(id="call_7hd0m4pz", name="get_weather", arguments={"city": "Paris"})


def load(name):
    return json.loads(fixture_bytes(f"ollama/{name}"))


def stream(name, pieces=None):
    data = fixture_bytes(f"ollama/{name}")
    return decode_and_fold(pieces or [data], codec.parse_event, "ollama", ndjson=True)


def lines(name, field):
    """An independent oracle: the message field of every line, joined."""
    out = []
    for line in fixture_bytes(f"ollama/{name}").decode().splitlines():
        if line.strip():
            out.append((json.loads(line).get("message") or {}).get(field) or "")
    return "".join(out) or None


def test_request_conversation_matches_fixture():
    messages = [
        Message.system("Answer briefly."),
        Message.user("Weather in Oslo and Paris?"),
        Message.assistant(tool_calls=[OSLO, PARIS]),
        Message.tool(
            ToolResult(tool_call_id=OSLO.id, name="get_weather", content="3°C, light snow")
        ),
        Message.tool(ToolResult(tool_call_id=PARIS.id, name="get_weather", content="11°C, cloudy")),
    ]
    options = {
        "model": "llama3.2",
        "max_tokens": 256,
        "temperature": 0,
        "top_p": 0.9,
        "stop": ["</end>"],
        "seed": 7,
        "options": {"num_ctx": 8192},
        "keep_alive": "10m",
        "think": None,
    }
    assert codec.build_request(messages, [WEATHER], options, stream=False) == load(
        "conversation.request.json"
    )


def test_request_structured_output_becomes_format():
    from pydantic import BaseModel

    from locus.core.structured import build_response_format

    class WeatherReport(BaseModel):
        city: str
        temp_c: float
        conditions: str

    options = {
        "model": "llama3.2",
        "max_tokens": 4096,
        "temperature": 0.7,
        "top_p": 0.9,
        "response_format": build_response_format(WeatherReport),
        "think": False,
    }
    body = codec.build_request([Message.user("Weather in Oslo?")], None, options, stream=True)
    assert body == load("structured_output.request.json")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"response_format": {"type": "json_object"}}, "json"),
        ({"response_format": "json"}, "json"),
        ({"response_format": {"type": "text"}}, None),
        (
            {"response_format": {"type": "object", "properties": {}}},
            {"type": "object", "properties": {}},
        ),
        ({"format": "json", "response_format": {"type": "text"}}, "json"),
    ],
)
def test_request_format_forms(options, expected):
    body = codec.build_request([Message.user("x")], None, {"model": "m", **options}, stream=False)
    assert body.get("format") == expected
    assert body["stream"] is False
    assert body["options"] == {}


RESPONSES = {
    "text.json": (
        "Hello! How can I help you today?",
        None,
        [],
        {"prompt_tokens": 26, "completion_tokens": 10},
        "stop",
    ),
    "tool_calls.json": (
        None,
        None,
        [OSLO, PARIS],
        {"prompt_tokens": 169, "completion_tokens": 31},
        "stop",
    ),
    "thinking.json": (
        "Hi there!",
        "Okay, the user wants a greeting.",
        [],
        {"prompt_tokens": 12, "completion_tokens": 15},
        "stop",
    ),
    "structured_output.json": (
        '{"city":"Oslo","temp_c":3.5,"conditions":"light snow"}',
        None,
        [],
        {"prompt_tokens": 61, "completion_tokens": 17},
        "stop",
    ),
    "recorded/chat-tool-call-cloud.json": (
        None,
        "User asks about weather in San Francisco. Use function getWeather.",
        [
            ToolCall(
                id="call_mo1wm122", name="getWeather", arguments={"location": "San Francisco, CA"}
            )
        ],
        {"prompt_tokens": 145, "completion_tokens": 44},
        "stop",
    ),
    "recorded/chat-structured-output-cloud.json": (
        '{"country":"France","capital":"Paris"}',
        load("recorded/chat-structured-output-cloud.json")["message"]["thinking"],
        [],
        {"prompt_tokens": 27, "completion_tokens": 600},
        "stop",
    ),
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_fixture_parses_to_exact_result(name):
    content, thinking, calls, usage, stop = RESPONSES[name]
    response = codec.parse_response(load(name))
    assert (response.content, response.message.metadata.get("thinking")) == (content, thinking)
    assert response.tool_calls == calls
    assert (response.usage, response.stop_reason) == (usage, stop)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("recorded/error-400-context-length.json", "the input length exceeds the context length"),
        ("recorded/error-400-tools-unsupported.json", "does not support tools"),
    ],
)
def test_response_error_body_is_a_typed_error(name, text):
    with pytest.raises(ModelResponseError, match=text):
        codec.parse_response(load(name))


@pytest.mark.parametrize(
    "body", [[], {"done": True}, {"message": {"tool_calls": [{"function": {}}]}}]
)
def test_response_unusable_body_is_a_typed_error(body):
    with pytest.raises(ModelResponseError, match="ollama: "):
        codec.parse_response(body)


def test_tool_calls_without_ids_get_unique_ids():
    call = {"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}
    response = codec.parse_response(
        {"message": {"content": "", "tool_calls": [call, call]}, "done": True}
    )
    first, second = response.tool_calls
    assert first.id != second.id
    assert first.id.startswith("call_")


STREAMS = {
    "text.ndjson": ([], {"prompt_tokens": 26, "completion_tokens": 10}, "stop"),
    "tool_calls.ndjson": ([OSLO, PARIS], {"prompt_tokens": 169, "completion_tokens": 31}, "stop"),
    "thinking.ndjson": ([], {"prompt_tokens": 12, "completion_tokens": 15}, "stop"),
    "structured_output.ndjson": ([], {"prompt_tokens": 61, "completion_tokens": 17}, "stop"),
    "finish_length.ndjson": ([], {"prompt_tokens": 14, "completion_tokens": 3}, "length"),
    "recorded/chat-stream-text.ndjson": (
        [],
        {"prompt_tokens": 16, "completion_tokens": 22},
        "stop",
    ),
    "recorded/chat-stream-format-json.ndjson": (
        [],
        {"prompt_tokens": 25, "completion_tokens": 9},
        "stop",
    ),
    # Served as application/json with a Content-Length; `done` comes before `done_reason`.
    "recorded/chat-stream-thinking-cloud.ndjson": (
        [],
        {"prompt_tokens": 74, "completion_tokens": 57},
        "stop",
    ),
    "recorded/chat-stream-tool-calls-documented.ndjson": (
        [("get_weather", {"city": "Tokyo"})],
        {"prompt_tokens": 169, "completion_tokens": 15},
        "stop",
    ),
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_fixture_folds_to_exact_result(name):
    calls, usage, stop = STREAMS[name]
    chunks, acc = stream(name)
    assert acc.finished
    final = chunks[-1]
    assert (final.usage, final.stop_reason) == (usage, stop)
    assert final.message.content == lines(name, "content")
    assert final.message.metadata.get("thinking") == lines(name, "thinking")
    got = final.message.tool_calls
    if calls and isinstance(calls[0], tuple):
        assert [(c.name, c.arguments) for c in got] == calls
        assert all(c.id.startswith("call_") for c in got)
    else:
        assert got == calls
    assert [c for chunk in chunks[:-1] for c in chunk.tool_calls or ()] == got


@pytest.mark.parametrize("name", ["text", "tool_calls", "thinking", "structured_output"])
def test_stream_and_complete_give_the_same_message(name):
    chunks, _ = stream(f"{name}.ndjson")
    response = codec.parse_response(load(f"{name}.json"))
    assert summarize_chunks(chunks) == summarize_response(response)
    assert chunks[-1].message == response.message


def test_stream_split_at_every_byte_offset_gives_identical_chunks():
    assert_every_split_same(stream, "thinking.ndjson", fixture_bytes("ollama/thinking.ndjson"))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("error_midstream.ndjson", "Once upon a time"),
        ("recorded/stream-midstream-error-documented.ndjson", " Yes.Ican"),
    ],
)
def test_stream_error_line_raises_after_the_text(name, text):
    delivered = []

    def parse(frame, acc):
        chunks = codec.parse_event(frame, acc)
        delivered.extend(chunks)
        return chunks

    with pytest.raises(
        ModelStreamError, match="ollama: the stream reported an error: an error was encountered"
    ):
        decode_and_fold([fixture_bytes(f"ollama/{name}")], parse, "ollama", ndjson=True)
    assert "".join(c.content or "" for c in delivered) == text


def test_stream_cut_mid_line_is_a_stream_error():
    with pytest.raises(ModelStreamError, match="ended in the middle of a JSON line"):
        stream("truncated.ndjson")


def test_stream_line_that_is_not_an_object_is_a_response_error():
    with pytest.raises(ModelResponseError, match="not a JSON object"):
        codec.parse_event([1], StreamAccumulator("ollama"))


def test_message_shapes():
    body = codec.build_request(
        [Message(role=Role.TOOL, content="x"), Message.assistant("hi")],
        None,
        {"model": "m"},
        stream=False,
    )
    assert body["messages"] == [
        {"role": "tool", "content": "x"},
        {"role": "assistant", "content": "hi"},
    ]
