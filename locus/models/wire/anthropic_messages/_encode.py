"""Anthropic Messages requests: conversation, system, tools, tool choice, structured output."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from locus.core.errors import ConfigError
from locus.core.messages import Message, Role
from locus.models.quirks import AnthropicMessagesQuirks as Quirks

__all__ = ["EPHEMERAL", "STRUCTURED_TOOL", "Quirks", "build_request"]

STRUCTURED_TOOL = "respond_with_schema"
EPHEMERAL = {"type": "ephemeral"}

# Options the codec places itself; any other option is copied into the body as given.
_PLACED = frozenset(
    {
        "model",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop",
        "thinking",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "prompt_cache",
    }
)
_TOOL_CHOICES = {"auto": "auto", "required": "any", "any": "any", "none": "none"}


def _text_block(text: str | None) -> list[dict[str, Any]]:
    # Empty and whitespace-only text blocks are rejected by the API.
    return [{"type": "text", "text": text}] if text and text.strip() else []


def _blocks(message: Message) -> list[dict[str, Any]]:
    if message.role is Role.TOOL:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id or ""}
        if message.content:
            block["content"] = message.content
        if message.metadata.get("is_error"):
            block["is_error"] = True
        return [block]
    if message.role is Role.USER:
        return _text_block(message.content)
    blocks = [dict(b) for b in message.metadata.get("thinking_blocks", ())]
    blocks += _text_block(message.content)
    blocks += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in message.tool_calls
    ]
    return blocks


def _encode_turns(messages: Sequence[Message]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role is Role.SYSTEM:
            continue
        blocks = _blocks(message)
        if not blocks:
            continue
        if "cache_control" in message.metadata:
            blocks[-1] = {**blocks[-1], "cache_control": message.metadata["cache_control"]}
        role = "assistant" if message.role is Role.ASSISTANT else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)  # same-role neighbours: one turn
        else:
            turns.append({"role": role, "content": blocks})
    if any(turn["role"] == "user" for turn in turns):
        while turns[-1]["role"] == "assistant":
            turns.pop()
    for turn in turns:
        content = turn["content"]
        if len(content) == 1 and content[0]["type"] == "text" and len(content[0]) == 2:
            turn["content"] = content[0]["text"]
    return turns


def _encode_system(messages: Sequence[Message], prompt_cache: bool) -> Any:
    text = "\n\n".join(m.content for m in messages if m.role is Role.SYSTEM and m.content)
    if not text:
        return None
    if prompt_cache:
        return [{"type": "text", "text": text, "cache_control": EPHEMERAL}]
    return text


def _encode_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, Mapping):
        return dict(tool)  # already Anthropic's shape, or a server tool
    out: dict[str, Any] = {"name": function["name"]}
    if function.get("description"):
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
    return out


def _encode_tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    out: dict[str, Any] | None
    if choice is None:
        out = None
    elif isinstance(choice, str) and choice in _TOOL_CHOICES:
        out = {"type": _TOOL_CHOICES[choice]}
    elif isinstance(choice, Mapping) and choice.get("type") == "function":
        out = {"type": "tool", "name": choice["function"]["name"]}
    elif isinstance(choice, Mapping):
        out = dict(choice)
    else:
        raise ConfigError(f"anthropic: unsupported tool_choice {choice!r}")
    if parallel is False and (out is None or out["type"] != "none"):
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out


def _structured_tool(response_format: Any) -> dict[str, Any] | None:
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema") or {}
    description = (
        spec.get("description")
        or f"Return your final answer as a {spec.get('name', 'JSON')} object."
    )
    return {
        "name": STRUCTURED_TOOL,
        "description": description,
        "input_schema": spec.get("schema") or {"type": "object", "properties": {}},
    }


def _tools_and_choice(
    tools: Sequence[Mapping[str, Any]] | None, options: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    encoded = [_encode_tool(tool) for tool in tools or ()]
    choice = _encode_tool_choice(options.get("tool_choice"), options.get("parallel_tool_calls"))
    structured = _structured_tool(options.get("response_format"))
    if structured is not None:
        encoded.append(structured)
        choice = {"type": "tool", "name": STRUCTURED_TOOL}
    if encoded and options.get("prompt_cache"):
        encoded[-1] = {**encoded[-1], "cache_control": EPHEMERAL}
    return encoded, choice


def _sampling(options: Mapping[str, Any], quirks: Quirks) -> dict[str, Any]:
    thinking = options.get("thinking")
    # Extended thinking fixes temperature at 1 and forbids top_k; send them only without it.
    thinking_on = isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")
    out = {}
    if quirks.temperature and not thinking_on and options.get("temperature") is not None:
        out["temperature"] = options["temperature"]
    if options.get("top_p") is not None:
        out["top_p"] = options["top_p"]
    if options.get("top_k") is not None and not thinking_on:
        out["top_k"] = options["top_k"]
    return out


def build_request(
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
    *,
    stream: bool,
    quirks: Quirks = Quirks(),
) -> dict[str, Any]:
    """Build the JSON body of a Messages API request.

    Args:
        messages: The conversation.
        tools: Tools in OpenAI format (converted) or Anthropic's own (sent as given).
        options: `model`, `max_tokens`, `temperature`, `top_p` and `top_k` (sent when not
            None), `stop`, `thinking`, `tool_choice` (OpenAI or Anthropic form),
            `parallel_tool_calls`, `response_format`, `prompt_cache`, and any other body field
            to pass through (`metadata`, `service_tier`, ...).
        stream: Ask for an SSE stream.
        quirks: The model family's rules.

    Returns:
        The request body.
    """
    body: dict[str, Any] = {
        "model": options["model"],
        "max_tokens": options["max_tokens"],
        "messages": _encode_turns(messages),
    }
    system = _encode_system(messages, bool(options.get("prompt_cache")))
    if system is not None:
        body["system"] = system
    body.update(_sampling(options, quirks))
    if options.get("stop"):
        body["stop_sequences"] = list(options["stop"])
    if options.get("thinking") is not None:
        body["thinking"] = options["thinking"]
    encoded, choice = _tools_and_choice(tools, options)
    if encoded:
        body["tools"] = encoded
    if choice is not None:
        body["tool_choice"] = choice
    for key, value in options.items():
        if key not in _PLACED and value is not None:
            body[key] = value
    if stream:
        body["stream"] = True
    return body
