"""Shared connection pools per event loop, and light per-model clients over them.

A model never owns a pool: its `httpx.AsyncClient` sends through a `SharedTransport`, which
looks up the running loop's pool at request time. A thousand models open no thousand pools,
and the same model works across repeated `asyncio.run()` calls, each loop getting its own
pool. Closing a model's client closes nothing shared.

The proxies the environment names (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, read
as httpx's own clients read them) are honoured: a light client mounts one shared transport per
proxy, each with a pool per loop, so going through a proxy costs no pool or TLS context per
model either.

Each pool is closed when its loop shuts down: a small async generator holding the pool is
started in the loop, and `asyncio.run` (like `asyncio.Runner`) closes every live async
generator of the loop before closing it, which runs the generator's `finally`.
"""

from __future__ import annotations

import ipaddress
import urllib.request
import weakref
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "POOL_LIMITS",
    "SHARED_TRANSPORT",
    "SharedTransport",
    "environment_proxies",
    "light_client",
    "proxy_mounts",
    "shared_pool",
]

POOL_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)

_Entry = tuple[httpx.AsyncHTTPTransport, AsyncGenerator[None, None]]
# For each loop, its pools by proxy URL (None: direct).
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str | None, _Entry]] = (
    weakref.WeakKeyDictionary()
)


async def _close_with_loop(pool: httpx.AsyncHTTPTransport) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        for pools in list(_pools.values()):
            for proxy, (known, _) in list(pools.items()):
                if known is pool:
                    del pools[proxy]
        await pool.aclose()


async def shared_pool(proxy: str | None = None) -> httpx.AsyncHTTPTransport:
    """Return the running loop's connection pool (through `proxy`), creating it on first use."""
    import asyncio  # loaded by whoever runs the loop; not by importing locus

    pools = _pools.setdefault(asyncio.get_running_loop(), {})
    entry = pools.get(proxy)
    if entry is not None:
        return entry[0]
    pool = httpx.AsyncHTTPTransport(limits=POOL_LIMITS, proxy=proxy)
    closer = _close_with_loop(pool)
    pools[proxy] = (pool, closer)
    await closer.__anext__()
    return pool


class SharedTransport(httpx.AsyncBaseTransport):
    """Sends through the running loop's shared pool; `aclose` leaves the pool open.

    Args:
        proxy: The proxy URL its pool goes through (None: direct).
    """

    def __init__(self, proxy: str | None = None) -> None:
        self.proxy = proxy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on the shared pool of the running loop."""
        pool = await shared_pool(self.proxy)
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        """Do nothing: the pool belongs to the loop, not to any one client."""


SHARED_TRANSPORT = SharedTransport()


def environment_proxies() -> dict[str, str | None]:
    """The environment's proxies as httpx mount patterns: proxy URL, or None to go direct.

    The rules of httpx's own clients (which ignore the environment when given a transport,
    as a light client is): `http`, `https` and `all` proxies from `urllib.request.getproxies`,
    and each `NO_PROXY` entry going direct the way curl reads it (`*` turns proxies off).
    """
    found = urllib.request.getproxies()
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        if found.get(scheme):
            url = found[scheme]
            mounts[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    for host in (entry.strip() for entry in found.get("no", "").split(",")):
        if host == "*":
            return {}
        if host:
            mounts[_direct_pattern(host)] = None
    return mounts


def _direct_pattern(host: str) -> str:
    """The mount pattern of a `NO_PROXY` entry (domains, addresses, `localhost`, URLs)."""
    if "://" in host:
        return host
    try:
        address = ipaddress.ip_address(host.split("/")[0])
    except ValueError:
        # `.example.com` spares the subdomains only; `example.com` the domain too.
        return "all://localhost" if host.lower() == "localhost" else f"all://*{host}"
    return f"all://[{host}]" if address.version == 6 else f"all://{host}"


def proxy_mounts() -> dict[str, httpx.AsyncBaseTransport | None]:
    """`mounts=` for a client over the shared pools: a shared transport per proxy."""
    return {
        pattern: None if proxy is None else SharedTransport(proxy)
        for pattern, proxy in environment_proxies().items()
    }


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
        mounts=proxy_mounts(),
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(timeout),
        auth=auth,
    )
