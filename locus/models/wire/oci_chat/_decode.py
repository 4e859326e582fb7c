"""OCI native chat responses and stream events, COHERE, COHEREV2 and GENERIC."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.core.events import ModelChunkEvent
from locus.core.messages import Message, Role, ToolCall
from locus.core.response import ModelResponse
from locus.models.accumulate import StreamAccumulator, decode_tool_arguments
from locus.models.wire._events import event_json
from locus.transport.decode import ServerSentEvent

__all__ = ["parse_event", "parse_response", "parse_usage"]


def parse_usage(usage: Any) -> dict[str, int] | None:
    """Map OCI `usage` to locus keys.

    A missing `completionTokens` (Gemini spends the budget on reasoning) is the total less
    the prompt.
    """
    if not isinstance(usage, Mapping):
        return None
    out: dict[str, int] = {}
    prompt, completion, total = (
        usage.get("promptTokens"),
        usage.get("completionTokens"),
        usage.get("totalTokens"),
    )
    if isinstance(prompt, int):
        out["prompt_tokens"] = prompt
    if isinstance(completion, int):
        out["completion_tokens"] = completion
    elif isinstance(total, int) and isinstance(prompt, int):
        out["completion_tokens"] = total - prompt
    for details, key, name in (
        ("promptTokensDetails", "cachedTokens", "cached_tokens"),
        ("completionTokensDetails", "reasoningTokens", "reasoning_tokens"),
    ):
        value = (usage.get(details) or {}).get(key)
        if isinstance(value, int):
            out[name] = value
    return out


def _parts_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        part.get("text") or ""
        for part in content or ()
        if isinstance(part, Mapping) and part.get("type", "TEXT") == "TEXT"
    )


def _function(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    function = entry.get("function")
    return function if isinstance(function, Mapping) else entry


def _call(entry: Mapping[str, Any], provider: str) -> ToolCall:
    """A complete tool call in any of the three formats."""
    function = _function(entry)
    name = str(function.get("name") or "")
    if not name:
        raise ModelResponseError(f"{provider}: a tool call has no name", provider=provider)
    raw = function.get("arguments", function.get("parameters"))
    fields: dict[str, Any] = {
        "name": name,
        "arguments": decode_tool_arguments(raw, provider=provider, name=name),
    }
    if entry.get("id"):
        fields["id"] = entry["id"]
    return ToolCall(**fields)


def _answer(chat: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any]:
    """The message-like part of a response and its finish reason, whatever the format."""
    if chat.get("apiFormat") == "COHERE":
        return {"content": chat.get("text"), "toolCalls": chat.get("toolCalls")}, chat.get(
            "finishReason"
        )
    if isinstance(chat.get("choices"), list) and chat["choices"]:
        choice = chat["choices"][0]
        return choice.get("message") or {}, choice.get("finishReason")
    return chat.get("message") or {}, chat.get("finishReason")


def parse_response(body: Any, *, provider: str = "oci") -> ModelResponse:
    """Parse a `ChatResult` (`{"modelId", "chatResponse": {...}}`) into a `ModelResponse`.

    Raises:
        ModelResponseError: The body is not a chat result.
    """
    chat = body.get("chatResponse") if isinstance(body, Mapping) else None
    if not isinstance(chat, Mapping):
        raise ModelResponseError(
            f"{provider}: the response has no chatResponse",
            provider=provider,
            body=json.dumps(body),
        )
    message, finish = _answer(chat)
    metadata: dict[str, Any] = {}
    if message.get("reasoningContent"):
        metadata["thinking"] = message["reasoningContent"]
    if message.get("refusal"):
        metadata["refusal"] = message["refusal"]
    content = _parts_text(message.get("content")) or message.get("refusal") or None
    return ModelResponse(
        message=Message(
            role=Role.ASSISTANT,
            content=content,
            tool_calls=[_call(entry, provider) for entry in message.get("toolCalls") or ()],
            metadata=metadata,
        ),
        usage=parse_usage(chat.get("usage")) or {},
        stop_reason=finish,
    )


def _fold_message(message: Mapping[str, Any], acc: StreamAccumulator) -> list[ModelChunkEvent]:
    out = []
    if message.get("reasoningContent"):
        out.append(acc.thinking(message["reasoningContent"]))
    text = _parts_text(message.get("content"))
    if text:
        out.append(acc.text(text))
    for entry in message.get("toolCalls") or ():
        function = _function(entry)
        # GENERIC calls carry no index: an id opens a call, id-less pieces continue the last.
        acc.tool_fragment(None, entry.get("id"), function.get("name"), function.get("arguments"))
    return out


def _check(data: Any, event: ServerSentEvent, provider: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ModelResponseError(
            f"{provider}: a stream event is not a JSON object", provider=provider
        )
    if data.get("errorMessage") or (data.get("code") and data.get("message")):
        raise ModelStreamError(
            f"{provider}: the stream reported an error: "
            f"{data.get('errorMessage') or data.get('message')}",
            provider=provider,
            body=event.data,
        )
    return data


def parse_event(event: ServerSentEvent, acc: StreamAccumulator) -> list[ModelChunkEvent]:
    """Fold one data-only SSE event of a native chat stream into chunks.

    `finishReason` completes the answer; reading goes on for the usage event that GENERIC
    streams send after it, and stops at that event, at `[DONE]`, or at the end of the
    stream (a model's tail wait bounds it when the server keeps the connection open).
    Tool calls, streamed in pieces, are emitted complete before the final chunk.

    Raises:
        ModelStreamError: An event reports an error, or the stream ended inside an event.
        ModelResponseError: An event is not a JSON object.
    """
    if event.data.startswith("[DONE]"):
        acc.finished = acc.closed = True
        return []
    data = _check(event_json(event, acc.provider), event, acc.provider)
    out: list[ModelChunkEvent] = []
    if data.get("apiFormat") == "COHERE":
        if data.get("text"):
            out.append(acc.text(data["text"]))
        for entry in data.get("toolCalls") or ():
            acc.tool_call(_call(entry, acc.provider))
    elif isinstance(data.get("message"), Mapping):
        out += _fold_message(data["message"], acc)
    usage = parse_usage(data.get("usage"))
    if usage is not None:
        acc.usage = usage
        acc.closed = acc.finished or bool(data.get("finishReason"))
    if data.get("finishReason"):
        acc.stop_reason = data["finishReason"]
        acc.finished = True
    return out
