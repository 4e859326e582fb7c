"""OpenAI Chat Completions codec: `POST {base}/chat/completions`.

Pure functions over dicts, shared by OpenAI, OCI's `/openai/v1` endpoint and any compatible
server (vLLM, llama.cpp, LM Studio, Ollama's `/v1`). The model-family rules arrive as a
resolved `Quirks`; nothing here branches on a model name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.core.events import ModelChunkEvent
from locus.core.messages import Message, Role, ToolCall
from locus.core.response import ModelResponse
from locus.models.accumulate import StreamAccumulator, decode_tool_arguments
from locus.models.quirks import OpenAIChatQuirks as Quirks
from locus.models.wire._events import event_json
from locus.transport.decode import ServerSentEvent, loads

__all__ = ["Quirks", "build_request", "parse_event", "parse_response", "parse_usage"]

# Options the codec places itself; any other option is copied into the body as given.
_PLACED = frozenset(
    {
        "model",
        "max_tokens",
        "temperature",
        "top_p",
        "stop",
        "frequency_penalty",
        "presence_penalty",
        "response_format",
        "include_usage",
    }
)


def _encode_message(message: Message, quirks: Quirks) -> dict[str, Any]:
    role = quirks.system_role if message.role is Role.SYSTEM else message.role.value
    out: dict[str, Any] = {"role": role}
    if message.role is Role.TOOL:
        out["tool_call_id"] = message.tool_call_id or ""
        out["content"] = message.content or ""
        return out
    if message.role is Role.ASSISTANT and message.tool_calls:
        # A tool-only assistant turn carries no content key, as OpenAI's own clients send it.
        if message.content:
            out["content"] = message.content
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    else:
        out["content"] = message.content or ""
    if message.name:
        out["name"] = message.name
    return out


def _encode_tools(tools: Sequence[Mapping[str, Any]], quirks: Quirks) -> list[dict[str, Any]]:
    from locus.core.structured import inline_schema_refs  # only Gemini needs it

    encoded = []
    for tool in tools:
        if quirks.inline_refs and isinstance(tool.get("function"), dict):
            function = dict(tool["function"])
            if isinstance(function.get("parameters"), dict):
                function["parameters"] = inline_schema_refs(function["parameters"])
            tool = {**tool, "function": function}
        encoded.append(dict(tool))
    return encoded


def _encode_response_format(response_format: Any, quirks: Quirks) -> Any:
    from locus.core.structured import inline_schema_refs  # only Gemini needs it

    if quirks.inline_refs and isinstance(response_format, dict):
        spec = response_format.get("json_schema")
        if isinstance(spec, dict) and isinstance(spec.get("schema"), dict):
            spec = {**spec, "schema": inline_schema_refs(spec["schema"])}
            return {**response_format, "json_schema": spec}
    return response_format


def _sampling(options: Mapping[str, Any]) -> dict[str, Any]:
    sampling = {
        key: options[key] for key in ("temperature", "top_p") if options.get(key) is not None
    }
    # Penalties only when set: some compatible servers (Grok) reject them even at zero.
    for key in ("frequency_penalty", "presence_penalty"):
        if options.get(key):
            sampling[key] = options[key]
    return sampling


def build_request(
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
    *,
    stream: bool,
    quirks: Quirks = Quirks(),
) -> dict[str, Any]:
    """Build the JSON body of a chat completion request.

    Args:
        messages: The conversation.
        tools: Tools in OpenAI format (`{"type": "function", "function": {...}}`).
        options: `model`, `max_tokens`, `temperature`, `top_p`, `stop`, the penalties,
            `response_format`, `include_usage`, and any other body field to pass through
            (`seed`, `tool_choice`, `parallel_tool_calls`, `reasoning_effort`, ...).
        stream: Ask for an SSE stream.
        quirks: The model family's rules.

    Returns:
        The request body.
    """
    body: dict[str, Any] = {
        "model": options["model"],
        "messages": [_encode_message(message, quirks) for message in messages],
    }
    if options.get("max_tokens") is not None:
        body[quirks.token_param] = options["max_tokens"]
    if quirks.sampling:
        body.update(_sampling(options))
    if quirks.stop and options.get("stop"):
        body["stop"] = list(options["stop"])
    if tools:
        body["tools"] = _encode_tools(tools, quirks)
    if options.get("response_format") is not None:
        body["response_format"] = _encode_response_format(options["response_format"], quirks)
    for key, value in options.items():
        if key not in _PLACED and value is not None:
            body[key] = value
    if stream:
        body["stream"] = True
        if options.get("include_usage", True):
            body["stream_options"] = {"include_usage": True}
    return body


def parse_usage(usage: Any) -> dict[str, int] | None:
    """Map an OpenAI `usage` object to locus usage keys (cached and reasoning counts too)."""
    if not isinstance(usage, dict):
        return None
    out: dict[str, int] = {}
    for key in ("prompt_tokens", "completion_tokens"):
        if isinstance(usage.get(key), int):
            out[key] = usage[key]
    for details, key, name in (
        ("prompt_tokens_details", "cached_tokens", "cached_tokens"),
        ("completion_tokens_details", "reasoning_tokens", "reasoning_tokens"),
    ):
        value = (usage.get(details) or {}).get(key)
        if isinstance(value, int):
            out[name] = value
    return out


def _text(value: Any) -> str | None:
    """Content as a string: compatible servers may send an array of text parts."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part.get("text") or "" for part in value if isinstance(part, dict))
    return str(value)


def _reasoning(message: Mapping[str, Any]) -> str | None:
    # vLLM and DeepSeek send `reasoning_content`; OpenRouter sends `reasoning`.
    value = message.get("reasoning_content") or message.get("reasoning")
    return value if isinstance(value, str) and value else None


def _reported_error(
    error: Any, provider: str, cls: type[ModelResponseError] | type[ModelStreamError]
) -> ModelResponseError | ModelStreamError:
    message, code = None, None
    if isinstance(error, dict):
        message, code = error.get("message"), error.get("code") or error.get("type")
    where = "the stream" if cls is ModelStreamError else "the response"
    return cls(
        f"{provider}: {where} reported an error: {message or error}",
        provider=provider,
        code=None if code is None else str(code),
        body=json.dumps(error),
    )


def parse_response(body: Any, *, provider: str = "openai") -> ModelResponse:
    """Parse a chat completion body into a `ModelResponse`.

    A missing or null message or content is an empty answer (Gemini sends one when it
    filters); a refusal becomes the answer's text, with `metadata["refusal"]` set.

    Raises:
        ModelResponseError: The body is not a chat completion.
    """
    if not isinstance(body, dict):
        raise ModelResponseError(
            f"{provider}: the response is not a JSON object", provider=provider
        )
    if body.get("error"):
        raise _reported_error(body["error"], provider, ModelResponseError)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ModelResponseError(
            f"{provider}: the response has no choices", provider=provider, body=json.dumps(body)
        )
    choice = choices[0]
    message = choice.get("message") or {}
    content = _text(message.get("content"))
    metadata: dict[str, Any] = {}
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        metadata["refusal"] = refusal
        content = content or refusal
    thinking = _reasoning(message)
    if thinking:
        metadata["thinking"] = thinking
    calls = []
    for entry in message.get("tool_calls") or []:
        function = entry.get("function") or {}
        name = function.get("name") or ""
        fields: dict[str, Any] = {
            "name": name,
            "arguments": decode_tool_arguments(
                function.get("arguments"),
                provider=provider,
                name=name,
                stop_reason=choice.get("finish_reason"),
            ),
        }
        if entry.get("id"):
            fields["id"] = entry["id"]
        calls.append(ToolCall(**fields))
    return ModelResponse(
        message=Message(role=Role.ASSISTANT, content=content, tool_calls=calls, metadata=metadata),
        usage=parse_usage(body.get("usage")) or {},
        stop_reason=choice.get("finish_reason"),
    )


def parse_event(event: ServerSentEvent, acc: StreamAccumulator) -> list[ModelChunkEvent]:
    """Fold one SSE event of a chat completion stream into chunks.

    Raises:
        ModelStreamError: The stream reported an error, or ended inside this event.
        ModelResponseError: The event is not a chat completion chunk.
    """
    data = event.data
    if data[:6] == "[DONE]":
        acc.finished = acc.closed = True
        return []
    try:
        chunk = loads(data)
    except json.JSONDecodeError:
        if not data or data.isspace():
            return []  # a keep-alive with empty data
        chunk = event_json(event, acc.provider)  # raises the typed error
    if type(chunk) is not dict:
        raise ModelResponseError(
            f"{acc.provider}: a stream event is not a JSON object",
            provider=acc.provider,
            body=data,
        )
    if chunk.get("error"):
        raise _reported_error(chunk["error"], acc.provider, ModelStreamError)
    if chunk.get("usage") is not None:
        acc.usage = parse_usage(chunk["usage"]) or acc.usage
    choices = chunk.get("choices")
    if not choices:
        return []
    out: list[ModelChunkEvent] = []
    for choice in choices:
        # One answer is asked for; Azure also opens with a `choices: []` filter chunk.
        if type(choice) is dict and choice.get("index", 0) == 0:
            _fold_choice(choice, acc, out)
    return out


def _fold_choice(
    choice: dict[str, Any], acc: StreamAccumulator, out: list[ModelChunkEvent]
) -> None:
    delta = choice.get("delta")
    if delta and len(delta) == 1 and type(delta.get("content")) is str:
        if delta["content"]:  # the common case: one text delta
            out.append(acc.text(delta["content"]))
    elif delta:
        if "reasoning_content" in delta or "reasoning" in delta:
            thinking = _reasoning(delta)
            if thinking:
                out.append(acc.thinking(thinking))
        content = delta.get("content")
        if content:
            out.append(acc.text(content if type(content) is str else _text(content) or ""))
        refusal = delta.get("refusal")
        if refusal and isinstance(refusal, str):
            acc.metadata["refusal"] = acc.metadata.get("refusal", "") + refusal
            out.append(acc.text(refusal))
        if "tool_calls" in delta:
            _fold_tool_calls(delta["tool_calls"], acc)
    finish_reason = choice.get("finish_reason")
    if finish_reason:
        acc.stop_reason = finish_reason
        acc.finished = True


def _fold_tool_calls(fragments: Any, acc: StreamAccumulator) -> None:
    for fragment in fragments or ():
        function = fragment.get("function") or {}
        acc.tool_fragment(
            fragment.get("index"),
            fragment.get("id"),
            function.get("name"),
            function.get("arguments"),
        )
