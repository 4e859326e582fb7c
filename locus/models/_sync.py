"""Running the async API from synchronous code, inside a notebook's running loop too."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["iterate_sync", "run_sync"]

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end.

    On a new loop; or, when this thread already runs one (a notebook), on a worker thread's.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="locus-sync") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def iterate_sync(items: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from synchronous code.

    A worker thread runs it on its own loop and hands items over one at a time; leaving the
    loop early stops it, which closes what the iterator holds (an HTTP response).
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    async def pump() -> None:
        try:
            async for item in items:
                handoff.put(("item", item))
                if stop.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, re-raised there
            handoff.put(("error", exc))
        else:
            handoff.put(("done", None))
        finally:
            if isinstance(items, AsyncGenerator):
                await items.aclose()

    thread = threading.Thread(target=asyncio.run, args=(pump(),), name="locus-sync", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        thread.join(timeout=30)
