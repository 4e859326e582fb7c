"""`OpenAIModel`: OpenAI Chat Completions, and any server that speaks it."""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr

from locus.core.errors import ConfigError, ModelAuthError, ModelError
from locus.models import quirks
from locus.models._construct import construct
from locus.models.base import ChatModel, ClientConfig, CodecModule
from locus.models.quirks import OpenAIChatQuirks as Quirks

__all__ = ["DEFAULT_OPENAI_BASE_URL", "OpenAIConfig", "OpenAIModel", "resolve_quirks"]

_KEY_HINT = "set OPENAI_API_KEY or pass api_key="

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"

_REASONING = Quirks(
    token_param="max_completion_tokens", sampling=False, stop=False, system_role="developer"
)

# Model-family rules, first match wins; names are matched without a vendor namespace
# (`openai.gpt-5` is `gpt-5`). The reasoning families reject `max_tokens`, sampling
# parameters and `stop`, and take developer messages in place of system messages (see
# fixtures/openai/reasoning_o3_mini.request.json); search-preview models reject temperature
# and top_p.
QUIRKS_TABLE: tuple[tuple[str, Quirks], ...] = (
    ("o1*", _REASONING),
    ("o3*", _REASONING),
    ("o4*", _REASONING),
    ("gpt-5*", _REASONING),
    ("*-search-preview*", Quirks(sampling=False)),
)


def resolve_quirks(model: str, table: tuple[tuple[str, Quirks], ...] = QUIRKS_TABLE) -> Quirks:
    """Return the rules of `model`'s family from `table` (defaults when none matches)."""
    return quirks.resolve_quirks(model, table, Quirks())


class OpenAIConfig(ClientConfig):
    """Settings of an `OpenAIModel`.

    `include_usage` (ours) asks for the usage chunk when streaming; turn it off for
    compatible servers that reject `stream_options`.
    """

    model: str = "gpt-4o"
    max_tokens: int = 4096
    temperature: float = 0.7
    top_p: float = 0.9
    api_key: SecretStr | None = None
    base_url: str | None = None
    organization: str | None = None
    project: str | None = None
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int | None = None
    stop_sequences: list[str] = Field(default=[])
    include_usage: bool = True


class OpenAIModel(ChatModel):
    """A model served through the OpenAI Chat Completions API.

    The key comes from `api_key` or `OPENAI_API_KEY`, the base URL (which includes `/v1`)
    from `base_url`, `OPENAI_BASE_URL`, or OpenAI's own. Any compatible server works through
    `base_url`; it needs no key.

    Example:
        >>> model = OpenAIModel(model="gpt-4o")
        >>> reply = await model.complete([Message.user("Hello!")])
    """

    provider = "openai"
    codec = CodecModule("locus.models.wire.openai_chat")
    config: OpenAIConfig
    _quirks: Quirks = PrivateAttr(default_factory=Quirks)

    def __init__(
        self,
        model: str = "gpt-4o",
        api_key: str | None = None,
        base_url: str | None = None,
        max_tokens: int = 4096,
        temperature: float = 0.7,
        **kwargs: Any,
    ) -> None:
        """Create the model; see `OpenAIConfig` for the other settings."""
        config = construct(
            self._config_class(),
            model=model,
            api_key=api_key,
            base_url=base_url,
            max_tokens=max_tokens,
            temperature=temperature,
            **kwargs,
        )
        super().__init__(config=config)
        self._quirks = self._resolve_quirks()

    @classmethod
    def _config_class(cls) -> type[OpenAIConfig]:
        return OpenAIConfig

    def _resolve_quirks(self) -> Quirks:
        return resolve_quirks(self.config.model)

    @property
    def supports_structured_output(self) -> bool:
        """OpenAI enforces `response_format={"type": "json_schema", ...}` natively."""
        return True

    def _base_url(self) -> str:
        return self.config.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL

    def _path(self, *, stream: bool) -> str:
        return "/chat/completions"

    def _api_key(self) -> str | None:
        if self.config.api_key is not None:
            return self.config.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")

    def _headers(self) -> dict[str, str]:
        key = self._api_key()
        if key is None and self._base_url().startswith(DEFAULT_OPENAI_BASE_URL):
            raise ConfigError(f"openai: no API key: {_KEY_HINT}")
        headers = {} if key is None else {"authorization": f"Bearer {key}"}
        organization = self.config.organization or os.environ.get("OPENAI_ORG_ID")
        project = self.config.project or os.environ.get("OPENAI_PROJECT_ID")
        if organization:
            headers["openai-organization"] = organization
        if project:
            headers["openai-project"] = project
        return headers

    def _hint(self, error: ModelError) -> str | None:
        return _KEY_HINT if isinstance(error, ModelAuthError) else None

    def _defaults(self) -> dict[str, Any]:
        config = self.config
        return {
            **super()._defaults(),
            "frequency_penalty": config.frequency_penalty,
            "presence_penalty": config.presence_penalty,
            "seed": config.seed,
            "include_usage": config.include_usage,
        }
