from __future__ import annotations

import json

import pytest

from locus.core.errors import ConfigError, ModelResponseError, ModelStreamError
from locus.core.messages import Message, ToolCall, ToolResult
from locus.models.accumulate import StreamAccumulator
from locus.models.wire import oci_chat as codec
from locus.models.wire.oci_chat import Quirks
from locus.transport.decode import ServerSentEvent, SSEDecoder
from tests.conftest import fixture_bytes
from tests.helpers import assert_every_split_same, summarize_chunks, summarize_response

C = "ocid1.compartment.oc1..test"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    },
}
OSLO = ToolCall(id="call_Jr5tWc0Zb7oM2yQnX8kA4sPe", name="get_weather", arguments={"city": "Oslo"})
PARIS = ToolCall(
    id="call_H1dLx6Vq3gTz9pNf0aRu7wKc", name="get_weather", arguments={"city": "Paris"}
)
COHERE = Quirks(api_format="COHERE")


def load(name):
    return json.loads(fixture_bytes(f"oci/{name}"))


def stream(name, pieces=None):
    data = fixture_bytes(f"oci/{name}")
    decoder = SSEDecoder(provider="oci", line_events=True)
    acc = StreamAccumulator("oci")
    chunks = []
    frames = [f for piece in (pieces or [data]) for f in decoder.feed(piece)] + decoder.flush()
    for frame in frames:
        chunks += codec.parse_event(frame, acc)
        if acc.closed:
            break
    if acc.finished:
        chunks += acc.finish()
    return chunks, acc


def conversation():
    return [
        Message.system("Answer briefly."),
        Message.user("Weather in Oslo and Paris?"),
        Message.assistant("I will look up the weather in Oslo and Paris.", [OSLO, PARIS]),
        Message.tool(
            ToolResult(tool_call_id=OSLO.id, name="get_weather", content="3°C, light snow")
        ),
        Message.tool(ToolResult(tool_call_id=PARIS.id, name="get_weather", content="11°C, cloudy")),
    ]


def test_cohere_request_with_tool_results_keeps_each_calls_arguments():
    options = {
        "model": "cohere.command-r-plus-08-2024",
        "compartment_id": C,
        "max_tokens": 600,
        "temperature": 0.3,
        "top_p": 0.75,
        "stop": ["END"],
        "frequency_penalty": 0.0,
    }
    body = codec.build_request(conversation(), [WEATHER], options, stream=False, quirks=COHERE)
    assert body == load("cohere_tool_results.request.json")


def test_cohere_request_keeps_earlier_tool_results_in_history():
    messages = [
        Message.user("Weather in Oslo?"),
        Message.assistant(tool_calls=[OSLO]),
        Message.tool(
            ToolResult(tool_call_id=OSLO.id, name="get_weather", content="3°C, light snow")
        ),
        Message.assistant("It is 3°C with light snow."),
        Message.user("And tomorrow?"),
    ]
    options = {
        "model": "cohere.command-r-08-2024",
        "compartment_id": C,
        "max_tokens": 4096,
        "temperature": 0.7,
        "top_p": 0.9,
    }
    body = codec.build_request(messages, [WEATHER], options, stream=True, quirks=COHERE)
    assert body == load("cohere_history.request.json")


def test_cohere_needs_a_user_message():
    with pytest.raises(ConfigError, match="needs a user message"):
        codec.build_request(
            [Message.system("x")],
            None,
            {"model": "m", "compartment_id": C},
            stream=False,
            quirks=COHERE,
        )


def test_generic_request_matches_fixture():
    messages = conversation()
    messages[2] = Message.assistant(tool_calls=[OSLO, PARIS])
    options = {
        "model": "meta.llama-3.3-70b-instruct",
        "compartment_id": C,
        "max_tokens": 600,
        "temperature": 0.2,
        "top_p": 0.9,
        "top_k": 40,
        "seed": 7,
        "stop": ["END"],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    assert codec.build_request(messages, [WEATHER], options, stream=True) == load(
        "generic_conversation.request.json"
    )


def test_dedicated_endpoint_serving_mode():
    options = {
        "model": "ocid1.generativeaiendpoint.oc1.us-chicago-1.test",
        "compartment_id": C,
        "max_tokens": 4096,
        "temperature": 0.7,
        "top_p": 0.9,
    }
    assert codec.build_request([Message.user("Hello!")], None, options, stream=False) == load(
        "dedicated.request.json"
    )


def test_reasoning_family_structured_output_request():
    from pydantic import BaseModel

    from locus.core.structured import build_response_format

    class WeatherReport(BaseModel):
        city: str
        temp_c: float
        conditions: str

    options = {
        "model": "openai.gpt-5",
        "compartment_id": C,
        "max_tokens": 4096,
        "temperature": 0.7,
        "top_p": 0.9,
        "reasoning_effort": "low",
        "response_format": build_response_format(WeatherReport),
    }
    quirks = Quirks(token_field="maxCompletionTokens", sampling=False)
    assert codec.build_request(
        [Message.user("Weather in Oslo?")], None, options, stream=False, quirks=quirks
    ) == load("openai_gpt5.request.json")


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", {"type": "NONE"}),
        ("required", {"type": "REQUIRED"}),
        ({"type": "function", "function": {"name": "f"}}, {"type": "FUNCTION", "name": "f"}),
    ],
)
def test_generic_tool_choice(choice, expected):
    body = codec.build_request(
        [Message.user("x")],
        [WEATHER],
        {"model": "m", "compartment_id": C, "tool_choice": choice},
        stream=False,
    )
    assert body["chatRequest"]["toolChoice"] == expected
    with pytest.raises(ConfigError, match="unsupported tool_choice"):
        codec.build_request(
            [Message.user("x")],
            None,
            {"model": "m", "compartment_id": C, "tool_choice": 1},
            stream=False,
        )


def test_response_formats_and_passthrough():
    schema_fmt = {
        "type": "json_schema",
        "json_schema": {
            "name": "n",
            "schema": {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/A"}},
                "$defs": {"A": {"type": "string"}},
            },
        },
    }
    body = codec.build_request(
        [Message.user("x")],
        None,
        {"model": "m", "compartment_id": C, "response_format": schema_fmt, "isEcho": True},
        stream=False,
        quirks=COHERE,
    )
    assert body["chatRequest"]["responseFormat"] == {
        "type": "JSON_OBJECT",
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
    }
    assert body["chatRequest"]["isEcho"] is True
    for fmt, expected in (
        ({"type": "json_object"}, {"type": "JSON_OBJECT"}),
        ({"type": "text"}, {"type": "TEXT"}),
    ):
        body = codec.build_request(
            [Message.user("x")],
            None,
            {"model": "m", "compartment_id": C, "response_format": fmt},
            stream=False,
        )
        assert body["chatRequest"]["responseFormat"] == expected


def usage(prompt, completion, **extra):
    return {"prompt_tokens": prompt, "completion_tokens": completion, **extra}


RESPONSES = {
    "generic_text.json": ("Hello! How can I help you today?", [OSLO][:0], usage(42, 10), "stop"),
    "generic_tool_calls.json": (None, [OSLO, PARIS], usage(210, 36), "tool_calls"),
    "cohere_text.json": ("Hello! How can I help you today?", [], usage(7, 10), "COMPLETE"),
    "generic_empty.json": (None, [], usage(42, 0), "stop"),
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_fixture_parses_to_exact_result(name):
    content, calls, expected_usage, stop = RESPONSES[name]
    response = codec.parse_response(load(name))
    assert (response.content, response.tool_calls, response.usage, response.stop_reason) == (
        content,
        calls,
        expected_usage,
        stop,
    )


def test_cohere_tool_calls_get_unique_ids():
    response = codec.parse_response(load("cohere_tool_calls.json"))
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_weather", {"city": "Paris"}),
    ]
    assert len({c.id for c in response.tool_calls}) == 2
    assert response.content == "I will look up the weather in Oslo and Paris."


def test_response_without_chat_response_is_a_typed_error():
    with pytest.raises(ModelResponseError, match="oci: the response has no chatResponse"):
        codec.parse_response({"code": "x"})


STREAMS = {
    "generic_text.sse": ("Hello! How can I help you today?", None, [], usage(42, 10), "stop"),
    "generic_tool_calls.sse": (
        None,
        None,
        [OSLO, PARIS],
        usage(210, 36, cached_tokens=0, reasoning_tokens=0),
        "tool_calls",
    ),
    "cohere_text.sse": ("Hello! How can I help you today?", None, [], usage(7, 10), "COMPLETE"),
    "recorded/cohere-stream-usage-on-finish.sse": ("Hi", None, [], usage(7, 2), "COMPLETE"),
    "recorded/coherev2-stream-no-done.sse": ("Hi!", None, [], None, "COMPLETE"),
    "recorded/generic-text-stream-usage-done.sse": ("Hi", None, [], usage(42, 10), "stop"),
    "recorded/generic-openai-model-usage-details.sse": (
        "Hi",
        None,
        [],
        usage(14, 2, cached_tokens=0, reasoning_tokens=0),
        "stop",
    ),
    "recorded/generic-gemini-unsolicited-usage.sse": (
        "Hi",
        None,
        [],
        usage(7, 17, reasoning_tokens=17),
        "max_tokens",
    ),
    "recorded/generic-grok-reasoning-stream.sse": ("56", "7 * 8 = 56.", [], None, "stop"),
    "recorded/generic-gptoss-tool-call-fragmented.sse": (
        None,
        None,
        [("call_abc123", "get_weather", {"location": "NYC"})],
        None,
        "tool_calls",
    ),
    "recorded/generic-grok-parallel-tool-calls.sse": (
        None,
        None,
        [
            ("call_weather", "get_weather", {"location": "Tokyo"}),
            ("call_time", "get_time", {"timezone": "PST"}),
        ],
        None,
        "tool_calls",
    ),
    "recorded/generic-gpt-parallel-tool-calls-position0.sse": (
        None,
        None,
        [
            ("call_A", "market_research_tool", {"idea": "app", "marketSegment": "smb"}),
            ("call_B", "customer_signal_tool", {"idea": "app", "audience": "devs"}),
            ("call_C", "roadmap_risk_tool", {"productArea": "auth", "riskFocus": "churn"}),
        ],
        None,
        "tool_calls",
    ),
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_fixture_folds_to_exact_result(name):
    content, thinking, calls, expected_usage, stop = STREAMS[name]
    chunks, acc = stream(name)
    assert acc.finished
    summary = summarize_chunks(chunks)
    if calls and isinstance(calls[0], ToolCall):
        calls = [(c.id, c.name, c.arguments) for c in calls]
    assert summary == {
        "content": content,
        "thinking": thinking,
        "tool_calls": calls,
        "usage": expected_usage,
        "stop_reason": stop,
    }
    assert [chunk.done for chunk in chunks].count(True) == 1


def test_gemini_tool_call_without_id_gets_one():
    chunks, _ = stream("recorded/generic-gemini-tool-call-no-id.sse")
    (call,) = chunks[-1].message.tool_calls
    assert (call.name, call.arguments) == ("get_weather", {"location": "Boston"})
    assert call.id.startswith("call_")
    assert chunks[-1].message.content is None  # a TEXT part without `text`


def test_cohere_stream_tool_calls_and_stream_equals_complete():
    chunks, _ = stream("cohere_tool_calls.sse")
    response = codec.parse_response(load("cohere_tool_calls.json"))
    assert [(c.name, c.arguments) for c in chunks[-1].message.tool_calls] == [
        (c.name, c.arguments) for c in response.tool_calls
    ]
    for name in ("generic_text", "generic_tool_calls", "cohere_text"):
        chunks, _ = stream(f"{name}.sse")
        response = codec.parse_response(load(f"{name}.json"))
        summary, expected = summarize_chunks(chunks), summarize_response(response)
        if name == "generic_tool_calls":  # the stream's usage chunk adds the token details
            summary["usage"] = {k: v for k, v in summary["usage"].items() if k in expected["usage"]}
        assert summary == expected


def test_usage_closes_the_stream_after_finish_and_done_closes_it_too():
    _, acc = stream("generic_text.sse")
    assert acc.closed
    _, acc = stream("recorded/generic-gemini-tool-call-no-id.sse")
    assert acc.finished
    assert not acc.closed  # no usage yet: a model's tail wait bounds how long to read on


def test_split_at_every_byte_offset_gives_identical_chunks():
    assert_every_split_same(
        stream, "generic_tool_calls.sse", fixture_bytes("oci/generic_tool_calls.sse")
    )


def test_truncated_and_error_events():
    with pytest.raises(ModelStreamError, match="ended in the middle of an event"):
        stream("generic_truncated.sse")
    acc = StreamAccumulator("oci")
    with pytest.raises(ModelStreamError, match="oci: the stream reported an error: boom"):
        codec.parse_event(ServerSentEvent(data='{"apiFormat":"COHERE","errorMessage":"boom"}'), acc)
    with pytest.raises(ModelResponseError, match="not a JSON object"):
        codec.parse_event(ServerSentEvent(data="[1]"), acc)
