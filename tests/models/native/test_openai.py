from __future__ import annotations

import json

import httpx
import pytest

from locus.core.errors import (
    ConfigError,
    ModelAuthError,
    ModelBadRequestError,
    ModelConnectionError,
    ModelNotFoundError,
    ModelResponseError,
    ModelServerError,
    ModelStreamError,
    ModelThrottledError,
)
from locus.core.messages import Message
from locus.core.structured import build_response_format, parse_structured
from locus.models.native.openai import OpenAIModel, resolve_quirks
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.helpers import Sleeps, drain, text_of

URL = "https://api.openai.com/v1/chat/completions"
KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def sleeps():
    return Sleeps()


def make(sleeps=None, **kwargs):
    kwargs.setdefault("api_key", KEY)
    if sleeps is not None:
        kwargs["retry_policy"] = RetryPolicy(
            max_retries=kwargs.pop("max_retries", 3), sleep=sleeps, random=lambda: 0.0
        )
    return OpenAIModel(**kwargs)


def sent(route):
    request = route.calls.last.request
    return json.loads(request.content), request.headers


def ok(name: str) -> httpx.Response:
    return httpx.Response(
        200, content=fixture_bytes(f"openai/{name}"), headers={"content-type": "application/json"}
    )


def sse(name: str) -> httpx.Response:
    return httpx.Response(
        200, content=fixture_bytes(f"openai/{name}"), headers={"content-type": "text/event-stream"}
    )


def error(status: int, name: str | None = None, **headers) -> httpx.Response:
    body = fixture_bytes(f"openai/{name}") if name else b""
    return httpx.Response(
        status, content=body, headers={"content-type": "application/json", **headers}
    )


# Requests ----------------------------------------------------------------------------------


async def test_complete_sends_exact_body_and_headers(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("text.json"))
    model = make(organization="org-test", project="proj_test")
    reply = await model.complete([Message.system("Be kind."), Message.user("Hello!")])
    body, headers = sent(route)
    assert body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hello!"},
        ],
        "max_tokens": 4096,
        "temperature": 0.7,
        "top_p": 0.9,
    }
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["content-type"] == "application/json"
    assert headers["openai-organization"] == "org-test"
    assert headers["openai-project"] == "proj_test"
    assert headers["user-agent"].startswith("locus/")
    assert reply.content == "Hello! How can I help you today?"
    assert reply.usage == {
        "prompt_tokens": 19,
        "completion_tokens": 9,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
    }
    assert reply.stop_reason == "stop"
    assert reply.total_tokens == 28


async def test_key_and_base_url_come_from_the_environment(respx_mock, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-0123456789abcdef")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    route = respx_mock.post("http://127.0.0.1:8000/v1/chat/completions").mock(
        return_value=ok("text.json")
    )
    await OpenAIModel().complete([Message.user("Hi")])
    assert sent(route)[1]["authorization"] == "Bearer sk-env-0123456789abcdef"


async def test_compatible_server_needs_no_key(respx_mock):
    route = respx_mock.post("http://127.0.0.1:8080/v1/chat/completions").mock(
        return_value=ok("text.json")
    )
    model = OpenAIModel(model="qwen2.5", base_url="http://127.0.0.1:8080/v1/")
    await model.complete([Message.user("Hi")])
    assert "authorization" not in sent(route)[1]


async def test_missing_key_for_openai_is_a_config_error_naming_the_fix():
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY or pass api_key="):
        await OpenAIModel().complete([Message.user("Hi")])


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-5", {"max_completion_tokens": 4096}),
        ("openai.gpt-5-mini", {"max_completion_tokens": 4096}),
        ("o1-preview", {"max_completion_tokens": 4096}),
        ("o3-mini", {"max_completion_tokens": 4096}),
        ("o4-mini", {"max_completion_tokens": 4096}),
        ("gpt-4o-search-preview", {"max_tokens": 4096, "stop": ["END"]}),
        (
            "gpt-4.1",
            {
                "max_tokens": 4096,
                "temperature": 0.7,
                "top_p": 0.9,
                "stop": ["END"],
                "presence_penalty": 0.5,
            },
        ),
    ],
)
async def test_model_family_rules(respx_mock, model, expected):
    route = respx_mock.post(URL).mock(return_value=ok("text.json"))
    await make(model=model, stop_sequences=["END"], presence_penalty=0.5).complete(
        [Message.user("Hi")]
    )
    body = sent(route)[0]
    assert {k: v for k, v in body.items() if k not in ("model", "messages")} == expected


def test_quirks_are_resolved_from_a_table():
    assert resolve_quirks("O3-MINI").token_param == "max_completion_tokens"
    assert resolve_quirks("gpt-4o").sampling


async def test_per_call_options_override_config_and_pass_extras(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("text.json"))
    await make(seed=3).complete(
        [Message.user("Hi")],
        max_tokens=100,
        temperature=0.0,
        top_p=1.0,
        stop_sequences=["x"],
        tool_choice="none",
        parallel_tool_calls=False,
        reasoning_effort="low",
    )
    assert sent(route)[0] == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 100,
        "temperature": 0.0,
        "top_p": 1.0,
        "stop": ["x"],
        "seed": 3,
        "tool_choice": "none",
        "parallel_tool_calls": False,
        "reasoning_effort": "low",
    }


@pytest.mark.parametrize("key", ["model", "stream", "stream_options"])
async def test_reserved_fields_cannot_be_set_per_call(key):
    with pytest.raises(ConfigError, match="cannot be set per call"):
        await make().complete([Message.user("Hi")], **{key: "x"})


class SchemaTool:
    def to_openai_schema(self):
        return {
            "type": "function",
            "function": {"name": "lookup", "parameters": {"type": "object"}},
        }


async def test_bound_tools_are_used_when_no_tools_are_passed(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("parallel_tool_calls.json"))
    bare = {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {"type": "object"},
    }
    model = make().bind_tools([bare, SchemaTool()], tool_choice="required")
    reply = await model.complete([Message.user("Weather?")])
    body = sent(route)[0]
    assert body["tools"] == [
        {"type": "function", "function": bare},
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}},
    ]
    assert body["tool_choice"] == "required"
    assert [c.arguments for c in reply.tool_calls] == [{"city": "Oslo"}, {"city": "Paris"}]
    await model.complete([Message.user("Weather?")], tools=[SchemaTool()])
    assert [t["function"]["name"] for t in sent(route)[0]["tools"]] == ["lookup"]


async def test_ainvoke_returns_the_message(respx_mock):
    respx_mock.post(URL).mock(return_value=ok("text.json"))
    message = await make().ainvoke([Message.user("Hi")])
    assert message.content == "Hello! How can I help you today?"


async def test_structured_output_round_trip(respx_mock):
    from pydantic import BaseModel

    class WeatherReport(BaseModel):
        city: str
        temp_c: float
        conditions: str

    route = respx_mock.post(URL).mock(return_value=sse("structured_output.sse"))
    messages = [Message.system("Report the weather as JSON."), Message.user("Weather in Oslo?")]
    model = make()
    assert model.supports_structured_output
    chunks = [
        c
        async for c in model.stream(messages, response_format=build_response_format(WeatherReport))
    ]
    assert sent(route)[0] == json.loads(fixture_bytes("openai/structured_output.request.json"))
    report = parse_structured("".join(c.content or "" for c in chunks), WeatherReport).unwrap()
    assert report == WeatherReport(city="Oslo", temp_c=3.5, conditions="light snow")


# Streaming ---------------------------------------------------------------------------------


async def test_stream_yields_text_then_tool_calls_then_final_chunk(respx_mock):
    route = respx_mock.post(URL).mock(return_value=sse("parallel_tool_calls.sse"))
    chunks = [c async for c in make().stream([Message.user("Weather?")])]
    body, headers = sent(route)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert headers["accept-encoding"]
    assert [c.done for c in chunks] == [False, True]
    assert [(t.id, t.arguments) for t in chunks[0].tool_calls] == [
        ("call_Jr5tWc0Zb7oM2yQnX8kA4sPe", {"city": "Oslo"}),
        ("call_H1dLx6Vq3gTz9pNf0aRu7wKc", {"city": "Paris"}),
    ]
    assert chunks[1].stop_reason == "tool_calls"
    assert chunks[1].usage == {
        "prompt_tokens": 81,
        "completion_tokens": 46,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
    }


async def test_stream_without_usage_for_servers_that_reject_stream_options(respx_mock):
    route = respx_mock.post(URL).mock(return_value=sse("text.sse"))
    chunks = [c async for c in make(include_usage=False).stream([Message.user("Hi")])]
    assert "stream_options" not in sent(route)[0]
    assert "".join(c.content or "" for c in chunks) == "Hello! How can I help you today?"


async def test_stream_error_event_raises_after_text_without_resending(respx_mock, sleeps):
    route = respx_mock.post(URL).mock(return_value=sse("error_midstream.sse"))
    got = []
    with pytest.raises(ModelStreamError, match="stream reported an error: The server had an error"):
        await drain(make(sleeps).stream([Message.user("Story")]), got)
    assert text_of(got) == "Once upon a time"
    assert route.call_count == 1
    assert sleeps == []


async def test_stream_cut_before_its_end_is_a_stream_error(respx_mock):
    respx_mock.post(URL).mock(return_value=sse("truncated.sse"))
    got = []
    with pytest.raises(ModelStreamError, match="the stream ended in the middle of an event"):
        await drain(make().stream([Message.user("Fox")]), got)
    assert text_of(got) == "The quick brown"


async def test_stream_ending_between_events_without_finish_is_a_stream_error(respx_mock):
    data = fixture_bytes("openai/text.sse")
    cut = data[: data.index(b'"finish_reason":"stop"')]
    cut = cut[: cut.rindex(b"\n\n") + 2]
    respx_mock.post(URL).mock(return_value=httpx.Response(200, content=cut))
    got = []
    with pytest.raises(ModelStreamError, match="ended before the answer was complete"):
        await drain(make().stream([Message.user("Hi")]), got)
    assert text_of(got) == "Hello! How can I help you today?"


# Errors and retries ------------------------------------------------------------------------


async def test_401_is_an_auth_error_with_the_providers_message_and_request_id(respx_mock, sleeps):
    route = respx_mock.post(URL).mock(
        return_value=error(401, "error_401_invalid_api_key.json", **{"x-request-id": "req_abc"})
    )
    with pytest.raises(ModelAuthError) as info:
        await make(sleeps).complete([Message.user("Hi")])
    err = info.value
    assert str(err).startswith("openai: HTTP 401 Unauthorized - Incorrect API key provided")
    assert "set OPENAI_API_KEY or pass api_key=" in str(err)
    assert "request id req_abc" in str(err)
    assert (err.provider, err.status_code, err.request_id, err.code) == (
        "openai",
        401,
        "req_abc",
        "invalid_api_key",
    )
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "name", "cls", "text"),
    [
        (403, None, ModelAuthError, "(empty body)"),
        (404, "recorded/error-404-model-not-found.json", ModelNotFoundError, "does not exist"),
        (
            400,
            "recorded/error-400-unsupported-parameter.json",
            ModelBadRequestError,
            "'stop' is not supported",
        ),
        (422, None, ModelBadRequestError, "HTTP 422"),
    ],
)
async def test_client_errors_are_typed_and_not_retried(respx_mock, sleeps, status, name, cls, text):
    route = respx_mock.post(URL).mock(return_value=error(status, name))
    with pytest.raises(cls, match=text.replace("(", r"\(").replace(")", r"\)")):
        await make(sleeps).complete([Message.user("Hi")])
    assert route.call_count == 1


async def test_429_is_retried_then_raised_as_throttled(respx_mock, sleeps):
    route = respx_mock.post(URL).mock(return_value=error(429, "error_429_rate_limit.json"))
    with pytest.raises(ModelThrottledError, match="Rate limit reached"):
        await make(sleeps, max_retries=2).complete([Message.user("Hi")])
    assert route.call_count == 3
    assert sleeps == [0.5, 1.0]


async def test_insufficient_quota_is_not_retried(respx_mock, sleeps):
    route = respx_mock.post(URL).mock(return_value=error(429, "error_429_insufficient_quota.json"))
    with pytest.raises(ModelThrottledError, match="exceeded your current quota"):
        await make(sleeps).complete([Message.user("Hi")])
    assert route.call_count == 1


async def test_server_error_then_success_honours_retry_after(respx_mock, sleeps):
    route = respx_mock.post(URL)
    route.side_effect = [
        error(500, "error_500_server_error.json", **{"retry-after-ms": "250"}),
        error(503, None, **{"retry-after": "2"}),
        httpx.ConnectError("connection refused"),
        ok("text.json"),
    ]
    reply = await make(sleeps).complete([Message.user("Hi")])
    assert reply.content == "Hello! How can I help you today?"
    assert route.call_count == 4
    assert sleeps == [0.25, 2.0, 2.0]
    bodies = {call.request.content for call in route.calls}
    assert len(bodies) == 1  # the same request every time


async def test_x_should_retry_overrides_the_status_rule(respx_mock, sleeps):
    route = respx_mock.post(URL)
    route.side_effect = [error(500, None, **{"x-should-retry": "false"})]
    with pytest.raises(ModelServerError):
        await make(sleeps).complete([Message.user("Hi")])
    assert route.call_count == 1
    route.side_effect = [error(400, None, **{"x-should-retry": "true"}), ok("text.json")]
    await make(sleeps).complete([Message.user("Hi")])
    assert route.call_count == 3


async def test_html_error_page_from_a_proxy_is_summarised(respx_mock, sleeps):
    page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    respx_mock.post(URL).mock(
        return_value=httpx.Response(502, content=page, headers={"content-type": "text/html"})
    )
    with pytest.raises(
        ModelServerError,
        match=r"openai: HTTP 502 Bad Gateway - an HTML page instead of an API error \(502 Bad Gateway\)",
    ):
        await make(sleeps, max_retries=1).complete([Message.user("Hi")])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"response is not JSON \(application/json\): '\(empty body\)'"),
        (b"<html>oops</html>", "response is not JSON"),
    ],
)
async def test_unusable_200_body_is_a_response_error(respx_mock, content, match):
    respx_mock.post(URL).mock(
        return_value=httpx.Response(
            200, content=content, headers={"content-type": "application/json"}
        )
    )
    with pytest.raises(ModelResponseError, match=match):
        await make().complete([Message.user("Hi")])


async def test_connection_failures_exhaust_retries_into_a_connection_error(respx_mock, sleeps):
    route = respx_mock.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ModelConnectionError, match="openai: could not connect"):
        await make(sleeps, max_retries=1).complete([Message.user("Hi")])
    assert route.call_count == 2


async def test_stream_status_error_is_read_and_typed(respx_mock, sleeps):
    respx_mock.post(URL).mock(return_value=error(401, "error_401_invalid_api_key.json"))
    with pytest.raises(ModelAuthError, match="Incorrect API key"):
        await drain(make(sleeps).stream([Message.user("Hi")]), [])


# Clients -----------------------------------------------------------------------------------


async def test_caller_http_client_and_default_headers_are_honoured_and_not_closed(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("text.json"))
    async with httpx.AsyncClient(headers={"x-gateway": "g1"}) as own:
        model = make(http_client=own, default_headers={"x-team": "blue"})
        assert model.client is own
        await model.complete([Message.user("Hi")])
        await model.close()
        assert not own.is_closed
        headers = sent(route)[1]
        assert (headers["x-gateway"], headers["x-team"]) == ("g1", "blue")
        assert headers["authorization"] == f"Bearer {KEY}"


async def test_model_client_is_configured_and_closing_it_keeps_the_model_usable(respx_mock):
    respx_mock.post(URL).mock(return_value=ok("text.json"))
    async with make() as model:
        client = model.client
        assert str(client.base_url) == "https://api.openai.com/v1/"
        assert client.headers["authorization"] == f"Bearer {KEY}"
        await model.complete([Message.user("Hi")])
    assert client.is_closed
    assert (await model.complete([Message.user("Hi")])).content


# Secrets -----------------------------------------------------------------------------------


async def test_the_key_never_appears_in_repr_str_or_errors(respx_mock, sleeps):
    echoed = json.dumps(
        {"error": {"message": f"Key {KEY} was revoked (Bearer {KEY})", "code": "invalid_api_key"}}
    )
    respx_mock.post(URL).mock(return_value=httpx.Response(401, content=echoed))
    model = make(sleeps)
    with pytest.raises(ModelAuthError) as info:
        await model.complete([Message.user("Hi")])
    for text in (
        repr(model),
        str(model),
        repr(model.config),
        str(info.value),
        repr(info.value),
        info.value.body or "",
    ):
        assert KEY not in text
        assert KEY[8:] not in text
    assert "[REDACTED]" in str(info.value)
