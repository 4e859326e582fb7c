"""A small HTTP/1.1 server on 127.0.0.1 (standard library asyncio) that replays replies.

Each request takes the next `Reply`: a status, headers and a body sent whole
(`Content-Length`) or in pieces (`Transfer-Encoding: chunked`) with delays, a stall before the
headers, or a connection dropped midway. Requests are recorded for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

__all__ = ["FakeServer", "Recorded", "Reply"]


@dataclass
class Reply:
    """One scripted HTTP answer.

    Args:
        status: The status code.
        body: The body bytes.
        headers: Response headers.
        chunk_size: Send the body in pieces of this size, chunked; None sends it whole.
        delay: Seconds to wait between pieces.
        stall: Seconds to wait before the status line.
        drop_after: Close the connection after this many pieces, without finishing.
        reset: Close the connection without answering at all.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunk_size: int | None = None
    delay: float = 0.0
    stall: float = 0.0
    drop_after: int | None = None
    reset: bool = False

    @classmethod
    def sse(cls, body: bytes, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Reply:
        """A `text/event-stream` reply, sent in 64-byte pieces unless told otherwise."""
        kwargs.setdefault("chunk_size", 64)
        headers = {"content-type": "text/event-stream", **(headers or {})}
        return cls(body=body, headers=headers, **kwargs)

    @classmethod
    def json(
        cls, body: bytes, status: int = 200, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Reply:
        """An `application/json` reply."""
        headers = {"content-type": "application/json", **(headers or {})}
        return cls(status=status, body=body, headers=headers, **kwargs)


@dataclass
class Recorded:
    """A request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}


class FakeServer:
    """The server: `async with FakeServer() as server`, then `server.url`.

    Requests are answered by `answer()`; this class answers with the queued `Reply`s in
    order (a 500 when none is left).
    """

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.connections_opened = 0
        self.connections_closed = 0
        self.closed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies for the next requests."""
        self.replies.extend(replies)

    async def answer(self, request: Recorded) -> Reply:
        """The reply to `request`: the next queued one."""
        if self.replies:
            return self.replies.popleft()
        return Reply(status=500, body=b"no reply scripted")

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections_opened += 1
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the server is shutting down
        finally:
            self.connections_closed += 1
            self.closed.set()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        recorded = Recorded(method, path, headers, body)
        self.requests.append(recorded)
        reply = await self.answer(recorded)
        if reply.stall:
            await asyncio.sleep(reply.stall)
        if reply.reset:
            return False
        return await self._write(writer, reply)

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> bool:
        status = f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
        headers = dict(reply.headers)
        if reply.chunk_size is None:
            headers["content-length"] = str(len(reply.body))
        else:
            headers["transfer-encoding"] = "chunked"
        head = status + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("latin-1"))
        if reply.chunk_size is None:
            writer.write(reply.body)
            await writer.drain()
            return True
        pieces = [
            reply.body[i : i + reply.chunk_size]
            for i in range(0, len(reply.body), reply.chunk_size)
        ]
        for sent, piece in enumerate(pieces):
            if reply.drop_after is not None and sent >= reply.drop_after:
                await writer.drain()
                return False
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            if reply.delay:
                await asyncio.sleep(reply.delay)
        if reply.drop_after is not None and reply.drop_after >= len(pieces):
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
