"""Structured output: JSON-schema response formats and parsing answers into pydantic models."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from locus.core.errors import LocusError

__all__ = [
    "StructuredOutput",
    "StructuredOutputError",
    "build_response_format",
    "extract_json",
    "inline_schema_refs",
    "parse_structured",
]

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n?(.*?)```", re.DOTALL)
_SCHEMA_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_DECODER = json.JSONDecoder()


class StructuredOutputError(LocusError):
    """An answer could not be parsed into the requested schema.

    Args:
        message: What failed.
        raw_content: The answer as received.
        errors: Pydantic's validation errors, when validation was what failed.
    """

    kind = "structured_output"

    def __init__(self, message: str, raw_content: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.raw_content = raw_content
        self.errors = errors or []


class StructuredOutput(BaseModel, Generic[T]):
    """The outcome of `parse_structured`: the parsed model, or why it failed."""

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    raw: str
    parsed: T | None = None
    error: str | None = None
    validation_errors: list[dict[str, Any]] = []

    @property
    def success(self) -> bool:
        """Whether the answer parsed and validated."""
        return self.parsed is not None and self.error is None

    def unwrap(self) -> T:
        """Return the parsed model.

        Raises:
            StructuredOutputError: When parsing failed.
        """
        if self.parsed is None:
            raise StructuredOutputError(
                self.error or "no parsed output", self.raw, self.validation_errors
            )
        return self.parsed


def extract_json(content: str) -> str:
    """Return the JSON document inside `content`.

    Looks, in order, for a fenced code block, then for the first complete JSON object or array
    in the text (strings and escapes respected). Returns the stripped text unchanged when it
    holds no JSON, so the caller's `json.loads` reports the real problem.
    """
    text = content.strip()
    for match in _FENCE.finditer(text):
        inner = match.group(1).strip()
        if inner[:1] in ("{", "["):
            return inner
    for start, char in enumerate(text):
        if char in "{[":
            try:
                _, end = _DECODER.raw_decode(text, start)
            except json.JSONDecodeError:
                continue
            return text[start:end]
    return text


def parse_structured(content: str, schema: type[T], strict: bool = True) -> StructuredOutput[T]:
    """Parse a model's answer into `schema`.

    Args:
        content: The answer text (plain JSON, JSON in a code fence, or JSON inside prose).
        schema: The pydantic model to validate against.
        strict: Raise on failure instead of returning a failed `StructuredOutput`.

    Returns:
        The parse outcome; `.parsed` holds the model instance on success.

    Raises:
        StructuredOutputError: When `strict` and the answer is not valid JSON for `schema`.
    """
    try:
        parsed = schema.model_validate(json.loads(extract_json(content)))
    except json.JSONDecodeError as exc:
        message = f"answer is not valid JSON: {exc}"
        if strict:
            raise StructuredOutputError(message, content) from exc
        return StructuredOutput(raw=content, error=message)
    except ValidationError as exc:
        errors = [dict(error) for error in exc.errors()]
        message = f"answer does not match {schema.__name__}: {exc}"
        if strict:
            raise StructuredOutputError(message, content, errors) from exc
        return StructuredOutput(raw=content, error=message, validation_errors=errors)
    return StructuredOutput(raw=content, parsed=parsed)


def inline_schema_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace local `$ref`s with the definitions they point to and drop `$defs`.

    Gemini rejects `$ref` and `$defs` in schemas. A recursive reference cannot be inlined
    for ever: at the point where it recurs it becomes its definition's bare type (with its
    description), so no reference is left dangling.

    Args:
        schema: A JSON schema that may use `#/$defs/...` or `#/definitions/...` references.

    Returns:
        A new schema; the input is not modified.
    """
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}

    def resolve(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [resolve(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            name = ref.rsplit("/", 1)[-1]
            if name in defs:
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                if name in seen:
                    target = {k: defs[name][k] for k in ("type", "description") if k in defs[name]}
                else:
                    target = resolve(copy.deepcopy(defs[name]), seen | {name})
                return {**target, **resolve(siblings, seen)}
        return {
            key: resolve(value, seen)
            for key, value in node.items()
            if key not in ("$defs", "definitions")
        }

    result: dict[str, Any] = resolve(schema, frozenset())
    return result


def _walk_objects(node: Any, visit: Any) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk_objects(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk_objects(item, visit)


def _make_strict(node: dict[str, Any]) -> None:
    # OpenAI strict mode: every object closed, every property listed as required, and no
    # keyword beside a `$ref` ("$ref cannot have keywords {'description'}").
    if "$ref" in node:
        for key in [k for k in node if k != "$ref"]:
            del node[key]
        return
    if node.get("type") == "object":
        node.setdefault("additionalProperties", False)
        if "properties" in node:
            node["required"] = list(node["properties"])


def build_response_format(schema: type[BaseModel], *, strict: bool = True) -> dict[str, Any]:
    """Build an OpenAI `response_format` asking for JSON that matches `schema`.

    Args:
        schema: The pydantic model describing the answer.
        strict: Ask for strict (constrained) decoding; the schema is then closed and every
            property made required, as strict mode demands.

    Returns:
        `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`.
    """
    json_schema = schema.model_json_schema()
    json_schema.pop("title", None)
    if strict:
        _walk_objects(json_schema, _make_strict)
    name = _SCHEMA_NAME_UNSAFE.sub("_", schema.__name__)[:64]
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": json_schema, "strict": strict},
    }
