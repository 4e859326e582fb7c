"""`ModelResponse`, the result of `complete()`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from locus.core.messages import Message, ToolCall

__all__ = ["ModelResponse"]


class ModelResponse(BaseModel):
    """A complete answer: the assistant message, token usage and why generation stopped.

    `usage` holds `prompt_tokens` and `completion_tokens`, plus provider extras such as
    `cached_tokens`, `reasoning_tokens`, `cache_creation_input_tokens` and
    `cache_read_input_tokens` when the provider reports them.
    """

    model_config = ConfigDict(defer_build=True)

    message: Message
    usage: dict[str, int] = Field(default={})
    stop_reason: str | None = None
    provider_state: dict[str, Any] | None = None

    @property
    def content(self) -> str | None:
        """The text of the answer."""
        return self.message.content

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model requested."""
        return self.message.tool_calls

    @property
    def prompt_tokens(self) -> int:
        """Input tokens counted by the provider (0 when not reported)."""
        return self.usage.get("prompt_tokens", 0)

    @property
    def completion_tokens(self) -> int:
        """Output tokens counted by the provider (0 when not reported)."""
        return self.usage.get("completion_tokens", 0)

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.prompt_tokens + self.completion_tokens
