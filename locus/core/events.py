"""Streaming events yielded by `stream()`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from locus.core.messages import Message, ToolCall

__all__ = ["ModelChunkEvent"]


def _now() -> datetime:
    return datetime.now(UTC)


class ModelChunkEvent(BaseModel):
    """One piece of a streamed answer.

    A chunk carries a text delta (`content`), a reasoning delta (`thinking`) or complete tool
    calls. The last chunk has `done=True` and carries `stop_reason`, `usage` and (ours) the
    whole assistant `message` as `complete()` would return it, provider metadata such as
    thinking signatures included, ready to be appended to the conversation.
    """

    model_config = ConfigDict(frozen=True)

    event_type: Literal["model_chunk"] = "model_chunk"
    timestamp: datetime = Field(default_factory=_now)
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    done: bool = False
    thinking: str | None = None
    usage: dict[str, int] | None = None
    stop_reason: str | None = None
    message: Message | None = None
