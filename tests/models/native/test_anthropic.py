from __future__ import annotations

import json

import httpx
import pytest
from pydantic import BaseModel

from locus.core.errors import ConfigError, ModelAuthError, ModelNotFoundError, ModelThrottledError
from locus.core.messages import Message
from locus.core.structured import build_response_format, parse_structured
from locus.models.native.anthropic import AnthropicModel
from locus.models.registry import get_model
from locus.testing import Reply
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.helpers import Sleeps, drain, text_of

URL = "https://api.anthropic.com/v1/messages"
KEY = "sk-ant-api03-test-0123456789abcdefghij"


def make(sleeps=None, **kwargs):
    kwargs.setdefault("api_key", KEY)
    if sleeps is not None:
        kwargs["retry_policy"] = RetryPolicy(max_retries=3, sleep=sleeps, random=lambda: 0.0)
    return AnthropicModel(**kwargs)


def body_of(route):
    return json.loads(route.calls.last.request.content)


def reply(name, status=200, **headers):
    return httpx.Response(
        status,
        content=fixture_bytes(f"anthropic/{name}"),
        headers={"content-type": "application/json", **headers},
    )


def sse(name):
    return httpx.Response(
        200,
        content=fixture_bytes(f"anthropic/{name}"),
        headers={"content-type": "text/event-stream"},
    )


class WeatherReport(BaseModel):
    city: str
    temp_c: float
    conditions: str


async def test_complete_sends_exact_body_and_headers(respx_mock):
    route = respx_mock.post(URL).mock(return_value=reply("text.json"))
    answer = await make(betas=["token-efficient-tools-2025-02-19"]).complete(
        [Message.system("Be kind."), Message.user("Hello!")]
    )
    request = route.calls.last.request
    assert body_of(route) == {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": "Hello!"}],
        "system": "Be kind.",
        "temperature": 0.7,
    }
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["anthropic-beta"] == "token-efficient-tools-2025-02-19"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    assert answer.content == "Hello! How can I help you today?"
    assert answer.usage == {
        "prompt_tokens": 12,
        "completion_tokens": 12,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


async def test_key_and_host_root_from_the_environment(respx_mock, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-abcdefgh12345")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9000/v1/")
    route = respx_mock.post("http://127.0.0.1:9000/v1/messages").mock(
        return_value=reply("text.json")
    )
    await AnthropicModel().complete([Message.user("Hi")])
    assert route.calls.last.request.headers["x-api-key"] == "sk-ant-env-abcdefgh12345"


async def test_missing_key_is_a_config_error_naming_the_fix():
    with pytest.raises(ConfigError, match="set ANTHROPIC_API_KEY or pass api_key="):
        await AnthropicModel().complete([Message.user("Hi")])


async def test_options_top_p_top_k_only_when_asked_and_per_call_overrides(respx_mock):
    route = respx_mock.post(URL).mock(return_value=reply("text.json"))
    await make(top_p=0.8, top_k=20, stop_sequences=["END"]).complete(
        [Message.user("Hi")], max_tokens=50, temperature=0.1, metadata={"user_id": "u1"}
    )
    body = body_of(route)
    assert (
        body["top_p"],
        body["top_k"],
        body["stop_sequences"],
        body["max_tokens"],
        body["temperature"],
    ) == (0.8, 20, ["END"], 50, 0.1)
    assert body["metadata"] == {"user_id": "u1"}
    await make().complete([Message.user("Hi")])
    assert "top_p" not in body_of(route)
    assert "top_k" not in body_of(route)


async def test_newest_opus_gets_no_temperature(respx_mock):
    route = respx_mock.post(URL).mock(return_value=reply("text.json"))
    await get_model("anthropic:claude-opus-4-7", api_key=KEY).complete([Message.user("Hello!")])
    assert body_of(route) == json.loads(fixture_bytes("anthropic/no_temperature.request.json"))


async def test_prompt_cache_and_usage_with_cache_counts(respx_mock):
    route = respx_mock.post(URL).mock(return_value=reply("cache_write.json"))
    model = make(model="claude-sonnet-4-5-20250929", prompt_cache=True)
    answer = await model.complete(
        [Message.system("Long shared instructions."), Message.user("Weather?")],
        tools=[{"name": "f", "parameters": {"type": "object"}}],
    )
    body = body_of(route)
    assert body["system"] == [
        {
            "type": "text",
            "text": "Long shared instructions.",
            "cache_control": {"type": "ephemeral"},
        }
    ]
    assert body["tools"] == [
        {"name": "f", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}
    ]
    assert answer.usage["cache_creation_input_tokens"] == 1843


async def test_streamed_tool_use_then_thinking_round_trip(respx_mock):
    route = respx_mock.post(URL)
    route.side_effect = [sse("thinking_tool_use.sse"), reply("text.json")]
    model = make(
        model="claude-haiku-4-5-20251001",
        max_tokens=16000,
        thinking={"type": "enabled", "budget_tokens": 2048},
    )
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather",
                "parameters": json.loads(fixture_bytes("anthropic/thinking_followup.request.json"))[
                    "tools"
                ][0]["input_schema"],
            },
        }
    ]
    chunks = [c async for c in model.stream([Message.user("Weather in Oslo?")], tools=tools)]
    first = body_of(route)
    assert first["stream"] is True
    assert first["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "temperature" not in first
    assistant = chunks[-1].message
    call = assistant.tool_calls[0]
    from locus.core.messages import ToolResult

    await model.complete(
        [
            Message.user("Weather in Oslo?"),
            assistant,
            Message.tool(
                ToolResult(tool_call_id=call.id, name=call.name, content="3°C, light snow")
            ),
        ],
        tools=tools,
    )
    assert body_of(route) == json.loads(fixture_bytes("anthropic/thinking_followup.request.json"))


@pytest.mark.parametrize("streaming", [False, True])
async def test_structured_output_in_complete_and_stream(respx_mock, streaming):
    route = respx_mock.post(URL).mock(
        return_value=sse("structured_output.sse") if streaming else reply("structured_output.json")
    )
    model = make(model="claude-sonnet-4-5-20250929")
    assert model.supports_structured_output is False
    messages = [Message.system("Report the weather as JSON."), Message.user("Weather in Oslo?")]
    response_format = build_response_format(WeatherReport)
    if streaming:
        content = text_of(
            [c async for c in model.stream(messages, response_format=response_format)]
        )
    else:
        content = (await model.complete(messages, response_format=response_format)).content
    expected = json.loads(fixture_bytes("anthropic/structured_output.request.json"))
    if not streaming:
        del expected["stream"]
    assert body_of(route) == expected
    assert parse_structured(content, WeatherReport).unwrap() == WeatherReport(
        city="Oslo", temp_c=3.5, conditions="light snow"
    )


async def test_overloaded_event_before_output_is_retried(respx_mock):
    sleeps = Sleeps()
    route = respx_mock.post(URL)
    route.side_effect = [sse("error_overloaded_first.sse"), sse("text.sse")]
    chunks = [c async for c in make(sleeps).stream([Message.user("Hi")])]
    assert text_of(chunks) == "Hello! How can I help you today?"
    assert route.call_count == 2
    assert sleeps == [0.5]


async def test_overloaded_event_after_output_is_raised_and_not_resent(respx_mock):
    sleeps = Sleeps()
    route = respx_mock.post(URL).mock(return_value=sse("error_midstream.sse"))
    got = []
    with pytest.raises(ModelThrottledError, match="overloaded_error"):
        await drain(make(sleeps).stream([Message.user("Story")]), got)
    assert text_of(got) == "Once upon a time"
    assert route.call_count == 1
    assert sleeps == []


async def test_529_is_retried_with_the_shared_policy_then_raised(respx_mock):
    sleeps = Sleeps()
    route = respx_mock.post(URL).mock(
        return_value=reply(
            "error_529_overloaded.json", 529, **{"request-id": "req_011CaOv3rL0ad3dT3st00001"}
        )
    )
    with pytest.raises(ModelThrottledError) as info:
        await make(sleeps).complete([Message.user("Hi")])
    assert route.call_count == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert (
        str(info.value)
        == "anthropic: HTTP 529 - Overloaded [overloaded_error] - request id req_011CaOv3rL0ad3dT3st00001"
    )


async def test_429_honours_retry_after(respx_mock):
    sleeps = Sleeps()
    route = respx_mock.post(URL)
    route.side_effect = [
        reply("error_429_rate_limit.json", 429, **{"retry-after": "7"}),
        reply("text.json"),
    ]
    await make(sleeps).complete([Message.user("Hi")])
    assert sleeps == [7.0]


@pytest.mark.parametrize(
    ("status", "name", "cls", "text"),
    [
        (
            401,
            "error_401_authentication.json",
            ModelAuthError,
            "invalid x-api-key [authentication_error] - request id req_011CaAuTh1nv4l1dK3yT3st0 - set ANTHROPIC_API_KEY or pass api_key=",
        ),
        (
            404,
            "recorded/error-404-not-found.json",
            ModelNotFoundError,
            "model: claude-sonet-4-5 [not_found_error]",
        ),
    ],
)
async def test_error_bodies_are_typed_with_the_providers_message(
    respx_mock, status, name, cls, text
):
    route = respx_mock.post(URL).mock(
        return_value=reply(name, status, **{"x-should-retry": "false"})
    )
    with pytest.raises(cls) as info:
        await make(Sleeps()).complete([Message.user("Hi")])
    assert text in str(info.value)
    assert KEY not in str(info.value)
    assert route.call_count == 1


async def test_stream_over_a_real_socket(server):
    server.enqueue(Reply.sse(fixture_bytes("anthropic/tool_use.sse"), chunk_size=37))
    model = make(base_url=server.url)
    chunks = [c async for c in model.stream([Message.user("Weather in Oslo and Paris?")])]
    assert server.requests[0].path == "/v1/messages"
    assert server.requests[0].headers["x-api-key"] == KEY
    assert text_of(chunks) == "I'll check the weather in both cities."
    assert [c.arguments for c in chunks[-1].message.tool_calls] == [
        {"city": "Oslo"},
        {"city": "Paris"},
    ]
    assert chunks[-1].stop_reason == "tool_use"


async def test_the_key_never_appears_in_repr_or_str():
    model = make()
    for text in (repr(model), str(model), repr(model.config)):
        assert KEY not in text
