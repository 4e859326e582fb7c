"""`AnthropicModel`: Claude through the Anthropic Messages API."""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr

from locus.core.errors import ConfigError, ModelAuthError, ModelError
from locus.models import quirks
from locus.models._construct import construct
from locus.models.base import ChatModel, ClientConfig, CodecModule
from locus.models.quirks import AnthropicMessagesQuirks as Quirks

__all__ = [
    "ANTHROPIC_VERSION",
    "DEFAULT_ANTHROPIC_BASE_URL",
    "QUIRKS_TABLE",
    "AnthropicConfig",
    "AnthropicModel",
]

_KEY_HINT = "set ANTHROPIC_API_KEY or pass api_key="

DEFAULT_ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"

# The newest Opus models reject `temperature`
# (see fixtures/anthropic/no_temperature.request.json).
QUIRKS_TABLE: tuple[tuple[str, Quirks], ...] = (
    ("claude-opus-4-7*", Quirks(temperature=False)),
    ("claude-opus-4-8*", Quirks(temperature=False)),
    ("claude-opus-4-9*", Quirks(temperature=False)),
)


class AnthropicConfig(ClientConfig):
    """Settings of an `AnthropicModel`.

    `top_p` and `top_k` are sent only when set explicitly. Ours: `thinking` (sent as given,
    e.g. `{"type": "enabled", "budget_tokens": 2048}`), `betas` (the `anthropic-beta`
    header) and `anthropic_version`.
    """

    model: str = "claude-sonnet-4-20250514"
    max_tokens: int = 4096
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int | None = None
    api_key: SecretStr | None = None
    base_url: str | None = None
    prompt_cache: bool = False
    thinking: dict[str, Any] | None = None
    betas: list[str] = Field(default=[])
    anthropic_version: str = ANTHROPIC_VERSION


class AnthropicModel(ChatModel):
    """A Claude model served through the Anthropic Messages API.

    The key comes from `api_key` or `ANTHROPIC_API_KEY`; the base URL is the host root
    (`base_url`, `ANTHROPIC_BASE_URL`, or Anthropic's own).

    Example:
        >>> model = AnthropicModel(prompt_cache=True)
        >>> reply = await model.complete([Message.system("..."), Message.user("Hello!")])
    """

    provider = "anthropic"
    codec = CodecModule("locus.models.wire.anthropic_messages")
    config: AnthropicConfig
    _quirks: Quirks = PrivateAttr(default_factory=Quirks)

    def __init__(
        self,
        model: str = "claude-sonnet-4-20250514",
        api_key: str | None = None,
        base_url: str | None = None,
        max_tokens: int = 4096,
        temperature: float = 0.7,
        prompt_cache: bool = False,
        **kwargs: Any,
    ) -> None:
        """Create the model; see `AnthropicConfig` for the other settings."""
        config = construct(
            AnthropicConfig,
            model=model,
            api_key=api_key,
            base_url=base_url,
            max_tokens=max_tokens,
            temperature=temperature,
            prompt_cache=prompt_cache,
            **kwargs,
        )
        super().__init__(config=config)
        self._quirks = quirks.resolve_quirks(model, QUIRKS_TABLE, Quirks())

    @property
    def supports_structured_output(self) -> bool:
        """No native schema enforcement; `response_format` is emulated with a forced tool."""
        return False

    def _base_url(self) -> str:
        base = (
            self.config.base_url
            or os.environ.get("ANTHROPIC_BASE_URL")
            or DEFAULT_ANTHROPIC_BASE_URL
        ).rstrip("/")
        return base.removesuffix("/v1")

    def _path(self, *, stream: bool) -> str:
        return "/v1/messages"

    def _headers(self) -> dict[str, str]:
        key = (
            self.config.api_key.get_secret_value()
            if self.config.api_key is not None
            else os.environ.get("ANTHROPIC_API_KEY")
        )
        if key is None and self._base_url() == DEFAULT_ANTHROPIC_BASE_URL:
            raise ConfigError(f"anthropic: no API key: {_KEY_HINT}")
        headers = {"anthropic-version": self.config.anthropic_version}
        if key is not None:
            headers["x-api-key"] = key
        if self.config.betas:
            headers["anthropic-beta"] = ",".join(self.config.betas)
        return headers

    def _hint(self, error: ModelError) -> str | None:
        return _KEY_HINT if isinstance(error, ModelAuthError) else None

    def _defaults(self) -> dict[str, Any]:
        config = self.config
        return {
            **super()._defaults(),
            "top_p": config.top_p if "top_p" in config.model_fields_set else None,
            "top_k": config.top_k,
            "thinking": config.thinking,
            "prompt_cache": config.prompt_cache,
        }
