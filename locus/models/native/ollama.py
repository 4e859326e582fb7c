"""`OllamaModel`: models served by Ollama, through its native `/api/chat`."""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from pydantic import Field, SecretStr

from locus.core.errors import (
    ModelConnectionError,
    ModelError,
    ModelNotFoundError,
    ModelTimeoutError,
)
from locus.models._construct import construct
from locus.models.base import ChatModel, ClientConfig, CodecModule

__all__ = ["DEFAULT_OLLAMA_BASE_URL", "OllamaConfig", "OllamaModel", "parse_ollama_host"]

DEFAULT_OLLAMA_BASE_URL = "http://localhost:11434"
_DEFAULT_PORT = 11434


def parse_ollama_host(value: str) -> str:
    """Turn an `OLLAMA_HOST` value into a base URL.

    Accepts `host`, `host:port`, `:port`, or a URL; a bare host gets Ollama's port 11434, a
    URL without a port its scheme's default.

    Examples:
        `0.0.0.0:8080` → `http://0.0.0.0:8080`; `https://ollama.example` →
        `https://ollama.example:443`; `:11435` → `http://127.0.0.1:11435`.
    """
    scheme, sep, rest = value.strip().partition("://")
    port = _DEFAULT_PORT
    if not sep:
        scheme, rest = "http", value.strip()
    elif scheme in ("http", "https"):
        port = 443 if scheme == "https" else 80
    split = urllib.parse.urlsplit(f"{scheme}://{rest}")
    host = split.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{split.port or port}{split.path.rstrip('/')}"


class OllamaConfig(ClientConfig):
    """Settings of an `OllamaModel`.

    Ours: `options` (further model options, e.g. `{"num_ctx": 8192}`), `keep_alive`,
    `think`, `seed`, and `api_key` (for ollama.com; from `OLLAMA_API_KEY` when not given).
    """

    model: str = "llama3.3"
    base_url: str = DEFAULT_OLLAMA_BASE_URL
    max_tokens: int = 4096
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int | None = None
    options: dict[str, Any] = Field(default={})
    keep_alive: str | int | None = None
    think: bool | str | None = None
    api_key: SecretStr | None = None


class OllamaModel(ChatModel):
    """A model served by Ollama, locally or on ollama.com.

    The base URL is `base_url`, else `OLLAMA_HOST` (`host:port` or a URL), else
    `http://localhost:11434`.

    Example:
        >>> model = OllamaModel("llama3.3:70b", options={"num_ctx": 8192})
        >>> reply = await model.complete([Message.user("Hello!")])
    """

    provider = "ollama"
    framing = "ndjson"
    codec = CodecModule("locus.models.wire.ollama_chat")
    config: OllamaConfig

    def __init__(
        self,
        model: str = "llama3.3",
        base_url: str = DEFAULT_OLLAMA_BASE_URL,
        max_tokens: int = 4096,
        temperature: float = 0.7,
        **kwargs: Any,
    ) -> None:
        """Create the model; see `OllamaConfig` for the other settings."""
        config = construct(
            OllamaConfig,
            model=model,
            base_url=base_url,
            max_tokens=max_tokens,
            temperature=temperature,
            **kwargs,
        )
        super().__init__(config=config)

    @property
    def supports_structured_output(self) -> bool:
        """False, as in the reference; `response_format` still works, sent as `format`."""
        return False

    def _base_url(self) -> str:
        host = os.environ.get("OLLAMA_HOST")
        if host and self.config.base_url == DEFAULT_OLLAMA_BASE_URL:
            return parse_ollama_host(host)
        return self.config.base_url.rstrip("/")

    def _path(self, *, stream: bool) -> str:
        return "/api/chat"

    def _headers(self) -> dict[str, str]:
        key = (
            self.config.api_key.get_secret_value()
            if self.config.api_key is not None
            else os.environ.get("OLLAMA_API_KEY")
        )
        return {"authorization": f"Bearer {key}"} if key else {}

    def _hint(self, error: ModelError) -> str | None:
        if isinstance(error, ModelNotFoundError):
            return f"pull the model first: `ollama pull {self.config.model}`"
        if (
            isinstance(error, ModelConnectionError | ModelTimeoutError)
            and error.status_code is None
        ):
            return f"is Ollama running at {self._base_url()}? (start it with `ollama serve`)"
        return None

    def _defaults(self) -> dict[str, Any]:
        config = self.config
        return {
            **super()._defaults(),
            "seed": config.seed,
            "options": config.options,
            "keep_alive": config.keep_alive,
            "think": config.think,
        }

    def _options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        options = super()._options(kwargs)
        options["options"] = {**self.config.options, **(kwargs.get("options") or {})}
        return options
