"""Core types shared by every layer: messages, events, responses, errors, structured output."""

__all__: list[str] = []
