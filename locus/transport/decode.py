"""The one stream decoder: bytes to lines, lines to SSE events or NDJSON values.

The decoders are push-based and pure (`feed(chunk) -> list`, `flush() -> list`), so any
chunking of the same bytes gives the same output; `aiter_sse` and `aiter_ndjson` are the thin
async adapters over an `httpx.Response`.

Lines end at CR, LF or CRLF (a CRLF split across chunks counts once); UTF-8 is decoded
incrementally, so a character split across chunks is kept whole, and invalid bytes become
U+FFFD. One leading byte-order mark is dropped. A line longer than the bound is an error, so
memory per stream stays bounded. SSE follows the WHATWG rules (§9.2.5-9.2.6): comments
ignored, multi-line `data` joined with LF, events without data not dispatched. One
deliberate deviation: where the spec discards an event not closed by a blank line before
EOF, it is returned marked `complete=False`, because real recordings end that way with
their last event whole (fixtures/anthropic/recorded/refusal-stream.sse); the codec decides
whether it is usable or a truncation.
"""

from __future__ import annotations

import codecs
import json
import json.scanner
import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, NamedTuple, Protocol

import httpx

from locus.core.errors import ModelResponseError, ModelStreamError

__all__ = [
    "DEFAULT_MAX_LINE_LENGTH",
    "Decoder",
    "LineDecoder",
    "NDJSONDecoder",
    "SSEDecoder",
    "ServerSentEvent",
    "aiter_batches",
    "aiter_ndjson",
    "aiter_sse",
    "loads",
]

DEFAULT_MAX_LINE_LENGTH = 8 * 1024 * 1024
_NEWLINE = re.compile(r"\r\n|\r|\n")
# The stub types the context as a scanner; a JSONDecoder has the attributes it reads.
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def loads(text: str) -> Any:
    """`json.loads(text)`, for the one-value-per-frame text of streams, with less overhead.

    The C scanner reads a value from the start of `text`; when that value is all of `text`,
    it is exactly what `json.loads` returns, without the wrapper's two whitespace scans.
    Anything else (surrounding whitespace, trailing data, invalid JSON) goes to `json.loads`
    itself, for its value or its `JSONDecodeError`.
    """
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _label(provider: str | None) -> str:
    return f"{provider}: " if provider else ""


class LineDecoder:
    """Split a byte stream into text lines, whatever the chunking.

    Args:
        max_line_length: Longest line accepted, in characters.
        provider: Named in error messages.
    """

    def __init__(
        self, max_line_length: int = DEFAULT_MAX_LINE_LENGTH, provider: str | None = None
    ) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._size = 0
        self._skip_lf = False
        self._started = False
        self._max = max_line_length
        self._provider = provider

    def feed(self, data: bytes) -> list[str]:
        """Decode `data` and return the lines it completes."""
        text = self._utf8.decode(data)
        return self._split(text) if text else []

    def flush(self) -> list[str]:
        """End the stream: return the remaining lines, the unterminated last one included."""
        text = self._utf8.decode(b"", final=True)
        lines = self._split(text) if text else []
        if self._parts:
            lines.append("".join(self._parts))
            self._parts = []
            self._size = 0
        return lines

    @property
    def pending(self) -> bool:
        """Whether an unterminated line is buffered."""
        return bool(self._parts)

    def _trim(self, text: str) -> str:
        # Drop a leading byte-order mark, and the LF of a CRLF whose CR ended the last chunk.
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        return text

    def _split(self, text: str) -> list[str]:
        text = self._trim(text)
        if not text:
            return []
        if "\n" not in text and "\r" not in text:
            self._parts.append(text)
            self._size += len(text)
            if self._size > self._max:
                self._too_long()
            return []
        if self._parts:
            text = "".join(self._parts) + text
            self._parts = []
        lines = _NEWLINE.split(text) if "\r" in text else text.split("\n")
        tail = lines.pop()
        self._skip_lf = text[-1] == "\r"
        self._size = len(tail)
        if tail:
            self._parts.append(tail)
        if len(text) > self._max and max(self._size, *map(len, lines)) > self._max:
            self._too_long()
        return lines

    def _too_long(self) -> None:
        raise ModelResponseError(
            f"{_label(self._provider)}a stream line is longer than {self._max} characters",
            provider=self._provider,
        )


class ServerSentEvent(NamedTuple):
    """One dispatched server-sent event.

    `complete` is False for an event cut off by the end of the stream before its closing
    blank line: its data may be whole (a server or recording that drops the last newlines)
    or truncated, which only the consumer can tell.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None
    complete: bool = True

    def json(self) -> Any:
        """Parse `data` as JSON."""
        return loads(self.data)


# A dispatched event is made per token: the tuple is built without the Python-level
# `ServerSentEvent.__new__` (which only fills in defaults).
_event = tuple.__new__


class SSEDecoder:
    """Turn a `text/event-stream` byte stream into `ServerSentEvent`s.

    Args:
        max_line_length: Longest line accepted, in characters.
        provider: Named in error messages.
        line_events: Dispatch every `data:` line as an event of its own, at once, for
            data-only streams whose events are one line each and that may separate them by
            a single newline or never send the closing blank line (OCI's native chat).
    """

    def __init__(
        self,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        provider: str | None = None,
        *,
        line_events: bool = False,
    ) -> None:
        self._lines = LineDecoder(max_line_length, provider)
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None
        self._line_events = line_events

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode `chunk` and return the events it completes."""
        return self._process(self._lines.feed(chunk))

    def flush(self) -> list[ServerSentEvent]:
        """End the stream; an event not closed by a blank line comes with `complete=False`."""
        partial = self._lines.pending
        lines = self._lines.flush()
        events = self._process(lines)
        if self._line_events and partial and events and lines[-1].startswith("data"):
            events[-1] = events[-1]._replace(complete=False)  # its line was cut off
        if self._data:
            data = "\n".join(self._data)
            events.append(
                ServerSentEvent(self._event or "message", data, self._last_id, self._retry, False)
            )
        self._data.clear()
        self._event = ""
        return events

    def _process(self, lines: list[str]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line[:6] == "data: ":  # the common forms first: `data: x`, blank, `event: x`
                data.append(line[6:])
                if self._line_events:
                    events.append(self._dispatch())
            elif not line:
                if data:
                    events.append(
                        _event(
                            ServerSentEvent,
                            (
                                self._event or "message",
                                data[0] if len(data) == 1 else "\n".join(data),
                                self._last_id,
                                self._retry,
                                True,
                            ),
                        )
                    )
                    data.clear()
                self._event = ""
            elif line[:7] == "event: ":
                self._event = line[7:]
            elif line[0] != ":":
                self._field(line)
                if self._line_events and data:
                    events.append(self._dispatch())
        return events

    def _dispatch(self) -> ServerSentEvent:
        event = ServerSentEvent(
            self._event or "message", "\n".join(self._data), self._last_id, self._retry
        )
        self._data.clear()
        if self._line_events:
            self._event = ""
        return event

    def _field(self, line: str) -> None:
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)


class NDJSONDecoder:
    """Turn a newline-delimited JSON byte stream into parsed values; blank lines are skipped.

    Args:
        max_line_length: Longest line accepted, in characters.
        provider: Named in error messages.
    """

    def __init__(
        self, max_line_length: int = DEFAULT_MAX_LINE_LENGTH, provider: str | None = None
    ) -> None:
        self._lines = LineDecoder(max_line_length, provider)
        self._provider = provider

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode `chunk` and return the values of the lines it completes."""
        lines = self._lines.feed(chunk)
        try:
            return [loads(line) for line in lines if line and not line.isspace()]
        except json.JSONDecodeError:
            # Parse again line by line, for the typed error naming the bad line.
            return [self._parse(line) for line in lines if line and not line.isspace()]

    def flush(self) -> list[Any]:
        """End the stream; a last line without a newline is parsed if it is complete JSON."""
        truncated = self._lines.pending
        values: list[Any] = []
        for line in self._lines.flush():
            if line.strip():
                values.append(self._parse(line, truncated=truncated))
        return values

    def _parse(self, line: str, *, truncated: bool = False) -> Any:
        try:
            return loads(line)
        except json.JSONDecodeError as exc:
            if truncated:
                raise ModelStreamError(
                    f"{_label(self._provider)}the stream ended in the middle of a JSON line",
                    provider=self._provider,
                    body=line,
                ) from exc
            raise ModelResponseError(
                f"{_label(self._provider)}a stream line is not valid JSON: {exc.msg}",
                provider=self._provider,
                body=line,
            ) from exc


class Decoder(Protocol):
    """A push decoder: bytes in, frames out."""

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode `chunk` and return the frames it completes."""
        ...

    def flush(self) -> list[Any]:
        """End the stream and return the last frames."""
        ...


async def aiter_batches(
    response: httpx.Response, decoder: Decoder
) -> AsyncGenerator[list[Any], None]:
    """Yield the frames of a streamed `httpx.Response`, one list per network read."""
    async for chunk in response.aiter_bytes():
        frames = decoder.feed(chunk)
        if frames:
            yield frames
    frames = decoder.flush()
    if frames:
        yield frames


async def aiter_sse(
    response: httpx.Response,
    *,
    provider: str | None = None,
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
) -> AsyncIterator[ServerSentEvent]:
    """Yield the server-sent events of a streamed `httpx.Response`."""
    async for batch in aiter_batches(response, SSEDecoder(max_line_length, provider)):
        for event in batch:
            yield event


async def aiter_ndjson(
    response: httpx.Response,
    *,
    provider: str | None = None,
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
) -> AsyncIterator[Any]:
    """Yield the JSON values of a streamed newline-delimited JSON `httpx.Response`."""
    async for batch in aiter_batches(response, NDJSONDecoder(max_line_length, provider)):
        for value in batch:
            yield value
