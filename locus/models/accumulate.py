"""The stream accumulator every codec folds its events into.

Text and reasoning deltas pass straight through as chunks. Tool-call fragments are gathered,
keyed by the vendor's index or id, and emitted once, complete, with parsed arguments, just
before the final chunk, which carries `done=True`, `stop_reason` and `usage`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from locus.core.errors import ModelResponseError
from locus.core.events import ModelChunkEvent, delta_event
from locus.core.messages import Message, Role, ToolCall
from locus.core.response import ModelResponse

__all__ = ["StreamAccumulator", "decode_tool_arguments", "response_chunks"]

_SNIPPET = 200


def decode_tool_arguments(
    raw: str | dict[str, Any] | None, *, provider: str, name: str, stop_reason: str | None = None
) -> dict[str, Any]:
    """Decode a tool call's arguments into a dict.

    Empty arguments are `{}`. A JSON string whose value is itself a JSON object string
    (double-encoded, as some models emit) is unwrapped once.

    Raises:
        ModelResponseError: The arguments are not a JSON object.
    """
    if isinstance(raw, dict):
        return raw
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
        if isinstance(value, str):
            value = json.loads(value)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        return value
    why = (
        " (the output was cut off at max_tokens)" if stop_reason in ("length", "max_tokens") else ""
    )
    raise ModelResponseError(
        f"{provider}: the arguments of tool call {name!r} are not a JSON object{why}: "
        f"{raw[:_SNIPPET]!r}",
        provider=provider,
    )


class _PendingCall:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: list[str] = []


class StreamAccumulator:
    """State of one stream: what was said, pending tool calls, usage, stop reason, the end.

    A codec sets `finished` once the answer is complete (so an end of stream is no longer a
    truncation) and `closed` when the provider's terminal marker arrives (stop reading).
    `metadata` collects what the final message carries besides text and tool calls (a
    refusal, the provider's thinking blocks); `blocks` is the codec's own per-block state;
    `received` is when the bytes being decoded arrived, the timestamp of their chunks.
    """

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.stop_reason: str | None = None
        self.usage: dict[str, int] | None = None
        self.finished = False
        self.closed = False
        self.metadata: dict[str, Any] = {}
        self.blocks: dict[Any, Any] = {}
        self.received: datetime | None = None
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._emitted: list[ToolCall] = []
        self._calls: list[_PendingCall] = []
        self._by_index: dict[Any, _PendingCall] = {}
        self._by_id: dict[str, _PendingCall] = {}
        self._complete: list[ToolCall] = []

    def text(self, delta: str) -> ModelChunkEvent:
        """Record a text delta and return its chunk."""
        if type(delta) is not str:
            raise self._not_text(delta)
        self._text.append(delta)
        return delta_event("content", delta, self.received)

    def thinking(self, delta: str) -> ModelChunkEvent:
        """Record a reasoning delta and return its chunk."""
        if type(delta) is not str:
            raise self._not_text(delta)
        self._thinking.append(delta)
        return delta_event("thinking", delta, self.received)

    def _not_text(self, delta: Any) -> ModelResponseError:
        return ModelResponseError(
            f"{self.provider}: a streamed text delta is not a string: {delta!r:.100}",
            provider=self.provider,
        )

    def emit_tool_calls(self, calls: list[ToolCall]) -> ModelChunkEvent:
        """Record tool calls completed mid-stream and return their chunk."""
        self._emitted.extend(calls)
        return ModelChunkEvent(tool_calls=calls)

    def tool_fragment(
        self,
        index: Any,
        call_id: str | None,
        name: str | None,
        arguments: str | None,
    ) -> None:
        """Add a piece of a streamed tool call, emitted complete by `finish`.

        Fragments are matched by `index`; a different id at a known index starts a new call
        (servers that reuse index 0). Without an index they are matched by id, and without
        either they continue the call opened last. The id and name are set once, never
        concatenated; only the arguments are appended.
        """
        if index is None:
            pending = self._by_id.get(call_id) if call_id else None
            if pending is None and not call_id and self._calls:
                pending = self._calls[-1]
        else:
            pending = self._by_index.get(index)
            if pending is not None and call_id and pending.id and call_id != pending.id:
                pending = None
        if pending is None:
            pending = _PendingCall()
            self._calls.append(pending)
            if index is not None:
                self._by_index[index] = pending
        if call_id and not pending.id:
            pending.id = call_id
            self._by_id[call_id] = pending
        if name and not pending.name:
            pending.name = name
        if arguments:
            pending.arguments.append(arguments)

    def tool_call(self, call: ToolCall) -> None:
        """Add a tool call that arrived whole, emitted by `finish`."""
        self._complete.append(call)

    def _pending_calls(self) -> list[ToolCall]:
        calls = list(self._complete)
        for pending in self._calls:
            if not pending.name:
                raise ModelResponseError(
                    f"{self.provider}: a streamed tool call has no name", provider=self.provider
                )
            arguments = decode_tool_arguments(
                "".join(pending.arguments),
                provider=self.provider,
                name=pending.name,
                stop_reason=self.stop_reason,
            )
            fields: dict[str, Any] = {"name": pending.name, "arguments": arguments}
            if pending.id:
                fields["id"] = pending.id
            calls.append(ToolCall(**fields))
        return calls

    def finish(self) -> list[ModelChunkEvent]:
        """Return the closing chunks: pending tool calls (if any), then the final chunk.

        The final chunk carries `stop_reason`, `usage` and the whole assistant `message`,
        ready to be appended to the conversation.
        """
        chunks = []
        calls = self._pending_calls()
        if calls:
            chunks.append(ModelChunkEvent(tool_calls=calls))
        metadata = dict(self.metadata)
        if self._thinking:
            metadata["thinking"] = "".join(self._thinking)
        message = Message(
            role=Role.ASSISTANT,
            content="".join(self._text) or None,
            tool_calls=[*self._emitted, *calls],
            metadata=metadata,
        )
        chunks.append(
            ModelChunkEvent(
                done=True, usage=self.usage, stop_reason=self.stop_reason, message=message
            )
        )
        return chunks


def response_chunks(response: ModelResponse) -> list[ModelChunkEvent]:
    """The chunks a stream of `response` would have yielded (for a non-streaming fallback)."""
    message = response.message
    chunks = []
    if message.metadata.get("thinking"):
        chunks.append(ModelChunkEvent(thinking=message.metadata["thinking"]))
    if message.content:
        chunks.append(ModelChunkEvent(content=message.content))
    if message.tool_calls:
        chunks.append(ModelChunkEvent(tool_calls=list(message.tool_calls)))
    chunks.append(
        ModelChunkEvent(
            done=True,
            usage=response.usage or None,
            stop_reason=response.stop_reason,
            message=message,
        )
    )
    return chunks
