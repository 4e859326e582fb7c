"""The retry layer: one loop around `client.send`, below the models and above the pool.

Connection failures and the statuses marked retryable by `locus.transport.errors` (408, 409,
429, 5xx, Anthropic's 529) are re-sent with capped exponential backoff and jitter, unless the
server says otherwise: `x-should-retry` overrides the decision, and `retry-after-ms` /
`retry-after` set the delay. A server asking for a wait longer than the cap gets no retry:
the caller receives the error with its `retry_after`. Retrying stops at a response handed
to the caller: once a stream has started, nothing is re-sent from here.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from locus.core.errors import ModelError
from locus.transport.errors import error_from_response, map_transport_errors

__all__ = ["RetryPolicy", "RetryState", "send_with_retry"]

logger = logging.getLogger("locus.transport")


async def _sleep(seconds: float) -> None:
    import asyncio  # loaded by whoever runs the loop; not by importing locus

    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before re-sending a failed request.

    Args:
        max_retries: Re-sends after the first attempt (so at most `max_retries + 1` attempts).
        backoff_base: First backoff delay, in seconds; doubled on each retry.
        backoff_cap: Longest backoff delay, in seconds.
        jitter: Fraction by which a backoff delay is randomly shortened (0.25: 75-100 %).
        retry_after_cap: Longest server-requested wait honoured; beyond it, no retry.
        sleep: Awaited with the delay (`asyncio.sleep`); replace it to test without waiting.
        random: Returns a float in [0, 1) for the jitter.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    jitter: float = 0.25
    retry_after_cap: float = 60.0
    sleep: Callable[[float], Awaitable[Any]] = field(default=_sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(
        self, retries_done: int, error: ModelError, headers: httpx.Headers | None
    ) -> float | None:
        """Return the wait before the next attempt, or None when `error` must be raised."""
        if retries_done >= self.max_retries:
            return None
        retryable = error.retryable
        override = headers.get("x-should-retry") if headers is not None else None
        if override in ("true", "false"):
            retryable = override == "true"
        if not retryable:
            return None
        if error.retry_after is not None and error.retry_after > 0:
            return error.retry_after if error.retry_after <= self.retry_after_cap else None
        backoff = min(self.backoff_base * 2.0**retries_done, self.backoff_cap)
        return backoff * (1.0 - self.jitter * self.random())


class RetryState:
    """The retries spent on one call, shared by every attempt of that call."""

    def __init__(self, policy: RetryPolicy, provider: str) -> None:
        self.policy = policy
        self.provider = provider
        self.retries = 0

    async def wait_or_raise(self, error: ModelError, headers: httpx.Headers | None = None) -> None:
        """Sleep before the next attempt, or raise `error` when no retry is allowed."""
        delay = self.policy.delay(self.retries, error, headers)
        if delay is None:
            raise error
        self.retries += 1
        logger.info(
            "%s: retry %d of %d in %.2fs after %s",
            self.provider,
            self.retries,
            self.policy.max_retries,
            delay,
            error.kind if error.status_code is None else f"HTTP {error.status_code}",
        )
        await self.policy.sleep(delay)


async def send_with_retry(
    client: httpx.AsyncClient,
    request: httpx.Request,
    retry: RetryState,
    *,
    auth: Any = httpx.USE_CLIENT_DEFAULT,
) -> httpx.Response:
    """Send `request` until a 2xx response arrives or retrying must stop.

    Args:
        client: The client to send with.
        request: The request; its body is bytes, so it can be sent again.
        retry: The policy and the retries already spent on this call.
        auth: An `httpx.Auth` for this request, or the client's default.

    Returns:
        The streamed, unread 2xx response; the caller must close it.

    Raises:
        ModelError: The typed error of the last attempt.
    """
    provider = retry.provider
    while True:
        headers: httpx.Headers | None = None
        try:
            with map_transport_errors(provider):
                response = await client.send(request, auth=auth, stream=True)
                if response.is_success:
                    return response
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            headers = response.headers
            error = error_from_response(response, provider)
        except ModelError as exc:
            error = exc
        await retry.wait_or_raise(error, headers)
