"""Providers with their own wire API: OpenAI (and compatible servers), Anthropic."""

__all__: list[str] = []
