from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from locus.core.structured import (
    StructuredOutputError,
    build_response_format,
    extract_json,
    inline_schema_refs,
    parse_structured,
)


class Place(BaseModel):
    name: str


class Trip(BaseModel):
    destination: Place = Field(description="where to")
    days: int = 3
    tags: list[str] = []


def test_build_response_format_is_strict_closed_and_fully_required():
    fmt = build_response_format(Trip)
    assert fmt["type"] == "json_schema"
    spec = fmt["json_schema"]
    assert (spec["name"], spec["strict"]) == ("Trip", True)
    schema = spec["schema"]
    assert "title" not in schema
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["destination", "days", "tags"]
    assert schema["properties"]["destination"] == {"$ref": "#/$defs/Place"}
    assert schema["$defs"]["Place"]["additionalProperties"] is False


def test_build_response_format_loose():
    spec = build_response_format(Trip, strict=False)["json_schema"]
    assert spec["strict"] is False
    assert "additionalProperties" not in spec["schema"]
    assert spec["schema"]["required"] == ["destination"]


def test_inline_schema_refs_resolves_nested_and_keeps_recursion():
    schema = Trip.model_json_schema()
    inlined = inline_schema_refs(schema)
    assert "$defs" not in inlined
    assert inlined["properties"]["destination"]["properties"] == {
        "name": {"title": "Name", "type": "string"}
    }
    assert inlined["properties"]["destination"]["description"] == "where to"
    assert "$defs" in schema  # input untouched
    recursive = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    out = inline_schema_refs(recursive)
    assert out == {"type": "object", "properties": {"next": {"type": "object"}}}
    assert "$ref" not in repr(out)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('Here:\n```json\n{"a": "}"}\n```\nDone', '{"a": "}"}'),
        ("```\n[1, 2]\n```", "[1, 2]"),
        ('The answer is {"a": {"b": "x}y"}} as requested.', '{"a": {"b": "x}y"}}'),
        ("no json here", "no json here"),
        ('{broken then {"ok": true}', '{"ok": true}'),
    ],
)
def test_extract_json(content, expected):
    assert extract_json(content) == expected


def test_parse_structured_success_and_failures():
    result = parse_structured('```json\n{"destination": {"name": "Oslo"}}\n```', Trip)
    assert result.success
    assert result.unwrap() == Trip(destination=Place(name="Oslo"))
    with pytest.raises(StructuredOutputError, match="not valid JSON") as info:
        parse_structured("nope", Trip)
    assert info.value.raw_content == "nope"
    failed = parse_structured('{"days": "x"}', Trip, strict=False)
    assert not failed.success
    assert failed.validation_errors
    with pytest.raises(StructuredOutputError, match="does not match Trip"):
        failed.unwrap()
