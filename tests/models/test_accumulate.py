from __future__ import annotations

import json

import pytest

from locus.core.errors import ModelResponseError
from locus.core.messages import ToolCall
from locus.models.accumulate import StreamAccumulator, decode_tool_arguments


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        ("", {}),
        ("  ", {}),
        ('{"a": 1}', {"a": 1}),
        (json.dumps('{"a": 1}'), {"a": 1}),
        ({"a": 1}, {"a": 1}),
    ],
)
def test_decode_tool_arguments(raw, expected):
    assert decode_tool_arguments(raw, provider="p", name="f") == expected


@pytest.mark.parametrize("raw", ["{", "[1]", "3", json.dumps("not json")])
def test_decode_tool_arguments_rejects_non_objects(raw):
    with pytest.raises(ModelResponseError, match="p: the arguments of tool call 'f'"):
        decode_tool_arguments(raw, provider="p", name="f")


def test_fragments_by_index_id_set_once_arguments_appended():
    acc = StreamAccumulator("p")
    acc.tool_fragment(0, "a", "f", "")
    acc.tool_fragment(1, "b", "g", '{"y":')
    acc.tool_fragment(0, "a", "f", '{"x":1}')
    acc.tool_fragment(1, None, None, "2}")
    acc.tool_call(ToolCall(id="whole", name="h", arguments={"z": 3}))
    acc.stop_reason = "tool_calls"
    acc.usage = {"prompt_tokens": 1, "completion_tokens": 2}
    calls_chunk, final = acc.finish()
    assert [(c.id, c.name, c.arguments) for c in calls_chunk.tool_calls] == [
        ("whole", "h", {"z": 3}),
        ("a", "f", {"x": 1}),
        ("b", "g", {"y": 2}),
    ]
    assert (final.done, final.stop_reason, final.usage) == (
        True,
        "tool_calls",
        {"prompt_tokens": 1, "completion_tokens": 2},
    )
    assert final.message.tool_calls == calls_chunk.tool_calls
    assert final.message.content is None


def test_final_message_gathers_text_thinking_emitted_calls_and_metadata():
    acc = StreamAccumulator("p")
    acc.thinking("hm")
    acc.text("Hel")
    emitted = acc.emit_tool_calls([ToolCall(id="t1", name="f")])
    acc.text("lo")
    acc.metadata["refusal"] = "no"
    (final,) = acc.finish()
    assert emitted.tool_calls[0].id == "t1"
    assert final.message.content == "Hello"
    assert final.message.tool_calls == [ToolCall(id="t1", name="f")]
    assert final.message.metadata == {"refusal": "no", "thinking": "hm"}


def test_nameless_call_is_an_error_and_no_calls_means_one_final_chunk():
    acc = StreamAccumulator("p")
    assert [c.done for c in acc.finish()] == [True]
    acc.tool_fragment(0, "a", None, "{}")
    with pytest.raises(ModelResponseError, match="no name"):
        acc.finish()
