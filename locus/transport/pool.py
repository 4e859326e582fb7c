"""One shared connection pool per event loop, and light per-model clients over it.

A model never owns a pool: its `httpx.AsyncClient` sends through `SHARED_TRANSPORT`, which
looks up the running loop's pool at request time. A thousand models open no thousand pools,
and the same model works across repeated `asyncio.run()` calls, each loop getting its own
pool. Closing a model's client closes nothing shared.

Each pool is closed when its loop shuts down: a small async generator holding the pool is
started in the loop, and `asyncio.run` (like `asyncio.Runner`) closes every live async
generator of the loop before closing it, which runs the generator's `finally`.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import asyncio

__all__ = ["POOL_LIMITS", "SHARED_TRANSPORT", "SharedTransport", "light_client", "shared_pool"]

POOL_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)

_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[httpx.AsyncHTTPTransport, AsyncGenerator[None, None]]
] = weakref.WeakKeyDictionary()


async def _close_with_loop(pool: httpx.AsyncHTTPTransport) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        for loop, (known, _) in list(_pools.items()):
            if known is pool:
                del _pools[loop]
        await pool.aclose()


async def shared_pool() -> httpx.AsyncHTTPTransport:
    """Return the running loop's connection pool, creating it on first use."""
    import asyncio  # loaded by whoever runs the loop; not by importing locus

    loop = asyncio.get_running_loop()
    entry = _pools.get(loop)
    if entry is not None:
        return entry[0]
    pool = httpx.AsyncHTTPTransport(limits=POOL_LIMITS)
    closer = _close_with_loop(pool)
    _pools[loop] = (pool, closer)
    await closer.__anext__()
    return pool


class SharedTransport(httpx.AsyncBaseTransport):
    """Sends through the running loop's shared pool; `aclose` leaves the pool open."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on the shared pool of the running loop."""
        pool = await shared_pool()
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        """Do nothing: the pool belongs to the loop, not to any one client."""


SHARED_TRANSPORT = SharedTransport()


def light_client(
    *,
    base_url: str,
    headers: dict[str, str],
    timeout: float,
    auth: httpx.Auth | None = None,
) -> httpx.AsyncClient:
    """Create a model's own client: its URL, headers, auth and timeouts over the shared pool.

    Args:
        base_url: The provider's base URL.
        headers: Headers sent with every request (auth headers included).
        timeout: Seconds allowed to connect, and between any two reads or writes.
        auth: An `httpx.Auth` flow (request signing), if the provider needs one.
    """
    return httpx.AsyncClient(
        transport=SHARED_TRANSPORT,
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(timeout),
        auth=auth,
    )
