"""OpenAIModel against a real HTTP server on 127.0.0.1: sockets, chunking, faults."""

from __future__ import annotations

import asyncio
import json

import pytest

from locus.core.errors import ModelStreamError, ModelTimeoutError
from locus.core.messages import Message
from locus.models.native.openai import OpenAIModel
from locus.testing import FakeServer, Reply
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.helpers import drain, text_of


def model_for(server: FakeServer, **kwargs) -> OpenAIModel:
    return OpenAIModel(
        model="gpt-4o-mini", api_key="sk-local-test-123456", base_url=f"{server.url}/v1", **kwargs
    )


async def test_complete_over_a_socket(server):
    server.enqueue(Reply.json(fixture_bytes("openai/text.json")))
    reply = await model_for(server).complete([Message.user("Hello!")])
    assert reply.content == "Hello! How can I help you today?"
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-local-test-123456"
    assert json.loads(request.body)["messages"] == [{"role": "user", "content": "Hello!"}]


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
async def test_stream_over_a_socket_in_any_chunking(server, chunk_size):
    server.enqueue(Reply.sse(fixture_bytes("openai/text.sse"), chunk_size=chunk_size))
    chunks = [c async for c in model_for(server).stream([Message.user("Hello!")])]
    assert "".join(c.content or "" for c in chunks) == "Hello! How can I help you today?"
    assert chunks[-1].done
    assert chunks[-1].usage["completion_tokens"] == 9
    assert json.loads(server.requests[0].body)["stream"] is True


async def test_disconnect_mid_stream_is_a_stream_error_after_the_text(server):
    data = fixture_bytes("openai/text.sse")
    server.enqueue(Reply.sse(data, chunk_size=len(data) // 3 + 1, drop_after=2))
    model = model_for(server)
    got = []
    with pytest.raises(ModelStreamError, match="openai: the connection broke"):
        await drain(model.stream([Message.user("Hello!")]), got)
    assert text_of(got)
    assert "Hello! How can I help you today?".startswith(text_of(got))
    assert len(server.requests) == 1  # nothing re-sent after the stream began


async def test_breaking_out_of_the_stream_closes_the_connection(server):
    server.enqueue(Reply.sse(fixture_bytes("openai/text.sse"), chunk_size=40, delay=0.05))
    async for chunk in model_for(server).stream([Message.user("Hello!")]):
        if chunk.content:
            break
    await asyncio.wait_for(server.closed.wait(), timeout=5)
    assert server.connections_closed == 1


async def test_cancelling_the_consumer_closes_the_connection(server):
    server.enqueue(Reply.sse(fixture_bytes("openai/text.sse"), chunk_size=40, delay=0.2))
    first = asyncio.Event()

    async def consume():
        async for _ in model_for(server).stream([Message.user("Hello!")]):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.closed.wait(), timeout=5)


async def test_a_silent_stream_ends_in_a_timeout_error(server):
    data = fixture_bytes("openai/text.sse")
    server.enqueue(Reply.sse(data, chunk_size=len(data) // 2, delay=3.0))
    with pytest.raises(ModelTimeoutError, match="no data received within the read timeout"):
        await drain(model_for(server, request_timeout=0.3).stream([Message.user("Hi")]), [])
    assert len(server.requests) == 1


async def test_retry_over_a_socket_then_success(server):
    server.enqueue(
        Reply.json(
            b'{"error":{"message":"busy","type":"server_error"}}',
            status=503,
            headers={"retry-after-ms": "10"},
        ),
        Reply(reset=True),
        Reply.json(fixture_bytes("openai/text.json")),
    )
    reply = await model_for(server, retry_policy=RetryPolicy(backoff_base=0.01)).complete(
        [Message.user("Hi")]
    )
    assert reply.content == "Hello! How can I help you today?"
    assert len(server.requests) == 3


def test_the_same_model_works_across_asyncio_run_calls():
    async def serve_and_call(model_holder):
        async with FakeServer() as server:
            server.enqueue(Reply.json(fixture_bytes("openai/text.json")))
            if not model_holder:
                model_holder.append(
                    OpenAIModel(api_key="sk-local-test-123456", base_url=f"{server.url}/v1")
                )
            model = model_holder[0]
            # Each run gets its own port; point the same model (and its client) at it.
            model.config.base_url = f"{server.url}/v1"
            return (await model.complete([Message.user("Hi")])).content

    holder: list[OpenAIModel] = []
    assert asyncio.run(serve_and_call(holder)) == "Hello! How can I help you today?"
    assert asyncio.run(serve_and_call(holder)) == "Hello! How can I help you today?"


async def test_a_call_deadline_bounds_retries_and_is_not_sent(server):
    busy = Reply.json(
        b'{"error":{"message":"busy","type":"server_error"}}',
        status=503,
        headers={"retry-after-ms": "150"},
    )
    server.enqueue(*[busy] * 10)
    model = model_for(server, max_retries=10)
    started = asyncio.get_running_loop().time()
    with pytest.raises(ModelTimeoutError, match="openai: the call took longer than its deadline"):
        await model.complete([Message.user("Hi")], deadline=0.5)
    assert asyncio.get_running_loop().time() - started < 1.5
    assert 2 <= len(server.requests) <= 5
    assert "deadline" not in json.loads(server.requests[0].body)


async def test_a_deadline_bounds_a_slow_stream_after_its_text(server):
    data = fixture_bytes("openai/text.sse")
    server.enqueue(Reply.sse(data, chunk_size=200, delay=0.2))
    got = []
    with pytest.raises(ModelTimeoutError, match="longer than its deadline"):
        await drain(model_for(server, deadline=0.5).stream([Message.user("Hi")]), got)
    assert "Hello! How can I help you today?".startswith(text_of(got))
    assert len(server.requests) == 1


async def test_a_complete_answer_whose_trailer_goes_silent_still_ends_cleanly(server):
    data = fixture_bytes("openai/text.sse")
    cut = data.index(b"data: {", data.index(b'"finish_reason":"stop"'))  # before the usage chunk
    server.enqueue(Reply.sse(data, chunk_size=cut, delay=3.0))
    chunks = [c async for c in model_for(server, request_timeout=0.3).stream([Message.user("Hi")])]
    assert text_of(chunks) == "Hello! How can I help you today?"
    assert (chunks[-1].done, chunks[-1].stop_reason, chunks[-1].usage) == (True, "stop", None)
