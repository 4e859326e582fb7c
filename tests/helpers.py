"""Folding helpers shared by the codec and model tests."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from locus.core.events import ModelChunkEvent
from locus.core.response import ModelResponse
from locus.models.accumulate import StreamAccumulator
from locus.transport.decode import NDJSONDecoder, SSEDecoder

Fold = Callable[[Any, StreamAccumulator], list[ModelChunkEvent]]


def decode_and_fold(
    pieces: Iterable[bytes], parse_event: Fold, provider: str, *, ndjson: bool = False
) -> tuple[list[ModelChunkEvent], StreamAccumulator]:
    """Run transcript bytes through the decoder and a codec, as `ChatModel.stream` does."""
    decoder = NDJSONDecoder(provider=provider) if ndjson else SSEDecoder(provider=provider)
    acc = StreamAccumulator(provider)
    chunks: list[ModelChunkEvent] = []

    def fold(frames: list[Any]) -> bool:
        for frame in frames:
            chunks.extend(parse_event(frame, acc))
            if acc.closed:
                return True
        return False

    for piece in pieces:
        if fold(decoder.feed(piece)):
            break
    else:
        fold(decoder.flush())
    if acc.finished:
        chunks.extend(acc.finish())
    return chunks, acc


def summarize_chunks(chunks: list[ModelChunkEvent]) -> dict[str, Any]:
    """What a stream delivered, folded: comparable with `summarize_response`."""
    final = chunks[-1] if chunks and chunks[-1].done else None
    calls = [call for chunk in chunks for call in chunk.tool_calls or ()]
    return {
        "content": "".join(chunk.content or "" for chunk in chunks) or None,
        "thinking": "".join(chunk.thinking or "" for chunk in chunks) or None,
        "tool_calls": [(call.id, call.name, call.arguments) for call in calls],
        "usage": final.usage if final else None,
        "stop_reason": final.stop_reason if final else None,
    }


def summarize_response(response: ModelResponse) -> dict[str, Any]:
    return {
        "content": response.content,
        "thinking": response.message.metadata.get("thinking"),
        "tool_calls": [(call.id, call.name, call.arguments) for call in response.tool_calls],
        "usage": response.usage,
        "stop_reason": response.stop_reason,
    }


async def drain(chunks: AsyncIterator[ModelChunkEvent], into: list[ModelChunkEvent]) -> None:
    """Consume a stream, keeping what it yielded even when it raises."""
    async for chunk in chunks:
        into.append(chunk)


def text_of(chunks: list[ModelChunkEvent]) -> str:
    return "".join(chunk.content or "" for chunk in chunks)


def assert_every_split_same(
    fold: Callable[..., tuple[list[ModelChunkEvent], Any]], name: str, data: bytes
) -> None:
    """Cut `data` in two at every byte offset: the chunks must be the same every time."""

    def dumped(pieces: list[bytes]) -> list[dict[str, Any]]:
        return [chunk.model_dump(exclude={"timestamp"}) for chunk in fold(name, pieces)[0]]

    expected = dumped([data])
    for offset in range(len(data) + 1):
        assert dumped([data[:offset], data[offset:]]) == expected


class Sleeps(list):
    """A stand-in for `asyncio.sleep` in a `RetryPolicy`: records the delays, waits for none."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


def refused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
