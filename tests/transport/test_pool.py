from __future__ import annotations

import asyncio

import httpx

from locus.transport import pool
from locus.transport.pool import light_client, shared_pool


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
