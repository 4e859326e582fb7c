"""Reading a streamed response into chunks, and bounding a call by its deadline.

Used by `ChatModel`; here as plain functions with explicit inputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from locus.core.errors import ModelError, ModelStreamError, ModelTimeoutError
from locus.core.events import ModelChunkEvent
from locus.models.accumulate import StreamAccumulator
from locus.transport.decode import Decoder, aiter_batches
from locus.transport.errors import map_transport_errors

__all__ = ["deadline", "fold_stream", "late", "within"]

Fold = Callable[[Any, StreamAccumulator], list[ModelChunkEvent]]


def late(provider: str) -> ModelTimeoutError:
    """The error of a call that outlived its deadline."""
    return ModelTimeoutError(
        f"{provider}: the call took longer than its deadline", provider=provider
    )


def deadline(seconds: float | None) -> float | None:
    """The loop time a call given `seconds` must end by (None: no limit)."""
    return None if seconds is None else asyncio.get_running_loop().time() + seconds


def within(when: float | None, provider: str) -> contextlib.AbstractAsyncContextManager[None]:
    """Bound a block by the loop time `when` (nothing when None), as a typed timeout."""
    return contextlib.nullcontext() if when is None else _bounded(when, provider)


@contextlib.asynccontextmanager
async def _bounded(when: float, provider: str) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout_at(when):
            yield
    except TimeoutError:
        raise late(provider) from None


async def fold_stream(
    response: httpx.Response,
    *,
    provider: str,
    decoder: Decoder,
    decode: Fold,
    tail: float | None = None,
    when: float | None = None,
) -> AsyncGenerator[list[ModelChunkEvent], None]:
    """Yield a streamed response's chunks, a list per network read.

    One async step per read, not per chunk. What a read decoded before an error is yielded
    before the error is raised.

    Args:
        response: The streamed 2xx response.
        provider: Named in errors.
        decoder: The frame decoder (SSE or NDJSON).
        decode: The codec's `parse_event`.
        tail: Seconds to keep reading once the answer is complete (None: to the end).
        when: The loop time the call must end by.

    Raises:
        ModelStreamError: The stream ended before the answer was complete.
        ModelTimeoutError: The deadline passed.
    """
    acc = StreamAccumulator(provider)
    with map_transport_errors(provider, streaming=True):
        async with contextlib.aclosing(aiter_batches(response, decoder)) as batches:
            while not acc.closed:
                frames = await _next_frames(batches, acc, tail, when)
                if frames is None:
                    break
                chunks: list[ModelChunkEvent] = []
                acc.received = datetime.now(UTC)  # one read: one arrival time
                try:
                    for frame in frames:
                        chunks += decode(frame, acc)
                        if acc.closed:
                            break
                except ModelError:
                    if chunks:
                        yield chunks  # what came before the error is delivered first
                    raise
                frames.clear()  # decoded: the decoder's list need not outlive the read
                if chunks:
                    yield chunks
    if not acc.finished:
        raise ModelStreamError(
            f"{provider}: the stream ended before the answer was complete",
            provider=provider,
            status_code=response.status_code,
        )
    yield acc.finish()


async def _next_frames(
    batches: AsyncGenerator[list[Any], None],
    acc: StreamAccumulator,
    tail: float | None,
    when: float | None,
) -> list[Any] | None:
    """The next read's frames, or None at the end.

    The end is also when nothing more came within the tail wait after a complete answer.
    """
    loop = asyncio.get_running_loop()
    limit = when
    if acc.finished and tail is not None:
        limit = min(limit or math.inf, loop.time() + tail)
    try:
        async with asyncio.timeout_at(limit):
            return await anext(batches)
    except StopAsyncIteration:
        return None
    except httpx.ReadTimeout:
        if acc.finished:
            return None  # the answer is complete; only what trails it went silent
        raise
    except TimeoutError:
        if when is not None and loop.time() >= when:
            raise late(acc.provider) from None
        return None
