"""Conversation types: roles, messages, tool calls and tool results."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Message", "Role", "ToolCall", "ToolResult"]


class Role(StrEnum):
    """Who speaks a message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


def _new_call_id() -> str:
    return f"call_{uuid4().hex[:12]}"


class ToolCall(BaseModel):
    """A tool call requested by the model, with its arguments already decoded."""

    model_config = ConfigDict(defer_build=True)

    id: str = Field(default_factory=_new_call_id)
    name: str
    arguments: dict[str, Any] = Field(default={})

    @model_validator(mode="before")
    @classmethod
    def _accept_args_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "args" in data and "arguments" not in data:
            data = {**data, "arguments": data["args"]}
            del data["args"]
        return data

    def to_openai_format(self) -> dict[str, Any]:
        """Return the call as an OpenAI `tool_calls` entry (arguments JSON-encoded)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


class ToolResult(BaseModel):
    """The outcome of running a tool, to be sent back to the model."""

    model_config = ConfigDict(defer_build=True)

    tool_call_id: str
    name: str
    content: str
    error: str | None = None
    duration_ms: float | None = None

    @property
    def success(self) -> bool:
        """Whether the tool ran without error."""
        return self.error is None


class Message(BaseModel):
    """One message of a conversation.

    `metadata` holds out-of-band hints (`cache_control`, a provider's `thinking` blocks,
    a `refusal`); a provider sends only the keys it knows how to handle.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default=[])
    tool_call_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] = Field(default={})

    @classmethod
    def system(cls, content: str) -> Message:
        """Create a system message."""
        return cls(role=Role.SYSTEM, content=content)

    @classmethod
    def user(cls, content: str) -> Message:
        """Create a user message."""
        return cls(role=Role.USER, content=content)

    @classmethod
    def assistant(
        cls, content: str | None = None, tool_calls: list[ToolCall] | None = None
    ) -> Message:
        """Create an assistant message, optionally with tool calls."""
        return cls(role=Role.ASSISTANT, content=content, tool_calls=tool_calls or [])

    @classmethod
    def tool(cls, result: ToolResult) -> Message:
        """Create the message that carries a tool result back to the model."""
        return cls(
            role=Role.TOOL,
            content=result.content,
            tool_call_id=result.tool_call_id,
            name=result.name,
        )

    def to_openai_format(self) -> dict[str, Any]:
        """Return the message as an OpenAI Chat Completions message dict."""
        out: dict[str, Any] = {"role": self.role.value}
        if self.content is not None:
            out["content"] = self.content
        if self.tool_calls:
            out["tool_calls"] = [call.to_openai_format() for call in self.tool_calls]
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        if self.name:
            out["name"] = self.name
        return out
