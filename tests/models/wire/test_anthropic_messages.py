from __future__ import annotations

import json

import pytest

from locus.core.errors import (
    ConfigError,
    ModelResponseError,
    ModelServerError,
    ModelStreamError,
    ModelThrottledError,
)
from locus.core.messages import Message, Role, ToolCall, ToolResult
from locus.models.accumulate import StreamAccumulator
from locus.models.wire import anthropic_messages as codec
from locus.transport.decode import ServerSentEvent
from tests.conftest import fixture_bytes
from tests.helpers import (
    assert_every_split_same,
    decode_and_fold,
    summarize_chunks,
    summarize_response,
)


def load(name):
    return json.loads(fixture_bytes(f"anthropic/{name}"))


def stream(name, pieces=None):
    data = fixture_bytes(f"anthropic/{name}")
    return decode_and_fold(pieces or [data], codec.parse_event, "anthropic")


def deltas(name, kind, field):
    """An independent oracle: the named delta field of every data line, joined."""
    out = []
    for line in fixture_bytes(f"anthropic/{name}").decode().splitlines():
        if line.startswith("data: "):
            data = json.loads(line[6:])
            delta = data.get("delta") or {}
            if data.get("type") == "content_block_delta" and delta.get("type") == kind:
                out.append(delta[field])
    return "".join(out)


def usage(prompt, completion, created=0, read=0, **extra):
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
        **extra,
    }


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
SEARCH = {
    "name": "search",
    "description": "Search the handbook",
    "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
}
OPTIONS = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 4096, "temperature": 0.7}
OSLO = ToolCall(id="toolu_01Ab3Cd5Ef7Gh9Jk2Lm4Np6Q", name="get_weather", arguments={"city": "Oslo"})
PARIS = ToolCall(
    id="toolu_01Rs8Tu1Vw3Xy5Za7Bc9De2F", name="get_weather", arguments={"city": "Paris"}
)


# Requests ----------------------------------------------------------------------------------


def test_request_conversation_mapping_matches_fixture():
    messages = [
        Message.system("You are terse."),
        Message.user("Weather in Oslo and Paris?"),
        Message.system("Use metric units."),
        Message.assistant("I'll check the weather in both cities.", [OSLO, PARIS]),
        Message.tool(
            ToolResult(tool_call_id=OSLO.id, name="get_weather", content="3°C, light snow")
        ),
        Message.tool(ToolResult(tool_call_id=PARIS.id, name="get_weather", content="11°C, cloudy")),
        Message.user("Which is warmer?"),
        Message.assistant("   "),
    ]
    options = {
        **OPTIONS,
        "max_tokens": 1024,
        "temperature": 0.2,
        "top_p": None,
        "top_k": 40,
        "stop": ["\n\nHuman:"],
        "thinking": None,
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "prompt_cache": False,
    }
    body = codec.build_request(messages, [WEATHER], options, stream=False)
    assert body == load("conversation.request.json")


def test_request_prompt_cache_marks_system_last_tool_and_flagged_message():
    messages = [
        Message.system("Long shared instructions."),
        Message(
            role=Role.USER,
            content="Here is the whole handbook: ...",
            metadata={"cache_control": {"type": "ephemeral"}},
        ),
        Message.assistant("Noted."),
        Message.user("What does chapter 2 say?"),
    ]
    body = codec.build_request(
        messages, [SEARCH, WEATHER], {**OPTIONS, "prompt_cache": True}, stream=True
    )
    assert body == load("prompt_cache.request.json")


def test_request_thinking_blocks_go_back_unchanged_and_temperature_is_left_out():
    answer = codec.parse_response(load("thinking_tool_use.json")).message
    messages = [
        Message.user("Weather in Oslo?"),
        answer,
        Message.tool(
            ToolResult(
                tool_call_id=answer.tool_calls[0].id, name="get_weather", content="3°C, light snow"
            )
        ),
    ]
    options = {
        "model": "claude-haiku-4-5-20251001",
        "max_tokens": 16000,
        "temperature": 0.7,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    body = codec.build_request(messages, [WEATHER], options, stream=False)
    assert body == load("thinking_followup.request.json")


def test_request_structured_output_forces_the_schema_tool():
    from pydantic import BaseModel

    from locus.core.structured import build_response_format

    class WeatherReport(BaseModel):
        city: str
        temp_c: float
        conditions: str

    messages = [Message.system("Report the weather as JSON."), Message.user("Weather in Oslo?")]
    options = {
        **OPTIONS,
        "response_format": build_response_format(WeatherReport),
        "tool_choice": "auto",
    }
    body = codec.build_request(messages, None, options, stream=True)
    assert body == load("structured_output.request.json")


def test_request_without_temperature_for_the_newest_opus():
    body = codec.build_request(
        [Message.user("Hello!")],
        None,
        {**OPTIONS, "model": "claude-opus-4-7"},
        stream=False,
        quirks=codec.Quirks(temperature=False),
    )
    assert body == load("no_temperature.request.json")


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", False, {"type": "none"}),
        ({"type": "function", "function": {"name": "f"}}, None, {"type": "tool", "name": "f"}),
        ({"type": "tool", "name": "f"}, None, {"type": "tool", "name": "f"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (None, True, None),
    ],
)
def test_request_tool_choice_mapping(choice, parallel, expected):
    body = codec.build_request(
        [Message.user("x")],
        [WEATHER],
        {**OPTIONS, "tool_choice": choice, "parallel_tool_calls": parallel},
        stream=False,
    )
    assert body.get("tool_choice") == expected


def test_request_bad_tool_choice_is_a_config_error():
    with pytest.raises(ConfigError, match="unsupported tool_choice"):
        codec.build_request([Message.user("x")], None, {**OPTIONS, "tool_choice": 3}, stream=False)


def test_request_server_tools_and_extras_pass_through_and_empty_turns_are_skipped():
    server_tool = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    messages = [Message.user(""), Message.user("Find it"), Message.assistant(None)]
    body = codec.build_request(
        messages,
        [server_tool],
        {**OPTIONS, "metadata": {"user_id": "u1"}, "top_p": 0.5},
        stream=False,
    )
    assert body["tools"] == [server_tool]
    assert body["metadata"] == {"user_id": "u1"}
    assert body["top_p"] == 0.5
    assert body["messages"] == [{"role": "user", "content": "Find it"}]


def test_request_tool_error_flag_and_empty_result():
    message = Message(role=Role.TOOL, content="", tool_call_id="t1", metadata={"is_error": True})
    body = codec.build_request([Message.user("x"), message], None, OPTIONS, stream=False)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "x"},
                {"type": "tool_result", "tool_use_id": "t1", "is_error": True},
            ],
        }
    ]


# Responses ---------------------------------------------------------------------------------

RESPONSES = {
    "text.json": ("Hello! How can I help you today?", [], usage(12, 12), "end_turn"),
    "tool_use.json": (
        "I'll check the weather in both cities.",
        [OSLO, PARIS],
        usage(402, 131),
        "tool_use",
    ),
    "thinking_tool_use.json": (
        None,
        [
            ToolCall(
                id="toolu_01Mn2Bv4Cx6Zl8Kj1Hg3Fd5S", name="get_weather", arguments={"city": "Oslo"}
            )
        ],
        usage(598, 96, reasoning_tokens=41),
        "tool_use",
    ),
    "cache_write.json": (
        "Oslo is 3°C with light snow.",
        [],
        usage(14, 9, created=1843),
        "end_turn",
    ),
    "structured_output.json": (
        '{"city": "Oslo", "temp_c": 3.5, "conditions": "light snow"}',
        [],
        usage(389, 41),
        "tool_use",
    ),
    "recorded/cache-read-nonstream.json": ("Goodbye", [], usage(3, 5, read=1217), "end_turn"),
    "recorded/max-tokens-nonstream.json": (
        "# The Last Song of Vaelthys",
        [],
        usage(16, 10),
        "max_tokens",
    ),
    "recorded/parallel-tool-use-nonstream.json": (
        "I'll execute all 3 parallel searches simultaneously right now!",
        [
            ToolCall(
                id="toolu_01NwzvrxEz6tvT3A8ydvMtHu",
                name="parallel_local_search_one",
                arguments={"query": "latest OpenAI model release notes"},
            ),
            ToolCall(
                id="toolu_01YCxzSB1suk9uPVC1uwfHz9",
                name="parallel_local_search_two",
                arguments={"query": "latest Anthropic model release notes"},
            ),
            ToolCall(
                id="toolu_01Mauvxzv58eDY7pUt9HMKGy",
                name="parallel_local_search_three",
                arguments={"query": "latest Gemini model release notes"},
            ),
        ],
        usage(914, 169),
        "tool_use",
    ),
    "recorded/text-nonstream.json": (
        "Hello! As an AI language model, I don't have feelings, but I'm functioning properly and ready to assist you. How can I help you today?",
        [],
        usage(13, 35),
        "end_turn",
    ),
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_fixture_parses_to_exact_result(name):
    content, calls, expected_usage, stop = RESPONSES[name]
    response = codec.parse_response(load(name))
    assert response.content == content
    assert response.tool_calls == calls
    assert response.usage == expected_usage
    assert response.stop_reason == stop


def test_response_thinking_is_kept_with_its_signature():
    body = load("recorded/thinking-nonstream.json")
    response = codec.parse_response(body)
    thinking = body["content"][0]
    assert response.message.metadata["thinking"] == thinking["thinking"]
    assert response.message.metadata["thinking_blocks"] == [
        {"type": "thinking", "thinking": thinking["thinking"], "signature": thinking["signature"]}
    ]
    assert response.content == body["content"][1]["text"]


@pytest.mark.parametrize(
    "body",
    [load("recorded/error-400-invalid-request.json"), [], {"type": "message", "content": None}],
)
def test_response_that_is_not_a_message_is_a_typed_error(body):
    with pytest.raises(ModelResponseError, match="anthropic: the response is not a message"):
        codec.parse_response(body)


# Streams -----------------------------------------------------------------------------------

STREAMS = {
    "text.sse": ([], usage(12, 12), "end_turn"),
    "tool_use.sse": ([OSLO, PARIS], usage(402, 131), "tool_use"),
    "thinking_tool_use.sse": (
        [
            ToolCall(
                id="toolu_01Mn2Bv4Cx6Zl8Kj1Hg3Fd5S", name="get_weather", arguments={"city": "Oslo"}
            )
        ],
        usage(598, 96, reasoning_tokens=41),
        "tool_use",
    ),
    "recorded/cache-read-stream.sse": ([], usage(3, 4, read=1217), "end_turn"),
    "recorded/text-stream.sse": ([], usage(17, 10), "end_turn"),
    "recorded/text-stream-late-ping.sse": ([], usage(15, 13), "end_turn"),
    "recorded/thinking-stream-signature.sse": ([], usage(43, 282), "end_turn"),
    "recorded/redacted-thinking-stream.sse": ([], usage(92, 189), "end_turn"),
    "recorded/web-search-server-tool-stream.sse": ([], usage(10423, 341), "end_turn"),
    "recorded/tool-use-stream-fragmented-args.sse": (
        [
            ToolCall(
                id="toolu_01Lfr3kUnHMZApePPRWMv1uS",
                name="get_current_temperature",
                arguments={"city": "San Francisco"},
            )
        ],
        usage(351, 85),
        "tool_use",
    ),
    # A tool with no arguments streams one `partial_json: ""`: its input is {}.
    "recorded/parallel-tool-use-stream.sse": (
        [
            ToolCall(
                id="toolu_01LtHJmixrs9NcWQkK8hu8hj", name="pelican_name_generator", arguments={}
            ),
            ToolCall(
                id="toolu_01N8a4jWyf116qKTMqKKmjyt", name="pelican_name_generator", arguments={}
            ),
        ],
        usage(542, 62),
        "tool_use",
    ),
    "recorded/thinking-tool-use-stream.sse": (
        [ToolCall(id="toolu_01825dXWLSoJwCst1qTsiWdb", name="fixed_version", arguments={})],
        usage(598, 92, reasoning_tokens=53),
        "tool_use",
    ),
    # The tool call cut off by max_tokens never closed its block: it is not emitted.
    "recorded/max-tokens-inside-tool-json-stream.sse": ([], usage(450, 124), "max_tokens"),
    # Recorded without its final blank line; the usage has no cache counts.
    "recorded/refusal-stream.sse": ([], {"prompt_tokens": 20, "completion_tokens": 0}, "refusal"),
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_fixture_folds_to_exact_result(name):
    calls, expected_usage, stop = STREAMS[name]
    chunks, acc = stream(name)
    assert acc.finished
    final = chunks[-1]
    assert final.done
    assert (final.usage, final.stop_reason) == (expected_usage, stop)
    assert final.message.content == (deltas(name, "text_delta", "text") or None)
    assert final.message.metadata.get("thinking") == (
        deltas(name, "thinking_delta", "thinking") or None
    )
    assert final.message.tool_calls == calls
    # Each tool call is emitted once, complete, in its own chunk at its block stop.
    assert [c for chunk in chunks[:-1] for c in chunk.tool_calls or ()] == calls
    assert [chunk.done for chunk in chunks].count(True) == 1


@pytest.mark.parametrize(
    "name",
    ["text", "tool_use", "thinking_tool_use", "structured_output"],
)
def test_stream_and_complete_give_the_same_message(name):
    chunks, _ = stream(f"{name}.sse")
    response = codec.parse_response(load(f"{name}.json"))
    assert summarize_chunks(chunks) == summarize_response(response)
    assert chunks[-1].message == response.message


def test_stream_thinking_signature_and_redacted_blocks_are_kept():
    chunks, _ = stream("recorded/thinking-stream-signature.sse")
    (block,) = chunks[-1].message.metadata["thinking_blocks"]
    assert block["type"] == "thinking"
    assert block["signature"] == deltas(
        "recorded/thinking-stream-signature.sse", "signature_delta", "signature"
    )
    assert len(block["signature"]) > 100
    chunks, _ = stream("recorded/redacted-thinking-stream.sse")
    blocks = chunks[-1].message.metadata["thinking_blocks"]
    assert [b["type"] for b in blocks] == ["redacted_thinking", "redacted_thinking"]
    assert all(b["data"] for b in blocks)


def test_stream_structured_answer_is_the_content_once():
    chunks, _ = stream("structured_output.sse")
    assert [c.content for c in chunks if c.content] == [
        '{"city": "Oslo", "temp_c": 3.5, "conditions": "light snow"}'
    ]
    assert chunks[-1].message.tool_calls == []


def test_stream_refusal_keeps_stop_details():
    chunks, _ = stream("recorded/refusal-stream.sse")
    assert chunks[-1].message.metadata["stop_details"]["type"] == "refusal"


def test_stream_split_at_every_byte_offset_gives_identical_chunks():
    assert_every_split_same(stream, "tool_use.sse", fixture_bytes("anthropic/tool_use.sse"))


def test_stream_overloaded_before_output_is_a_retryable_throttled_error():
    with pytest.raises(
        ModelThrottledError, match="anthropic: the stream reported overloaded_error: Overloaded"
    ) as info:
        stream("error_overloaded_first.sse")
    assert info.value.retryable
    assert info.value.code == "overloaded_error"


def test_stream_error_after_text_raises_after_the_text():
    delivered = []

    def parse(frame, acc):
        chunks = codec.parse_event(frame, acc)
        delivered.extend(chunks)
        return chunks

    with pytest.raises(ModelThrottledError):
        decode_and_fold([fixture_bytes("anthropic/error_midstream.sse")], parse, "anthropic")
    assert "".join(c.content or "" for c in delivered) == "Once upon a time"


@pytest.mark.parametrize(
    ("error_type", "cls", "retryable"),
    [("api_error", ModelServerError, True), ("invalid_request_error", ModelStreamError, False)],
)
def test_stream_error_types(error_type, cls, retryable):
    event = ServerSentEvent(
        "error", json.dumps({"type": "error", "error": {"type": error_type, "message": "m"}})
    )
    with pytest.raises(cls) as info:
        codec.parse_event(event, StreamAccumulator("anthropic"))
    assert info.value.retryable is retryable


def test_stream_truncated_inside_an_event_is_a_stream_error():
    with pytest.raises(ModelStreamError, match="ended in the middle of an event"):
        stream("truncated.sse")


def test_stream_unknown_events_and_pings_are_ignored_and_type_is_the_fallback_name():
    acc = StreamAccumulator("anthropic")
    assert codec.parse_event(ServerSentEvent("ping", '{"type": "ping"}'), acc) == []
    assert codec.parse_event(ServerSentEvent("future_event", '{"type": "future_event"}'), acc) == []
    assert codec.parse_event(ServerSentEvent("message", "[1]"), acc) == []
    codec.parse_event(ServerSentEvent("message", '{"type": "message_stop"}'), acc)
    assert acc.finished


def test_stream_delta_for_an_unknown_block_is_a_response_error():
    event = ServerSentEvent(
        "content_block_delta",
        json.dumps(
            {
                "type": "content_block_delta",
                "index": 3,
                "delta": {"type": "text_delta", "text": "x"},
            }
        ),
    )
    with pytest.raises(ModelResponseError, match="not started"):
        codec.parse_event(event, StreamAccumulator("anthropic"))
