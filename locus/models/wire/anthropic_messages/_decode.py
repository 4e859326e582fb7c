"""Anthropic Messages responses and stream events."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from locus.core.errors import (
    ModelError,
    ModelResponseError,
    ModelServerError,
    ModelStreamError,
    ModelThrottledError,
)
from locus.core.events import ModelChunkEvent
from locus.core.messages import Message, Role, ToolCall
from locus.core.response import ModelResponse
from locus.models.accumulate import StreamAccumulator, decode_tool_arguments
from locus.models.wire._events import event_json
from locus.models.wire.anthropic_messages._encode import STRUCTURED_TOOL
from locus.transport.decode import ServerSentEvent

__all__ = ["parse_event", "parse_response", "parse_usage"]


def parse_usage(usage: Any) -> dict[str, int]:
    """Map Anthropic `usage` to locus keys, cache and thinking counts included."""
    if not isinstance(usage, Mapping):
        return {}
    out: dict[str, int] = {}
    for wire, name in (
        ("input_tokens", "prompt_tokens"),
        ("output_tokens", "completion_tokens"),
        ("cache_creation_input_tokens", "cache_creation_input_tokens"),
        ("cache_read_input_tokens", "cache_read_input_tokens"),
    ):
        if isinstance(usage.get(wire), int):
            out[name] = usage[wire]
    thinking = (usage.get("output_tokens_details") or {}).get("thinking_tokens")
    if isinstance(thinking, int):
        out["reasoning_tokens"] = thinking
    return out


def _structured_content(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments)


def parse_response(body: Any, *, provider: str = "anthropic") -> ModelResponse:
    """Parse a Messages API response into a `ModelResponse`.

    Text blocks are joined; `tool_use` blocks become tool calls (the `respond_with_schema`
    one becomes the content); thinking and redacted thinking blocks are kept, as sent, in
    `metadata["thinking_blocks"]` (and the thinking text in `metadata["thinking"]`). Server
    tool blocks are skipped.

    Raises:
        ModelResponseError: The body is not a message.
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("content"), list):
        raise ModelResponseError(
            f"{provider}: the response is not a message", provider=provider, body=json.dumps(body)
        )
    folded = _Blocks(provider)
    for block in body["content"]:
        folded.add(block)
    metadata: dict[str, Any] = {}
    if folded.thinking_blocks:
        metadata["thinking_blocks"] = folded.thinking_blocks
    if folded.thinking:
        metadata["thinking"] = "".join(folded.thinking)
    if body.get("stop_details"):
        metadata["stop_details"] = body["stop_details"]
    content = folded.answer if folded.answer is not None else "".join(folded.texts) or None
    return ModelResponse(
        message=Message(
            role=Role.ASSISTANT, content=content, tool_calls=folded.calls, metadata=metadata
        ),
        usage=parse_usage(body.get("usage")),
        stop_reason=body.get("stop_reason"),
    )


class _Blocks:
    """The content blocks of a whole response, sorted into what a `Message` holds."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.texts: list[str] = []
        self.thinking: list[str] = []
        self.thinking_blocks: list[dict[str, Any]] = []
        self.calls: list[ToolCall] = []
        self.answer: str | None = None

    def add(self, block: Mapping[str, Any]) -> None:
        kind = block.get("type")
        if kind == "text":
            self.texts.append(block.get("text") or "")
        elif kind == "tool_use":
            name = block.get("name", "")
            arguments = decode_tool_arguments(block.get("input"), provider=self.provider, name=name)
            if name == STRUCTURED_TOOL:
                self.answer = _structured_content(arguments)
            else:
                self.calls.append(ToolCall(id=block["id"], name=name, arguments=arguments))
        elif kind in ("thinking", "redacted_thinking"):
            self.thinking_blocks.append(_thinking_block(block))
            if block.get("thinking"):
                self.thinking.append(block["thinking"])


def _thinking_block(block: Mapping[str, Any]) -> dict[str, Any]:
    # Only the fields the API takes back: the signature or data must be returned unchanged.
    if block.get("type") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.get("data", "")}
    return {
        "type": "thinking",
        "thinking": block.get("thinking", ""),
        "signature": block.get("signature", ""),
    }


# Streams -----------------------------------------------------------------------------------

# Error types that mean "try again later": retried when they come before any output.
_STREAM_ERRORS: dict[str, tuple[type[ModelError], bool]] = {
    "overloaded_error": (ModelThrottledError, True),
    "rate_limit_error": (ModelThrottledError, True),
    "api_error": (ModelServerError, True),
}

Handler = Callable[[dict[str, Any], StreamAccumulator], list[ModelChunkEvent]]


def _message_start(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    acc.usage = parse_usage((data.get("message") or {}).get("usage"))
    return []


def _block_start(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    block = dict(data.get("content_block") or {})
    block["json"] = []
    acc.blocks[data.get("index")] = block
    if block.get("type") == "text" and block.get("text"):
        return [acc.text(block["text"])]
    return []


def _block_delta(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    block = acc.blocks.get(data.get("index"))
    if block is None:
        raise ModelResponseError(
            f"{acc.provider}: a content_block_delta for a block that was not started",
            provider=acc.provider,
            body=json.dumps(data),
        )
    delta = data.get("delta") or {}
    kind = delta.get("type")
    if kind == "text_delta" and delta.get("text"):
        return [acc.text(delta["text"])]
    if kind == "input_json_delta":
        block["json"].append(delta.get("partial_json") or "")
    elif kind == "thinking_delta" and delta.get("thinking"):
        block["thinking"] = block.get("thinking", "") + delta["thinking"]
        return [acc.thinking(delta["thinking"])]
    elif kind == "signature_delta":
        block["signature"] = block.get("signature", "") + (delta.get("signature") or "")
    return []


def _block_stop(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    block = acc.blocks.pop(data.get("index"), None) or {}
    kind = block.get("type")
    if kind in ("thinking", "redacted_thinking"):
        acc.metadata.setdefault("thinking_blocks", []).append(_thinking_block(block))
    if kind != "tool_use":
        return []
    # The `input: {}` of content_block_start is a placeholder; the deltas carry the input.
    arguments = decode_tool_arguments(
        "".join(block["json"]), provider=acc.provider, name=block.get("name", "")
    )
    if block.get("name") == STRUCTURED_TOOL:
        return [acc.text(_structured_content(arguments))]
    return [
        acc.emit_tool_calls([ToolCall(id=block["id"], name=block["name"], arguments=arguments)])
    ]


def _message_delta(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    delta = data.get("delta") or {}
    if delta.get("stop_reason"):
        acc.stop_reason = delta["stop_reason"]
    if delta.get("stop_details"):
        acc.metadata["stop_details"] = delta["stop_details"]
    # Usage in message_delta is cumulative: later values replace earlier ones.
    acc.usage = {**(acc.usage or {}), **parse_usage(data.get("usage"))}
    return []


def _message_stop(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    acc.finished = acc.closed = True
    return []


def _error(data: dict[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    error = data.get("error") or {}
    kind = str(error.get("type") or "error")
    cls, retryable = _STREAM_ERRORS.get(kind, (ModelStreamError, False))
    failure = cls(
        f"{acc.provider}: the stream reported {kind}: {error.get('message') or '(no message)'}",
        provider=acc.provider,
        code=kind,
        body=json.dumps(data),
    )
    failure.retryable = retryable
    raise failure


_HANDLERS: dict[str, Handler] = {
    "message_start": _message_start,
    "content_block_start": _block_start,
    "content_block_delta": _block_delta,
    "content_block_stop": _block_stop,
    "message_delta": _message_delta,
    "message_stop": _message_stop,
    "error": _error,
}


def parse_event(event: ServerSentEvent, acc: StreamAccumulator) -> list[ModelChunkEvent]:
    """Fold one SSE event of a Messages stream into chunks.

    Events are dispatched on their `event:` name (falling back to the data's `type`);
    `ping` and unknown events are ignored.

    Raises:
        ModelThrottledError: An `overloaded_error` or `rate_limit_error` event.
        ModelStreamError: Another `error` event, or the stream ended inside this event.
        ModelResponseError: The event is not valid JSON.
    """
    data = event_json(event, acc.provider)
    if type(data) is not dict:
        return []
    name = event.event if event.event != "message" else data.get("type")
    handler = _HANDLERS.get(name) if type(name) is str else None
    return handler(data, acc) if handler is not None else []
