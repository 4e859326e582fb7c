from __future__ import annotations

import json

import httpx
import pytest

from locus.core.errors import ModelConnectionError, ModelNotFoundError, ModelStreamError
from locus.core.messages import Message
from locus.models.native.ollama import OllamaModel, parse_ollama_host
from locus.models.registry import get_model
from locus.testing import Reply
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.helpers import Sleeps, drain, refused_port, text_of

URL = "http://localhost:11434/api/chat"


def ok(name, content_type="application/json"):
    return httpx.Response(
        200, content=fixture_bytes(f"ollama/{name}"), headers={"content-type": content_type}
    )


def body_of(route):
    return json.loads(route.calls.last.request.content)


async def test_complete_sends_stream_false_and_options(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("text.json"))
    model = get_model("ollama:llama3.2", options={"num_ctx": 8192}, keep_alive="10m", seed=7)
    reply = await model.complete([Message.user("Hello!")], temperature=0.0, options={"top_k": 20})
    assert body_of(route) == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Hello!"}],
        "stream": False,
        "options": {
            "temperature": 0.0,
            "top_p": 0.9,
            "num_predict": 4096,
            "seed": 7,
            "num_ctx": 8192,
            "top_k": 20,
        },
        "keep_alive": "10m",
    }
    assert "authorization" not in route.calls.last.request.headers
    assert reply.content == "Hello! How can I help you today?"
    assert reply.usage == {"prompt_tokens": 26, "completion_tokens": 10}
    assert reply.stop_reason == "stop"


async def test_model_names_keep_their_tag_colon(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("text.json"))
    await get_model("ollama:llama3.3:70b").complete([Message.user("Hi")])
    assert body_of(route)["model"] == "llama3.3:70b"


async def test_stream_ndjson_served_as_application_json(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("recorded/chat-stream-thinking-cloud.ndjson"))
    chunks = [
        c
        async for c in OllamaModel("gpt-oss:120b", think="low").stream(
            [Message.user("Count from 1 to 5")]
        )
    ]
    body = body_of(route)
    assert (body["stream"], body["think"]) == (True, "low")
    assert text_of(chunks) == "1  \n2  \n3  \n4  \n5"
    assert chunks[-1].message.metadata["thinking"].startswith('User asks: "Count from 1 to 5".')
    assert chunks[-1].usage == {"prompt_tokens": 74, "completion_tokens": 57}


async def test_tools_round_trip(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok("tool_calls.ndjson", "application/x-ndjson"))
    tools = [
        {"name": "get_weather", "description": "Current weather", "parameters": {"type": "object"}}
    ]
    chunks = [
        c async for c in OllamaModel("llama3.2").stream([Message.user("Weather?")], tools=tools)
    ]
    assert body_of(route)["tools"] == [{"type": "function", "function": tools[0]}]
    assert [(c.name, c.arguments) for c in chunks[-1].message.tool_calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_weather", {"city": "Paris"}),
    ]


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("example.com:8080", "http://example.com:8080"),
        (":11435", "http://127.0.0.1:11435"),
        ("https://ollama.example", "https://ollama.example:443"),
        ("http://10.0.0.5", "http://10.0.0.5:80"),
        ("http://host:1234/prefix/", "http://host:1234/prefix"),
        ("[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_ollama_host_forms(value, url):
    assert parse_ollama_host(value) == url


async def test_base_url_from_ollama_host_and_key_for_the_cloud(respx_mock, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:11500")
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-key-123456789")
    route = respx_mock.post("http://127.0.0.1:11500/api/chat").mock(return_value=ok("text.json"))
    await OllamaModel().complete([Message.user("Hi")])
    assert route.calls.last.request.headers["authorization"] == "Bearer ollama-key-123456789"
    explicit = respx_mock.post("http://gpu-box:11434/api/chat").mock(return_value=ok("text.json"))
    await OllamaModel(base_url="http://gpu-box:11434").complete([Message.user("Hi")])
    assert explicit.called


async def test_unknown_model_says_so_and_suggests_pulling_it(respx_mock):
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(
            404, content=fixture_bytes("ollama/error_404_model_not_found.json")
        )
    )
    with pytest.raises(ModelNotFoundError) as info:
        await OllamaModel("llama9").complete([Message.user("Hi")])
    assert (
        str(info.value)
        == 'ollama: HTTP 404 Not Found - model "llama9" not found, try pulling it first - pull the model first: `ollama pull llama9`'
    )
    assert route.call_count == 1


async def test_connection_refused_says_the_server_is_not_reachable():
    port = refused_port()
    sleeps = Sleeps()
    model = OllamaModel(
        base_url=f"http://127.0.0.1:{port}",
        retry_policy=RetryPolicy(max_retries=2, sleep=sleeps, random=lambda: 0.0),
    )
    with pytest.raises(
        ModelConnectionError,
        match=rf"ollama: could not connect .* is Ollama running at http://127.0.0.1:{port}\?",
    ):
        await model.complete([Message.user("Hi")])
    assert sleeps == [0.5, 1.0]  # the policy's retries, no more


async def test_stream_error_line_and_cut_stream_over_a_real_socket(server):
    server.enqueue(
        Reply(
            body=fixture_bytes("ollama/error_midstream.ndjson"),
            headers={"content-type": "application/x-ndjson"},
            chunk_size=50,
        ),
        Reply(
            body=fixture_bytes("ollama/text.ndjson"),
            headers={"content-type": "application/x-ndjson"},
            chunk_size=50,
            drop_after=3,
        ),
        Reply(
            body=fixture_bytes("ollama/text.ndjson"),
            headers={"content-type": "application/x-ndjson"},
            chunk_size=9,
        ),
    )
    model = OllamaModel("llama3.2", base_url=server.url)
    got = []
    with pytest.raises(ModelStreamError, match="an error was encountered while running the model"):
        await drain(model.stream([Message.user("Story")]), got)
    assert text_of(got) == "Once upon a time"
    got = []
    with pytest.raises(ModelStreamError):
        await drain(model.stream([Message.user("Hi")]), got)
    chunks = [c async for c in model.stream([Message.user("Hi")])]
    assert text_of(chunks) == "Hello! How can I help you today?"
    assert [r.path for r in server.requests] == ["/api/chat"] * 3
    assert json.loads(server.requests[2].body)["stream"] is True
