"""Providers with their own wire API: OpenAI (and compatible servers), Anthropic, Ollama."""

__all__: list[str] = []
