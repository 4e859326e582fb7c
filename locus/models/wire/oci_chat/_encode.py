"""OCI native chat requests: `ChatDetails` with a COHERE or GENERIC `chatRequest`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from locus.core.errors import ConfigError
from locus.core.messages import Message, Role, ToolCall
from locus.core.structured import inline_schema_refs
from locus.models.quirks import OCIChatQuirks as Quirks

__all__ = ["DEDICATED_PREFIX", "Quirks", "build_request", "serving_mode"]

DEDICATED_PREFIX = "ocid1.generativeaiendpoint."

# JSON-schema types as the Python type names Cohere's `parameterDefinitions` want.
_PYTHON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "List",
    "object": "Dict",
}
_TOOL_CHOICES = {"auto": "AUTO", "none": "NONE", "required": "REQUIRED"}

# Options the codec places itself; any other option goes into `chatRequest` as given.
_PLACED = frozenset(
    {
        "model",
        "compartment_id",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "frequency_penalty",
        "presence_penalty",
        "seed",
        "stop",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "reasoning_effort",
        "include_usage",
    }
)


def serving_mode(model_id: str) -> dict[str, str]:
    """`DEDICATED` for a dedicated endpoint's OCID, else `ON_DEMAND` by model name."""
    if model_id.startswith(DEDICATED_PREFIX):
        return {"servingType": "DEDICATED", "endpointId": model_id}
    return {"servingType": "ON_DEMAND", "modelId": model_id}


def _text(value: str | None) -> list[dict[str, str]]:
    return [{"type": "TEXT", "text": value or ""}]


# GENERIC -------------------------------------------------------------------------------------


def _generic_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role.value.upper(), "content": _text(message.content)}
    if message.role is Role.ASSISTANT and message.tool_calls:
        out["toolCalls"] = [
            {
                "type": "FUNCTION",
                "id": call.id,
                "name": call.name,
                "arguments": json.dumps(call.arguments),
            }
            for call in message.tool_calls
        ]
    if message.role is Role.TOOL:
        out["toolCallId"] = message.tool_call_id or ""
    return out


def _function(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    function = tool.get("function")
    return function if isinstance(function, Mapping) else tool


def _generic_tool(tool: Mapping[str, Any], quirks: Quirks) -> dict[str, Any]:
    function = _function(tool)
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    if quirks.inline_refs:
        parameters = inline_schema_refs(parameters)
    out: dict[str, Any] = {"type": "FUNCTION", "name": function["name"]}
    if function.get("description"):
        out["description"] = function["description"]
    out["parameters"] = parameters
    return out


def _generic_tool_choice(choice: Any) -> dict[str, str] | None:
    if choice is None:
        return None
    if isinstance(choice, str) and choice in _TOOL_CHOICES:
        return {"type": _TOOL_CHOICES[choice]}
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "FUNCTION", "name": choice["function"]["name"]}
    raise ConfigError(f"oci: unsupported tool_choice {choice!r}")


def _response_format(response_format: Any, quirks: Quirks) -> dict[str, Any] | None:
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return {"type": "JSON_OBJECT"}
    if kind == "text":
        return {"type": "TEXT"}
    if kind != "json_schema":
        return None
    spec = response_format.get("json_schema") or {}
    schema = spec.get("schema") or {}
    if quirks.inline_refs or quirks.api_format == "COHERE":
        schema = inline_schema_refs(schema)
    if quirks.api_format == "COHERE":
        return {"type": "JSON_OBJECT", "schema": schema}
    out: dict[str, Any] = {"name": spec.get("name", "response"), "schema": schema}
    if spec.get("description"):
        out["description"] = spec["description"]
    if "strict" in spec:
        out["isStrict"] = bool(spec["strict"])
    return {"type": "JSON_SCHEMA", "jsonSchema": out}


def _generic_body(
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
    quirks: Quirks,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiFormat": "GENERIC",
        "messages": [_generic_message(message) for message in messages],
    }
    if tools:
        body["tools"] = [_generic_tool(tool, quirks) for tool in tools]
    choice = _generic_tool_choice(options.get("tool_choice"))
    if choice is not None:
        body["toolChoice"] = choice
    if options.get("parallel_tool_calls") is not None:
        body["isParallelToolCalls"] = bool(options["parallel_tool_calls"])
    if options.get("stop"):
        body["stop"] = list(options["stop"])
    if options.get("reasoning_effort"):
        body["reasoningEffort"] = str(options["reasoning_effort"]).upper()
    return body


# COHERE --------------------------------------------------------------------------------------


def _cohere_call(call: ToolCall) -> dict[str, Any]:
    return {"name": call.name, "parameters": call.arguments}


def _cohere_results(
    results: Sequence[Message], calls: Mapping[str, ToolCall]
) -> list[dict[str, Any]]:
    out = []
    for result in results:
        call = calls.get(result.tool_call_id or "")
        name = call.name if call else result.name or ""
        arguments = call.arguments if call else {}
        out.append(
            {
                "call": {"name": name, "parameters": arguments},
                "outputs": [{"output": result.content or ""}],
            }
        )
    return out


def _cohere_history(
    messages: Sequence[Message], calls: Mapping[str, ToolCall]
) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = []
    for message in messages:
        if message.role is Role.USER:
            history.append({"role": "USER", "message": message.content or ""})
        elif message.role is Role.ASSISTANT:
            # Cohere rejects an empty CHATBOT message; a tool-only turn carries one space.
            entry: dict[str, Any] = {"role": "CHATBOT", "message": message.content or " "}
            if message.tool_calls:
                entry["toolCalls"] = [_cohere_call(call) for call in message.tool_calls]
            history.append(entry)
        elif message.role is Role.TOOL:
            results = _cohere_results([message], calls)
            if history and history[-1]["role"] == "TOOL":
                history[-1]["toolResults"].extend(results)
            else:
                history.append({"role": "TOOL", "toolResults": results})
    return history


def _cohere_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = _function(tool)
    schema = inline_schema_refs(function.get("parameters") or {})
    required = set(schema.get("required") or ())
    definitions = {}
    for name, spec in (schema.get("properties") or {}).items():
        definition: dict[str, Any] = {"type": _PYTHON_TYPES.get(str(spec.get("type")), "str")}
        if spec.get("description"):
            definition["description"] = spec["description"]
        definition["isRequired"] = name in required
        definitions[name] = definition
    return {
        "name": function["name"],
        "description": function.get("description") or function["name"],
        "parameterDefinitions": definitions,
    }


def _cohere_body(
    messages: Sequence[Message], tools: Sequence[Mapping[str, Any]] | None
) -> dict[str, Any]:
    system = "\n\n".join(m.content for m in messages if m.role is Role.SYSTEM and m.content)
    turns = [m for m in messages if m.role is not Role.SYSTEM]
    calls = {call.id: call for m in turns if m.role is Role.ASSISTANT for call in m.tool_calls}
    tail = len(turns)
    while tail and turns[tail - 1].role is Role.TOOL:
        tail -= 1
    body: dict[str, Any] = {"apiFormat": "COHERE"}
    if tail < len(turns):
        # The conversation ends with tool results: they answer the last CHATBOT turn.
        body["message"] = ""
        body["chatHistory"] = _cohere_history(turns[:tail], calls)
        body["toolResults"] = _cohere_results(turns[tail:], calls)
    else:
        last_user = max((i for i, m in enumerate(turns) if m.role is Role.USER), default=None)
        if last_user is None:
            raise ConfigError("oci: a Cohere chat needs a user message")
        body["message"] = turns[last_user].content or ""
        body["chatHistory"] = _cohere_history(turns[:last_user] + turns[last_user + 1 :], calls)
    if not body["chatHistory"]:
        del body["chatHistory"]
    if system:
        body["preambleOverride"] = system
    if tools:
        body["tools"] = [_cohere_tool(tool) for tool in tools]
    return body


# Both ----------------------------------------------------------------------------------------


def _sampling(options: Mapping[str, Any], quirks: Quirks) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if options.get("max_tokens") is not None:
        out[quirks.token_field] = options["max_tokens"]
    if quirks.sampling:
        for key, wire in (("temperature", "temperature"), ("top_p", "topP")):
            if options.get(key) is not None:
                out[wire] = options[key]
    for key, wire in (
        ("frequency_penalty", "frequencyPenalty"),
        ("presence_penalty", "presencePenalty"),
    ):
        if options.get(key):
            out[wire] = options[key]
    for key, wire in (("top_k", "topK"), ("seed", "seed")):
        if options.get(key) is not None:
            out[wire] = options[key]
    return out


def build_request(
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
    *,
    stream: bool,
    quirks: Quirks = Quirks(),
) -> dict[str, Any]:
    """Build the `ChatDetails` body of `POST /20231130/actions/chat`.

    Args:
        messages: The conversation.
        tools: Tools in OpenAI format.
        options: `model`, `compartment_id`, `max_tokens`, `temperature`, `top_p`, `top_k`,
            `frequency_penalty`, `presence_penalty`, `seed`, `stop`, `tool_choice`,
            `parallel_tool_calls`, `response_format`, `reasoning_effort`, `include_usage`,
            and any other `chatRequest` field to pass through (`isEcho`, `documents`, ...).
        stream: Ask for an SSE stream.
        quirks: The model family's format and rules.

    Returns:
        The request body.
    """
    if quirks.api_format == "COHERE":
        chat = _cohere_body(messages, tools)
        if options.get("stop"):
            chat["stopSequences"] = list(options["stop"])
    else:
        chat = _generic_body(messages, tools, options, quirks)
    chat.update(_sampling(options, quirks))
    response_format = _response_format(options.get("response_format"), quirks)
    if response_format is not None:
        chat["responseFormat"] = response_format
    for key, value in options.items():
        if key not in _PLACED and value is not None:
            chat[key] = value
    chat["isStream"] = stream
    if stream and options.get("include_usage", True):
        chat["streamOptions"] = {"isIncludeUsage": True}
    return {
        "compartmentId": options["compartment_id"],
        "servingMode": serving_mode(options["model"]),
        "chatRequest": chat,
    }
