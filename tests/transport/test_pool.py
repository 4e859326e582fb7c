from __future__ import annotations

import asyncio

import httpx
import pytest
from httpx._utils import get_environment_proxies  # the reading httpx's own clients make

from locus.core.messages import Message
from locus.models.native.openai import OpenAIModel
from locus.testing import FakeServer, Reply
from locus.transport import pool
from locus.transport.pool import environment_proxies, light_client, shared_pool
from tests.conftest import fixture_bytes


async def test_one_pool_per_loop_shared_by_every_client():
    first = await shared_pool()
    assert await shared_pool() is first
    a = light_client(base_url="http://a", headers={}, timeout=1.0)
    b = light_client(base_url="http://b", headers={}, timeout=1.0)
    await a.aclose()
    assert await shared_pool() is first
    await b.aclose()


def test_each_loop_gets_its_own_pool_and_it_is_closed_with_the_loop():
    seen: list[httpx.AsyncHTTPTransport] = []

    async def grab():
        seen.append(await shared_pool())

    asyncio.run(grab())
    asyncio.run(grab())
    assert seen[0] is not seen[1]
    assert len(pool._pools) == 0  # both loops closed their pools on shutdown


# Proxies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"HTTP_PROXY": "http://proxy:3128"},
        {"HTTPS_PROXY": "proxy:3128", "NO_PROXY": "localhost,127.0.0.1,::1,.corp.example"},
        {"https_proxy": "http://user:secret@proxy:8080", "no_proxy": " a.example , ,fe80::1"},
        {"ALL_PROXY": "http://proxy:1", "NO_PROXY": "example.org,10.0.0.0/8,http://direct.test"},
        {"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "*"},
    ],
)
def test_environment_proxies_are_read_as_httpx_reads_them(env, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert environment_proxies() == get_environment_proxies()


def upstream_model() -> OpenAIModel:
    # A host that exists only behind the proxy: a direct attempt could not even resolve it.
    return OpenAIModel(api_key="sk-proxy-0123456789", base_url="http://api.upstream.test/v1")


async def test_requests_go_through_the_environments_proxy_on_one_shared_pool(monkeypatch):
    async with FakeServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        body = fixture_bytes("openai/text.json")
        proxy.enqueue(Reply.json(body), Reply.json(body))
        first, second = upstream_model(), upstream_model()
        answers = [
            await first.complete([Message.user("Hi")]),
            await second.complete([Message.user("Hi")]),
        ]
        assert [a.content for a in answers] == ["Hello! How can I help you today?"] * 2
        # Absolute-form targets, as an HTTP proxy is asked; one kept-alive connection for both
        # models: the pool through the proxy is shared, like the direct one.
        assert [r.path for r in proxy.requests] == [
            "http://api.upstream.test/v1/chat/completions"
        ] * 2
        assert proxy.requests[0].headers["authorization"] == "Bearer sk-proxy-0123456789"
        assert proxy.connections_opened == 1
        assert await shared_pool(proxy.url) is await shared_pool(proxy.url)
        assert await shared_pool(proxy.url) is not await shared_pool()
        await first.close()
        await second.close()


async def test_no_proxy_hosts_are_reached_directly(monkeypatch):
    async with FakeServer() as proxy, FakeServer() as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        server.enqueue(Reply.json(fixture_bytes("openai/text.json")))
        async with OpenAIModel(api_key="sk-proxy-0123456789", base_url=f"{server.url}/v1") as m:
            assert (await m.complete([Message.user("Hi")])).content
        assert [r.path for r in server.requests] == ["/v1/chat/completions"]
        assert proxy.requests == []
