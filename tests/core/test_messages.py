from __future__ import annotations

import pydantic
import pytest

from locus.core.messages import Message, Role, ToolCall, ToolResult


def test_tool_call_defaults_and_args_alias():
    call = ToolCall(name="f", args={"x": 1})
    assert call.arguments == {"x": 1}
    assert call.id.startswith("call_")
    assert len(call.id) == len("call_") + 12
    assert ToolCall(name="f").id != ToolCall(name="f").id
    assert call.to_openai_format() == {
        "id": call.id,
        "type": "function",
        "function": {"name": "f", "arguments": '{"x": 1}'},
    }


def test_tool_result_success():
    assert ToolResult(tool_call_id="c", name="f", content="ok").success
    assert not ToolResult(tool_call_id="c", name="f", content="", error="boom").success


def test_message_constructors_and_openai_format():
    result = ToolResult(tool_call_id="c1", name="f", content="42")
    assert Message.system("s").role is Role.SYSTEM
    assert Message.user("u").to_openai_format() == {"role": "user", "content": "u"}
    assert Message.assistant().tool_calls == []
    assert Message.tool(result).to_openai_format() == {
        "role": "tool",
        "content": "42",
        "tool_call_id": "c1",
        "name": "f",
    }
    call = ToolCall(id="c1", name="f", arguments={})
    assert Message.assistant(tool_calls=[call]).to_openai_format() == {
        "role": "assistant",
        "tool_calls": [call.to_openai_format()],
    }


def test_message_is_frozen():
    message = Message.user("u")
    with pytest.raises(pydantic.ValidationError):
        message.content = "changed"  # type: ignore[misc]
    assert Role("tool") is Role.TOOL
