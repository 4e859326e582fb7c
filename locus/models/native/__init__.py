"""Providers with their own wire API: OpenAI (and compatible servers)."""

__all__: list[str] = []
