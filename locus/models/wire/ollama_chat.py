"""Ollama native chat codec: `POST {base}/api/chat`, NDJSON when streaming.

Pure functions over dicts. `stream` is always sent (Ollama streams by default); sampling
settings travel in `options`; tool-call arguments are JSON objects both ways; a tool call
without an id gets a fresh unique one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.core.events import ModelChunkEvent
from locus.core.messages import Message, Role, ToolCall
from locus.core.response import ModelResponse
from locus.models.accumulate import StreamAccumulator, decode_tool_arguments

__all__ = ["build_request", "parse_event", "parse_response", "parse_usage"]

# Options the codec places itself; any other option is copied into the body as given.
_PLACED = frozenset(
    {
        "model",
        "max_tokens",
        "temperature",
        "top_p",
        "stop",
        "seed",
        "options",
        "response_format",
        "format",
        "tool_choice",
        "parallel_tool_calls",
    }
)


def _encode_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role.value, "content": message.content or ""}
    if message.role is Role.ASSISTANT and message.tool_calls:
        out["tool_calls"] = [
            {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls
        ]
    if message.role is Role.TOOL:
        if message.name:
            out["tool_name"] = message.name
        if message.tool_call_id:
            out["tool_call_id"] = message.tool_call_id
    return out


def _encode_format(options: Mapping[str, Any]) -> Any:
    """Ollama's `format`: `"json"` or a JSON schema, from `format` or `response_format`."""
    if options.get("format") is not None:
        return options["format"]
    response_format = options.get("response_format")
    if response_format in (None, "text"):
        return None
    if response_format == "json":
        return "json"
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind == "json_schema":
            return (response_format.get("json_schema") or {}).get("schema") or "json"
        if kind == "json_object":
            return "json"
        if kind == "text":
            return None
        return dict(response_format)  # a bare JSON schema
    return response_format


def _encode_options(options: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        key: options[wire]
        for key, wire in (
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("num_predict", "max_tokens"),
            ("seed", "seed"),
        )
        if options.get(wire) is not None
    }
    if options.get("stop"):
        out["stop"] = list(options["stop"])
    out.update(options.get("options") or {})
    return out


def build_request(
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
    *,
    stream: bool,
    quirks: None = None,
) -> dict[str, Any]:
    """Build the JSON body of an `/api/chat` request.

    Args:
        messages: The conversation.
        tools: Tools in OpenAI format (Ollama takes them as they are).
        options: `model`; `max_tokens` (sent as `num_predict`), `temperature`, `top_p`,
            `stop`, `seed` and a dict of further `options` (`num_ctx`, ...), all inside
            `options`; `response_format` or `format`; and any other body field to pass
            through (`keep_alive`, `think`, `truncate`, ...).
        stream: Ask for an NDJSON stream; sent either way.
        quirks: Unused: Ollama has no model-family rules; here for the common codec shape.

    Returns:
        The request body.
    """
    body: dict[str, Any] = {
        "model": options["model"],
        "messages": [_encode_message(message) for message in messages],
        "stream": stream,
    }
    if tools:
        body["tools"] = [dict(tool) for tool in tools]
    fmt = _encode_format(options)
    if fmt is not None:
        body["format"] = fmt
    body["options"] = _encode_options(options)
    for key, value in options.items():
        if key not in _PLACED and value is not None:
            body[key] = value
    return body


def parse_usage(body: Mapping[str, Any]) -> dict[str, int]:
    """Usage from the final object: `prompt_eval_count` in, `eval_count` out."""
    out: dict[str, int] = {}
    for wire, name in (("prompt_eval_count", "prompt_tokens"), ("eval_count", "completion_tokens")):
        if isinstance(body.get(wire), int):
            out[name] = body[wire]
    return out


def _tool_call(entry: Any, provider: str) -> ToolCall:
    function = entry.get("function") if isinstance(entry, Mapping) else None
    if not isinstance(function, Mapping) or not function.get("name"):
        raise ModelResponseError(
            f"{provider}: a tool call has no function name", provider=provider, body=str(entry)
        )
    name = str(function["name"])
    fields: dict[str, Any] = {
        "name": name,
        "arguments": decode_tool_arguments(function.get("arguments"), provider=provider, name=name),
    }
    if entry.get("id"):
        fields["id"] = entry["id"]
    return ToolCall(**fields)


def _reported_error(body: Mapping[str, Any], provider: str, streaming: bool) -> Exception:
    cls = ModelStreamError if streaming else ModelResponseError
    where = "the stream" if streaming else "the response"
    return cls(
        f"{provider}: {where} reported an error: {body['error']}",
        provider=provider,
        body=str(body["error"]),
    )


def parse_response(body: Any, *, provider: str = "ollama") -> ModelResponse:
    """Parse an `/api/chat` answer (`stream: false`) into a `ModelResponse`.

    Raises:
        ModelResponseError: The body is not a chat answer, or carries an error.
    """
    if not isinstance(body, Mapping):
        raise ModelResponseError(
            f"{provider}: the response is not a JSON object", provider=provider
        )
    if body.get("error"):
        raise _reported_error(body, provider, streaming=False)
    message = body.get("message")
    if not isinstance(message, Mapping):
        raise ModelResponseError(
            f"{provider}: the response has no message", provider=provider, body=str(body)
        )
    metadata = {"thinking": message["thinking"]} if message.get("thinking") else {}
    return ModelResponse(
        message=Message(
            role=Role.ASSISTANT,
            content=message.get("content") or None,
            tool_calls=[_tool_call(entry, provider) for entry in message.get("tool_calls") or ()],
            metadata=metadata,
        ),
        usage=parse_usage(body),
        stop_reason=body.get("done_reason"),
    )


def parse_event(obj: Any, acc: StreamAccumulator) -> list[ModelChunkEvent]:
    """Fold one NDJSON line of an `/api/chat` stream into chunks.

    Tool calls arrive whole and are emitted at once; the `done` line ends the answer.

    Raises:
        ModelStreamError: The line is an `{"error": ...}` line.
        ModelResponseError: The line is not a JSON object, or a tool call has no name.
    """
    if type(obj) is not dict:
        raise ModelResponseError(
            f"{acc.provider}: a stream line is not a JSON object", provider=acc.provider
        )
    if obj.get("error"):
        raise _reported_error(obj, acc.provider, streaming=True)
    out: list[ModelChunkEvent] = []
    message = obj.get("message") or {}
    if message.get("thinking"):
        out.append(acc.thinking(message["thinking"]))
    # `response` is /api/generate's text field; the same server sends it on that route.
    content = message.get("content") or obj.get("response")
    if content:
        out.append(acc.text(content))
    if message.get("tool_calls"):
        calls = [_tool_call(entry, acc.provider) for entry in message["tool_calls"]]
        out.append(acc.emit_tool_calls(calls))
    if obj.get("done"):
        acc.stop_reason = obj.get("done_reason")
        acc.usage = parse_usage(obj)
        acc.finished = acc.closed = True
    return out
