"""Scripted answers (`Turn`s) written out in each provider's wire format.

The fake server answers a request on a provider's path in that provider's shape, complete or
streamed as the request asks: OpenAI Chat Completions (also OCI's `/openai/v1`), Anthropic
Messages, Ollama `/api/chat`, and OCI's native chat (COHERE or GENERIC, as requested).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from locus.core.messages import ToolCall
from locus.testing._http import Reply

__all__ = ["FORMATS", "Turn", "render"]

_WORDS = re.compile(r"\s*\S+|\s+")


@dataclass
class Turn:
    """One scripted answer, written out in whatever format the request's path speaks.

    Args:
        text: The answer's text (for structured output, the JSON).
        tool_calls: Tool calls to make.
        thinking: Reasoning text, where the format carries it.
        prompt_tokens: Reported input tokens.
        completion_tokens: Reported output tokens.
        error: `(status, message)` to answer with the provider's error body instead.
    """

    text: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    thinking: str | None = None
    prompt_tokens: int = 12
    completion_tokens: int = 8
    error: tuple[int, str] | None = None

    def pieces(self) -> list[str]:
        """The text split as a model streams it, a word at a time."""
        return _WORDS.findall(self.text or "")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json(value: Any, status: int = 200) -> Reply:
    return Reply.json(_dumps(value).encode(), status=status)


def _sse(events: list[str]) -> Reply:
    return Reply.sse("".join(events).encode(), chunk_size=256)


# OpenAI Chat Completions -------------------------------------------------------------------


def _openai(turn: Turn, request: dict[str, Any]) -> Reply:
    if turn.error:
        status, text = turn.error
        return _json({"error": {"message": text, "type": "server_error", "code": None}}, status)
    model = request.get("model", "model")
    usage = {
        "prompt_tokens": turn.prompt_tokens,
        "completion_tokens": turn.completion_tokens,
        "total_tokens": turn.prompt_tokens + turn.completion_tokens,
    }
    calls: list[dict[str, Any]] = [
        {
            "id": c.id,
            "type": "function",
            "function": {"name": c.name, "arguments": _dumps(c.arguments)},
        }
        for c in turn.tool_calls
    ]
    finish = "tool_calls" if calls else "stop"
    head = {"id": "chatcmpl-fake", "created": 1763980000, "model": model}
    if not request.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": turn.text, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        return _json({**head, "object": "chat.completion", "choices": [choice], "usage": usage})

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        body = {**head, "object": "chat.completion.chunk", "choices": [choice], "usage": None}
        return f"data: {_dumps(body)}\n\n"

    events = [chunk({"role": "assistant", "content": "", "refusal": None})]
    events += [chunk({"content": piece}) for piece in turn.pieces()]
    for index, call in enumerate(calls):
        opening = {**call, "function": {"name": call["function"]["name"], "arguments": ""}}
        events.append(chunk({"tool_calls": [{"index": index, **opening}]}))
        arguments = call["function"]["arguments"]
        for part in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
            events.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
            )
    events.append(chunk({}, finish))
    if (request.get("stream_options") or {}).get("include_usage"):
        last = {**head, "object": "chat.completion.chunk", "choices": [], "usage": usage}
        events.append(f"data: {_dumps(last)}\n\n")
    return _sse([*events, "data: [DONE]\n\n"])


# Anthropic Messages --------------------------------------------------------------------------


def _anthropic_blocks(turn: Turn, request: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if turn.thinking:
        blocks.append({"type": "thinking", "thinking": turn.thinking, "signature": "c2lnbmF0dXJl"})
    forced = (request.get("tool_choice") or {}).get("name") == "respond_with_schema"
    if forced and turn.text:
        blocks.append(
            {
                "type": "tool_use",
                "id": "toolu_schema",
                "name": "respond_with_schema",
                "input": json.loads(turn.text),
            }
        )
    elif turn.text:
        blocks.append({"type": "text", "text": turn.text})
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
        for c in turn.tool_calls
    ]
    return blocks


def _anthropic_block_events(index: int, block: dict[str, Any], turn: Turn) -> list[str]:
    def event(name: str, data: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {_dumps({'type': name, **data})}\n\n"

    kind = block["type"]
    empty = {
        "text": {"type": "text", "text": ""},
        "thinking": {"type": "thinking", "thinking": "", "signature": ""},
    }
    start = empty.get(kind, {**block, "input": {}})
    out = [event("content_block_start", {"index": index, "content_block": start})]
    if kind == "text":
        deltas = [{"type": "text_delta", "text": piece} for piece in turn.pieces()]
    elif kind == "thinking":
        deltas = [
            {"type": "thinking_delta", "thinking": block["thinking"]},
            {"type": "signature_delta", "signature": block["signature"]},
        ]
    else:
        deltas = [{"type": "input_json_delta", "partial_json": _dumps(block["input"])}]
    out += [event("content_block_delta", {"index": index, "delta": delta}) for delta in deltas]
    return [*out, event("content_block_stop", {"index": index})]


def _anthropic(turn: Turn, request: dict[str, Any]) -> Reply:
    if turn.error:
        status, text = turn.error
        error_type = "overloaded_error" if status == 529 else "api_error"
        return _json({"type": "error", "error": {"type": error_type, "message": text}}, status)
    blocks = _anthropic_blocks(turn, request)
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    usage = {"input_tokens": turn.prompt_tokens, "output_tokens": turn.completion_tokens}
    message: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.get("model", "model"),
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }
    if not request.get("stream"):
        return _json(message)
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events = [
        f"event: message_start\ndata: {_dumps({'type': 'message_start', 'message': start})}\n\n"
    ]
    for index, block in enumerate(blocks):
        events += _anthropic_block_events(index, block, turn)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": usage,
    }
    events.append(f"event: message_delta\ndata: {_dumps(delta)}\n\n")
    events.append('event: message_stop\ndata: {"type":"message_stop"}\n\n')
    return _sse(events)


# Ollama --------------------------------------------------------------------------------------


def _ollama(turn: Turn, request: dict[str, Any]) -> Reply:
    if turn.error:
        return _json({"error": turn.error[1]}, turn.error[0])
    model = request.get("model", "model")

    def line(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
        content = {"role": "assistant", "content": "", **message}
        return {
            "model": model,
            "created_at": "2025-11-24T10:00:00Z",
            "message": content,
            "done": False,
            **extra,
        }

    calls = [
        {"id": c.id, "function": {"name": c.name, "arguments": c.arguments}}
        for c in turn.tool_calls
    ]
    final = {
        "done_reason": "stop",
        "done": True,
        "prompt_eval_count": turn.prompt_tokens,
        "eval_count": turn.completion_tokens,
    }
    if request.get("stream") is False:
        message: dict[str, Any] = {"content": turn.text or ""}
        if turn.thinking:
            message["thinking"] = turn.thinking
        if calls:
            message["tool_calls"] = calls
        return _json(line(message, **final))
    lines = [line({"thinking": turn.thinking})] if turn.thinking else []
    lines += [line({"content": piece}) for piece in turn.pieces()]
    if calls:
        lines.append(line({"tool_calls": calls}))
    lines.append(line({}, **final))
    body = "".join(_dumps(item) + "\n" for item in lines).encode()
    return Reply(body=body, headers={"content-type": "application/x-ndjson"}, chunk_size=256)


# OCI native chat -----------------------------------------------------------------------------


def _oci_usage(turn: Turn) -> dict[str, int]:
    return {
        "promptTokens": turn.prompt_tokens,
        "completionTokens": turn.completion_tokens,
        "totalTokens": turn.prompt_tokens + turn.completion_tokens,
    }


def _oci_cohere(turn: Turn, stream: bool) -> Reply:
    calls = [{"name": c.name, "parameters": c.arguments} for c in turn.tool_calls]
    final: dict[str, Any] = {
        "apiFormat": "COHERE",
        "finishReason": "COMPLETE",
        "usage": _oci_usage(turn),
    }
    if not stream:
        chat = {**final, "text": turn.text or ""}
        if calls:
            chat["toolCalls"] = calls
        return _json(
            {"modelId": "cohere.command-r-plus", "modelVersion": "1.0", "chatResponse": chat}
        )
    events: list[dict[str, Any]] = [
        {"apiFormat": "COHERE", "text": piece} for piece in turn.pieces()
    ]
    if calls:
        events.append({"apiFormat": "COHERE", "toolCalls": calls})
    events.append({**final, "text": ""})
    return _sse([f"data: {_dumps(event)}\n\n" for event in events])


def _oci_generic(turn: Turn, stream: bool) -> Reply:
    calls: list[dict[str, Any]] = [
        {"type": "FUNCTION", "id": c.id, "name": c.name, "arguments": _dumps(c.arguments)}
        for c in turn.tool_calls
    ]
    finish = "tool_calls" if calls else "stop"
    if not stream:
        message: dict[str, Any] = {
            "role": "ASSISTANT",
            "content": [{"type": "TEXT", "text": turn.text or ""}],
        }
        if calls:
            message["toolCalls"] = calls
        chat = {
            "apiFormat": "GENERIC",
            "timeCreated": "2025-11-24T10:00:00.000Z",
            "choices": [{"index": 0, "message": message, "finishReason": finish}],
            "usage": _oci_usage(turn),
        }
        return _json({"modelId": "model", "modelVersion": "1.0", "chatResponse": chat})
    events: list[dict[str, Any]] = [
        {"index": 0, "message": {"role": "ASSISTANT", "content": [{"type": "TEXT", "text": piece}]}}
        for piece in turn.pieces()
    ]
    events += [{"message": {"toolCalls": [call]}} for call in calls]
    events += [{"finishReason": finish}, {"usage": _oci_usage(turn)}]
    return _sse([f"data: {_dumps(event)}\n\n" for event in events])


def _oci(turn: Turn, request: dict[str, Any]) -> Reply:
    if turn.error:
        status, text = turn.error
        return _json({"code": str(status), "message": text}, status)
    chat = request.get("chatRequest") or {}
    stream = bool(chat.get("isStream"))
    if chat.get("apiFormat") == "COHERE":
        return _oci_cohere(turn, stream)
    return _oci_generic(turn, stream)


# Routing -------------------------------------------------------------------------------------

Renderer = Callable[[Turn, dict[str, Any]], Reply]

FORMATS: dict[str, Renderer] = {
    "/v1/chat/completions": _openai,
    "/openai/v1/chat/completions": _openai,
    "/v1/messages": _anthropic,
    "/api/chat": _ollama,
    "/20231130/actions/chat": _oci,
}


def render(path: str, turn: Turn, request: dict[str, Any]) -> Reply:
    """The reply to a request on `path`, in that path's provider format."""
    renderer = FORMATS.get(path.split("?", 1)[0])
    if renderer is None:
        return _json({"error": f"the fake server has no route {path}"}, 404)
    return renderer(turn, request)
