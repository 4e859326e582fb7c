from __future__ import annotations

import json

import pytest

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.core.messages import Message, Role, ToolCall, ToolResult
from locus.models.wire import openai_chat
from locus.models.wire.openai_chat import Quirks
from locus.transport.decode import ServerSentEvent
from tests.conftest import fixture_bytes
from tests.helpers import (
    assert_every_split_same,
    decode_and_fold,
    summarize_chunks,
    summarize_response,
)


def load(name: str):
    return json.loads(fixture_bytes(f"openai/{name}"))


def stream(name: str, pieces=None):
    data = fixture_bytes(f"openai/{name}")
    return decode_and_fold(pieces or [data], openai_chat.parse_event, "openai")


def usage(prompt, completion, cached=0, reasoning=0):
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cached_tokens": cached,
        "reasoning_tokens": reasoning,
    }


OPTIONS = {"model": "gpt-4o", "max_tokens": 4096, "temperature": 0.7, "top_p": 0.9}
WEATHER_TOOL = {
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
        "strict": True,
    },
}

# Requests ----------------------------------------------------------------------------------


def test_request_tool_round_trip_matches_fixture():
    oslo = ToolCall(
        id="call_Jr5tWc0Zb7oM2yQnX8kA4sPe", name="get_weather", arguments={"city": "Oslo"}
    )
    paris = ToolCall(
        id="call_H1dLx6Vq3gTz9pNf0aRu7wKc", name="get_weather", arguments={"city": "Paris"}
    )
    messages = [
        Message.system("Answer briefly."),
        Message.user("Weather in Oslo and Paris?"),
        Message.assistant(tool_calls=[oslo, paris]),
        Message.tool(
            ToolResult(tool_call_id=oslo.id, name="get_weather", content="3°C, light snow")
        ),
        Message.tool(ToolResult(tool_call_id=paris.id, name="get_weather", content="11°C, cloudy")),
    ]
    options = {
        **OPTIONS,
        "max_tokens": 512,
        "seed": 7,
        "stop": ["\n\n"],
        "frequency_penalty": 0.0,
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    body = openai_chat.build_request(messages, [WEATHER_TOOL], options, stream=False)
    assert body == load("tool_result_followup.request.json")


def test_request_reasoning_family_uses_max_completion_tokens_and_no_sampling():
    quirks = Quirks(
        token_param="max_completion_tokens", sampling=False, stop=False, system_role="developer"
    )
    options = {
        "model": "o3-mini",
        "max_tokens": 4096,
        "temperature": 0.7,
        "top_p": 0.9,
        "frequency_penalty": 0.5,
        "stop": ["END"],
        "reasoning_effort": "high",
    }
    body = openai_chat.build_request(
        [Message.system("Answer in one sentence."), Message.user("What is the capital of France?")],
        None,
        options,
        stream=False,
        quirks=quirks,
    )
    assert body == load("reasoning_o3_mini.request.json")


def test_request_stream_asks_for_usage_unless_switched_off():
    body = openai_chat.build_request(
        [Message.user("Hello!")], None, {**OPTIONS, "model": "gpt-4o-mini"}, stream=True
    )
    assert body == load("text.request.json")
    body = openai_chat.build_request(
        [Message.user("Hi")], None, {**OPTIONS, "include_usage": False}, stream=True
    )
    assert body["stream"] is True
    assert "stream_options" not in body


def test_request_penalties_only_when_non_zero_and_none_values_dropped():
    body = openai_chat.build_request(
        [Message.user("Hi")],
        None,
        {**OPTIONS, "frequency_penalty": 0.0, "presence_penalty": 0.4, "seed": None, "user": None},
        stream=False,
    )
    assert body["presence_penalty"] == 0.4
    assert "frequency_penalty" not in body
    assert "seed" not in body
    assert "user" not in body


def test_request_inlines_schema_refs_when_the_family_needs_it():
    schema = {
        "type": "object",
        "properties": {"place": {"$ref": "#/$defs/Place"}},
        "$defs": {"Place": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    tool = {"type": "function", "function": {"name": "go", "parameters": schema}}
    response_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    inlined = {
        "type": "object",
        "properties": {"place": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    body = openai_chat.build_request(
        [Message.user("Hi")],
        [tool],
        {**OPTIONS, "response_format": response_format},
        stream=False,
        quirks=Quirks(inline_refs=True),
    )
    assert body["tools"][0]["function"]["parameters"] == inlined
    assert body["response_format"]["json_schema"]["schema"] == inlined
    assert tool["function"]["parameters"] is schema  # the caller's dict is untouched


def test_request_message_shapes():
    messages = [
        Message(role=Role.USER, content=None, name="ann"),
        Message.assistant("Calling.", [ToolCall(id="c1", name="f", arguments={})]),
        Message(role=Role.TOOL, content=None, tool_call_id="c1", name="f"),
    ]
    body = openai_chat.build_request(messages, None, OPTIONS, stream=False)
    assert body["messages"] == [
        {"role": "user", "content": "", "name": "ann"},
        {
            "role": "assistant",
            "content": "Calling.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": ""},
    ]


# Responses ---------------------------------------------------------------------------------

RESPONSES = {
    "text.json": ("Hello! How can I help you today?", [], usage(19, 9), "stop"),
    "parallel_tool_calls.json": (
        None,
        [
            ("call_Jr5tWc0Zb7oM2yQnX8kA4sPe", "get_weather", {"city": "Oslo"}),
            ("call_H1dLx6Vq3gTz9pNf0aRu7wKc", "get_weather", {"city": "Paris"}),
        ],
        usage(81, 46),
        "tool_calls",
    ),
    "structured_output.json": (
        '{"city":"Oslo","temp_c":3.5,"conditions":"light snow"}',
        [],
        usage(94, 17),
        "stop",
    ),
    "refusal.json": ("I'm sorry, I can't assist with that request.", [], usage(102, 11), "stop"),
    "recorded/cached-tokens-nonstream.json": ("Hello!", [], usage(1144, 2, cached=1024), "stop"),
    "recorded/finish-length.json": (
        "**Title: The Last Ember of Eldoria**\n\n",
        [],
        usage(16, 10),
        "length",
    ),
    "recorded/parallel-tool-calls-nonstream.json": (
        None,
        [
            (
                "call_kz1qLLRsugXwWiQMeH9oFAep",
                "parallel_local_search_one",
                {"query": "latest OpenAI model release notes"},
            ),
            (
                "call_yNouGq1Kv6P5W9fhTng6acZi",
                "parallel_local_search_two",
                {"query": "latest Anthropic model release notes"},
            ),
            (
                "call_O7MqnuniDmyT6a0BS31GTunB",
                "parallel_local_search_three",
                {"query": "latest Gemini model release notes"},
            ),
        ],
        usage(259, 78),
        "tool_calls",
    ),
    "recorded/reasoning-tokens-o3-mini.json": (
        "The capital of France is Paris.",
        [],
        usage(13, 81, reasoning=64),
        "stop",
    ),
    "recorded/structured-output-json-schema.json": (
        '{"final_answer":"4"}',
        [],
        usage(53, 6),
        "stop",
    ),
    "recorded/text-nonstream.json": ("YES", [], usage(146, 3), "stop"),
    "recorded/tool-call-nonstream-fingerprint-null.json": (
        None,
        [("call_olc8qHf1RDItRqwuEBNjsu3B", "getCurrentWeather", {"location": "Boston"})],
        usage(81, 14),
        "tool_calls",
    ),
    "recorded/tool-call-nonstream.json": (
        None,
        [("call_TTY8UFNo7rNCaOBUNtlRSvMG", "lookup_population", {"country": "Crumpet"})],
        usage(92, 17),
        "tool_calls",
    ),
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_fixture_parses_to_exact_result(name):
    content, calls, expected_usage, stop = RESPONSES[name]
    response = openai_chat.parse_response(load(name))
    assert response.message.role is Role.ASSISTANT
    assert response.content == content
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == calls
    assert response.usage == expected_usage
    assert response.stop_reason == stop


def test_response_refusal_is_the_answer_and_marked_in_metadata():
    response = openai_chat.parse_response(load("refusal.json"))
    assert response.message.metadata == {"refusal": "I'm sorry, I can't assist with that request."}


@pytest.mark.parametrize(
    "message",
    [None, {}, {"role": "assistant", "content": None}, {"role": "assistant"}],
)
def test_response_missing_or_null_message_is_an_empty_answer(message):
    choice = {"index": 0, "finish_reason": "content_filter"}
    if message is not None:
        choice["message"] = message
    response = openai_chat.parse_response({"choices": [choice]})
    assert response.content is None
    assert response.tool_calls == []
    assert response.stop_reason == "content_filter"
    assert response.usage == {}


def test_response_content_parts_reasoning_and_double_encoded_arguments():
    body = {
        "choices": [
            {
                "message": {
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                    "reasoning_content": "thought",
                    "tool_calls": [
                        {
                            "id": "c",
                            "function": {
                                "name": "f",
                                "arguments": json.dumps(json.dumps({"x": 1})),
                            },
                        },
                        {"function": {"name": "g", "arguments": ""}},
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    response = openai_chat.parse_response(body)
    assert response.content == "ab"
    assert response.message.metadata == {"thinking": "thought"}
    assert response.tool_calls[0].arguments == {"x": 1}
    assert response.tool_calls[1].arguments == {}
    assert response.tool_calls[1].id.startswith("call_")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([], "not a JSON object"),
        ({"choices": []}, "no choices"),
        ({"object": "chat.completion"}, "no choices"),
        (
            {
                "choices": [
                    {
                        "message": {
                            "tool_calls": [{"function": {"name": "f", "arguments": "{bad"}}]
                        },
                        "finish_reason": "length",
                    }
                ]
            },
            r"arguments of tool call 'f' are not a JSON object \(the output was cut off",
        ),
        (
            {
                "choices": [
                    {"message": {"tool_calls": [{"function": {"name": "f", "arguments": "[1]"}}]}}
                ]
            },
            "not a JSON object",
        ),
    ],
)
def test_response_unusable_body_is_a_typed_error(body, match):
    with pytest.raises(ModelResponseError, match=match):
        openai_chat.parse_response(body)


def test_response_error_body_is_a_typed_error():
    with pytest.raises(
        ModelResponseError, match="the response reported an error: Unsupported"
    ) as info:
        openai_chat.parse_response(load("recorded/error-400-unsupported-parameter.json"))
    assert info.value.code == "unsupported_parameter"


# Streams -----------------------------------------------------------------------------------

STREAMS = {
    "text.sse": ("Hello! How can I help you today?", None, [], usage(19, 9), "stop"),
    "parallel_tool_calls.sse": (
        None,
        None,
        [
            ("call_Jr5tWc0Zb7oM2yQnX8kA4sPe", "get_weather", {"city": "Oslo"}),
            ("call_H1dLx6Vq3gTz9pNf0aRu7wKc", "get_weather", {"city": "Paris"}),
        ],
        usage(81, 46),
        "tool_calls",
    ),
    "structured_output.sse": (
        '{"city":"Oslo","temp_c":3.5,"conditions":"light snow"}',
        None,
        [],
        usage(94, 17),
        "stop",
    ),
    "refusal.sse": (
        "I'm sorry, I can't assist with that request.",
        None,
        [],
        usage(102, 11),
        "stop",
    ),
    "usage_details.sse": (
        "The capital of France is Paris.",
        None,
        [],
        usage(1290, 200, cached=1152, reasoning=192),
        "stop",
    ),
    "finish_length.sse": ("**Title: The Last Ember of Eldoria", None, [], usage(16, 10), "length"),
    "recorded/cached-tokens-stream.sse": (
        "Farewell.",
        None,
        [],
        usage(1144, 3, cached=1024),
        "stop",
    ),
    "recorded/text-stream-usage-obfuscation.sse": (
        "The capital of the UK is London.",
        None,
        [],
        usage(78, 9),
        "stop",
    ),
    "recorded/tool-call-stream-fragmented-args.sse": (
        None,
        None,
        [("call_ZR5UUuTt3pf61kjwAJIYdVMj", "get_capital", {"country": "UK"})],
        usage(53, 15),
        "tool_calls",
    ),
    "recorded/tool-call-stream-2025-04.sse": (
        None,
        None,
        [("call_bCEixqN8Y40SUyius8ZfVErH", "get_weather", {"location": "New York, NY"})],
        usage(68, 18),
        "tool_calls",
    ),
    "recorded/parallel-tool-calls-stream.sse": (
        None,
        None,
        [
            ("call_3rqTYrA6H21AYUaRGP4F66oq", "get_country", {}),
            ("call_Xw9XMKBJU48kAAd78WgIswDx", "get_product_name", {}),
        ],
        usage(364, 40),
        "tool_calls",
    ),
    # Azure opens with a `choices: []` content-filter chunk that is not the usage chunk.
    "recorded/compat-azure-tool-call-stream.sse": (
        None,
        None,
        [("call_A6XpaIHt5uNwiDqVxyvKoXMa", "get_current_temperature", {"city": "San Francisco"})],
        usage(66, 17),
        "tool_calls",
    ),
    # The same call sent twice at index 0 with the full id: one call, id and name not doubled.
    "recorded/compat-openrouter-kimi-tool-call-repeated.sse": (
        None,
        None,
        [("0", "llm_version", {})],
        usage(57, 17),
        None,
    ),
    "recorded/compat-openrouter-kimi-tool-call-split.sse": (
        None,
        None,
        [("llm_version:0", "llm_version", {})],
        usage(56, 12),
        "tool_calls",
    ),
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_fixture_folds_to_exact_result(name):
    content, thinking, calls, expected_usage, stop = STREAMS[name]
    chunks, acc = stream(name)
    assert acc.finished
    assert summarize_chunks(chunks) == {
        "content": content,
        "thinking": thinking,
        "tool_calls": calls,
        "usage": expected_usage,
        "stop_reason": stop,
    }
    # Tool calls come once, complete, in one chunk just before the final chunk.
    with_calls = [i for i, chunk in enumerate(chunks) if chunk.tool_calls]
    assert with_calls == ([len(chunks) - 2] if calls else [])
    assert [chunk.done for chunk in chunks].count(True) == 1


@pytest.mark.parametrize("name", ["text", "parallel_tool_calls", "structured_output", "refusal"])
def test_stream_and_complete_give_the_same_answer(name):
    chunks, _ = stream(f"{name}.sse")
    response = openai_chat.parse_response(load(f"{name}.json"))
    assert summarize_chunks(chunks) == summarize_response(response)
    assert chunks[-1].message == response.message


def test_stream_split_at_every_byte_offset_gives_identical_chunks():
    assert_every_split_same(
        stream, "parallel_tool_calls.sse", fixture_bytes("openai/parallel_tool_calls.sse")
    )


def test_stream_byte_at_a_time_gives_identical_chunks():
    data = fixture_bytes("openai/text.sse")
    whole, _ = stream("text.sse")
    chunks, _ = stream("text.sse", [data[i : i + 1] for i in range(len(data))])
    assert [c.model_dump(exclude={"timestamp"}) for c in chunks] == [
        c.model_dump(exclude={"timestamp"}) for c in whole
    ]


def test_stream_error_event_raises_after_the_text_already_folded():
    data = fixture_bytes("openai/error_midstream.sse")
    delivered = []
    with pytest.raises(ModelStreamError, match="The server had an error") as info:
        decode_and_fold([data], _recording(delivered), "openai")
    assert "".join(c.content or "" for c in delivered) == "Once upon a time"
    assert info.value.code == "server_error"
    assert info.value.provider == "openai"


def test_stream_compatible_server_error_chunk_raises_after_reasoning():
    data = fixture_bytes("openai/recorded/compat-openrouter-midstream-error.sse")
    delivered = []
    with pytest.raises(ModelStreamError, match="Token limit reached") as info:
        decode_and_fold([data], _recording(delivered), "openai")
    assert (
        "".join(c.thinking or "" for c in delivered) == "We need to respond to a greeting. The user"
    )
    assert info.value.code == "400"


def test_stream_truncated_inside_an_event_raises_after_the_text():
    delivered = []
    with pytest.raises(ModelStreamError, match="ended in the middle of an event"):
        decode_and_fold([fixture_bytes("openai/truncated.sse")], _recording(delivered), "openai")
    assert "".join(c.content or "" for c in delivered) == "The quick brown"


def test_stream_last_event_without_its_blank_line_is_still_read():
    data = fixture_bytes("openai/text.sse")
    assert data.endswith(b"data: [DONE]\n\n")
    chunks, acc = stream("text.sse", [data[:-2]])
    assert acc.closed
    assert summarize_chunks(chunks)["content"] == "Hello! How can I help you today?"


def test_stream_tool_fragments_without_index_or_with_reused_index():
    events = [
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": '{"x"'}}]
                    }
                }
            ]
        },
        {"choices": [{"delta": {"tool_calls": [{"function": {"arguments": ": 1}"}}]}}]},
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}
                        ]
                    }
                }
            ]
        },
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "c", "function": {"name": "h", "arguments": "{}"}}
                        ]
                    }
                }
            ]
        },
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]
    frames = [ServerSentEvent(data=json.dumps(e)) for e in [*events]] + [
        ServerSentEvent(data="[DONE]")
    ]
    from locus.models.accumulate import StreamAccumulator

    acc = StreamAccumulator("openai")
    for frame in frames:
        openai_chat.parse_event(frame, acc)
    assert [(c.id, c.name, c.arguments) for c in acc.finish()[0].tool_calls] == [
        ("a", "f", {"x": 1}),
        ("b", "g", {}),
        ("c", "h", {}),
    ]


def test_stream_keep_alive_with_empty_data_is_skipped():
    from locus.models.accumulate import StreamAccumulator

    assert openai_chat.parse_event(ServerSentEvent(data=""), StreamAccumulator("openai")) == []


@pytest.mark.parametrize("data", ["{not json", "[1, 2]"])
def test_stream_malformed_event_is_a_response_error(data):
    from locus.models.accumulate import StreamAccumulator

    with pytest.raises(ModelResponseError, match="openai: a stream event"):
        openai_chat.parse_event(ServerSentEvent(data=data), StreamAccumulator("openai"))


def _recording(delivered):
    def parse(frame, acc):
        chunks = openai_chat.parse_event(frame, acc)
        delivered.extend(chunks)
        return chunks

    return parse


def test_stream_empty_text_deltas_yield_nothing():
    from locus.models.accumulate import StreamAccumulator

    acc = StreamAccumulator("openai")
    for delta in ({"content": ""}, {"content": None}, {"role": "assistant", "content": ""}):
        event = ServerSentEvent(data=json.dumps({"choices": [{"index": 0, "delta": delta}]}))
        assert openai_chat.parse_event(event, acc) == []
