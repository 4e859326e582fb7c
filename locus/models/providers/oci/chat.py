"""`OCIModel`: OCI Generative AI's native chat API, written against its REST format.

Cohere R-series models speak the COHERE format, every other model the GENERIC one, and a
dedicated endpoint's OCID is served in DEDICATED mode. Requests are signed by the same
signer and credentials as `OCIOpenAIModel`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import PrivateAttr

from locus.auth.oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE, read_profile
from locus.auth.oci_credentials import ResourcePrincipalCredentials
from locus.auth.oci_signer import OCISigner
from locus.core.errors import ConfigError, ModelAuthError, ModelBadRequestError, ModelError
from locus.core.events import ModelChunkEvent
from locus.core.messages import Message
from locus.core.response import ModelResponse
from locus.models import quirks
from locus.models._construct import construct
from locus.models.accumulate import response_chunks
from locus.models.base import ChatModel, ClientConfig, CodecModule
from locus.models.providers.oci._auth import (
    DEFAULT_OCI_GENAI_REGION,
    OCIAuthType,
    generative_ai_host,
    make_credentials,
    resolve_compartment,
)
from locus.models.quirks import OCIChatQuirks as Quirks
from locus.transport.decode import Decoder, SSEDecoder

__all__ = ["QUIRKS_TABLE", "OCIConfig", "OCIModel"]

logger = logging.getLogger("locus.models")

_REASONING = Quirks(token_field="maxCompletionTokens", sampling=False)

# Model-family rules, first match wins (see fixtures/oci/*.request.json).
QUIRKS_TABLE: tuple[tuple[str, Quirks], ...] = (
    ("cohere.command-r*", Quirks(api_format="COHERE")),
    ("openai.gpt-5*", _REASONING),
    ("openai.o1*", _REASONING),
    ("openai.o3*", _REASONING),
    ("openai.o4*", _REASONING),
    ("google.*", Quirks(inline_refs=True)),
)


class OCIConfig(ClientConfig):
    """Settings of an `OCIModel`.

    Ours: `region` (else the profile's, `OCI_REGION`, or us-chicago-1), `top_k`, the
    penalties, `seed`, `include_usage` (`streamOptions.isIncludeUsage`), `api_format` (force
    `COHERE` or `GENERIC`, e.g. for a dedicated endpoint), `stream_tail_timeout` (seconds to
    wait for the usage event after the answer is complete), and `empty_retries` (re-asks
    after an empty answer, non-streaming only).
    """

    model: str = "cohere.command-r-plus"
    compartment_id: str | None = None
    profile_name: str = DEFAULT_PROFILE
    auth_type: OCIAuthType | None = None
    config_file: str = DEFAULT_CONFIG_FILE
    service_endpoint: str | None = None
    region: str | None = None
    top_k: int | None = None
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int | None = None
    include_usage: bool = True
    api_format: str | None = None
    stream_tail_timeout: float = 5.0
    empty_retries: int = 2

    @property
    def model_id(self) -> str:
        """The model name, or the dedicated endpoint's OCID."""
        return self.model


class OCIModel(ChatModel):
    """A model on OCI Generative AI's native chat API (`/20231130/actions/chat`).

    Example:
        >>> model = OCIModel("cohere.command-r-plus", compartment_id="ocid1.compartment...")
        >>> reply = await model.complete([Message.user("Hello!")])
    """

    provider = "oci"
    codec = CodecModule("locus.models.wire.oci_chat")
    config: OCIConfig
    _quirks: Quirks = PrivateAttr(default_factory=Quirks)
    _signer: OCISigner | None = PrivateAttr(default=None)
    _compartment: str | None = PrivateAttr(default=None)

    def __init__(
        self,
        model_id: str = "cohere.command-r-plus",
        compartment_id: str | None = None,
        profile_name: str = DEFAULT_PROFILE,
        auth_type: str | None = None,
        config_file: str = DEFAULT_CONFIG_FILE,
        service_endpoint: str | None = None,
        max_tokens: int = 4096,
        temperature: float = 0.7,
        **kwargs: Any,
    ) -> None:
        """Create the model; the auth type defaults to `OCI_AUTH_TYPE`, else `api_key`."""
        config = construct(
            OCIConfig,
            model=model_id,
            compartment_id=compartment_id,
            profile_name=profile_name,
            auth_type=OCIAuthType(auth_type) if auth_type else OCIAuthType.from_env(),
            config_file=config_file,
            service_endpoint=service_endpoint,
            max_tokens=max_tokens,
            temperature=temperature,
            **kwargs,
        )
        super().__init__(config=config)
        found = quirks.resolve_quirks(model_id, QUIRKS_TABLE, Quirks())
        if config.api_format:
            found = found._replace(api_format=config.api_format.upper())
        self._quirks = found

    def _uses_profile(self) -> bool:
        return self.config.auth_type not in (
            OCIAuthType.INSTANCE_PRINCIPAL,
            OCIAuthType.RESOURCE_PRINCIPAL,
        )

    def _region(self) -> str:
        if self.config.region:
            return self.config.region
        env = os.environ.get("OCI_REGION") or (
            None if self._uses_profile() else os.environ.get("OCI_RESOURCE_PRINCIPAL_REGION")
        )
        if env:
            return env
        if self._uses_profile():
            profile = read_profile(self.config.config_file, self.config.profile_name)
            if profile.region:
                return profile.region
        return DEFAULT_OCI_GENAI_REGION

    def _base_url(self) -> str:
        return self.config.service_endpoint or generative_ai_host(self._region())

    def _path(self, *, stream: bool) -> str:
        return "/20231130/actions/chat"

    def _headers(self) -> dict[str, str]:
        return {"accept": "application/json, text/event-stream"}

    def _auth(self) -> httpx.Auth | None:
        if self._signer is None:
            self._signer = OCISigner(
                lambda: make_credentials(
                    self.config.auth_type or OCIAuthType.API_KEY,
                    profile=self.config.profile_name,
                    config_file=self.config.config_file,
                )
            )
        return self._signer

    def _compartment_id(self) -> str:
        if self._compartment is None:
            found = resolve_compartment(
                self.config.compartment_id,
                profile=self.config.profile_name if self._uses_profile() else None,
                config_file=self.config.config_file,
            )
            if found is None and self.config.auth_type is OCIAuthType.RESOURCE_PRINCIPAL:
                # Resource principals carry their compartment in the token.
                signer = self._auth()
                assert isinstance(signer, OCISigner)
                credentials = signer.credentials
                if isinstance(credentials, ResourcePrincipalCredentials):
                    found = credentials.compartment
            if not found:
                raise ConfigError(
                    "oci: no compartment: pass compartment_id= or set OCI_COMPARTMENT_ID"
                )
            self._compartment = found
        return self._compartment

    def _hint(self, error: ModelError) -> str | None:
        if not isinstance(error, ModelAuthError):
            return None
        return (
            f"check the {self.config.auth_type} credentials and the policy that lets them use "
            "generative-ai-family in the compartment"
        )

    def _defaults(self) -> dict[str, Any]:
        config = self.config
        return {
            **super()._defaults(),
            "compartment_id": self._compartment_id(),
            "top_k": config.top_k,
            "frequency_penalty": config.frequency_penalty,
            "presence_penalty": config.presence_penalty,
            "seed": config.seed,
            "include_usage": config.include_usage,
        }

    def _decoder(self) -> Decoder:
        # Events are one data line each, sometimes without the blank line between them.
        return SSEDecoder(provider=self.provider, line_events=True)

    def _tail_timeout(self) -> float | None:
        return self.config.stream_tail_timeout

    async def complete(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> ModelResponse:
        """Send the conversation and return the answer, asking again after an empty one."""
        policy = self._retry_state().policy
        for attempt in range(self.config.empty_retries + 1):
            response = await super().complete(messages, tools, **kwargs)
            if response.content or response.tool_calls or attempt == self.config.empty_retries:
                return response
            logger.info("oci: empty answer from %s; asking again", self.config.model)
            await policy.sleep(policy.backoff_base * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    async def stream(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ModelChunkEvent]:
        """Stream the answer; when the endpoint rejects streaming, answer from `complete()`.

        A model that rejects `streamOptions` is streamed again without it. No other error
        (auth, throttling, a broken stream) falls back.
        """
        yielded = False
        try:
            async for chunk in super().stream(messages, tools, **kwargs):
                yielded = True
                yield chunk
                del chunk  # held by no one here while the next read is awaited
            return
        except ModelBadRequestError as error:
            text = error.message.lower()
            if yielded or "stream" not in text:
                raise
            rejects_options = "streamoptions" in text or "includeusage" in text
        if rejects_options and kwargs.get("include_usage", True):
            logger.info("oci: %s rejects streamOptions; streaming without", self.config.model)
            async for chunk in self.stream(messages, tools, **{**kwargs, "include_usage": False}):
                yield chunk
            return
        logger.info("oci: %s does not stream; answering from complete()", self.config.model)
        for chunk in response_chunks(await self.complete(messages, tools, **kwargs)):
            yield chunk
