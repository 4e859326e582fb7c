"""Streaming events yielded by `stream()`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from locus.core.messages import Message, ToolCall

__all__ = ["ModelChunkEvent", "delta_event"]


def _now() -> datetime:
    return datetime.now(UTC)


class ModelChunkEvent(BaseModel):
    """One piece of a streamed answer.

    A chunk carries a text delta (`content`), a reasoning delta (`thinking`) or complete tool
    calls. The last chunk has `done=True` and carries `stop_reason`, `usage` and (ours) the
    whole assistant `message` as `complete()` would return it, provider metadata such as
    thinking signatures included, ready to be appended to the conversation.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    event_type: Literal["model_chunk"] = "model_chunk"
    timestamp: datetime = Field(default_factory=_now)
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    done: bool = False
    thinking: str | None = None
    usage: dict[str, int] | None = None
    stop_reason: str | None = None
    message: Message | None = None


_EMPTY: dict[str, Any] = {
    "event_type": "model_chunk",
    "content": None,
    "tool_calls": None,
    "done": False,
    "thinking": None,
    "usage": None,
    "stop_reason": None,
    "message": None,
}


# The instance slots every pydantic model has, set directly by `delta_event`.
_new = object.__new__
_set_dict = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def delta_event(
    field: Literal["content", "thinking"], text: str, timestamp: datetime | None = None
) -> ModelChunkEvent:
    """A text or reasoning delta chunk, built without validation.

    Streams make one per token, and the fields are known to be well typed (`text` is a
    `str`, checked by the caller), so the validator is skipped and the instance's slots are
    filled as `model_construct` would fill them; the result is an ordinary `ModelChunkEvent`.
    `timestamp` defaults to now.
    """
    event = _new(ModelChunkEvent)
    state = _EMPTY.copy()
    state["timestamp"] = timestamp or datetime.now(UTC)
    state[field] = text
    _set_dict(event, "__dict__", state)
    _set_fields_set(event, {field})
    _set_extra(event, None)
    _set_private(event, None)
    return event
