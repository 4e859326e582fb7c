"""`OCIOpenAIModel`: OCI Generative AI's OpenAI-compatible endpoint, signed without the SDK."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import PrivateAttr

from locus.auth.oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE
from locus.auth.oci_signer import OCISigner
from locus.core.errors import ModelAuthError, ModelError
from locus.models import quirks
from locus.models.native.openai import QUIRKS_TABLE, OpenAIConfig, OpenAIModel
from locus.models.providers.oci._auth import (
    DEFAULT_OCI_GENAI_REGION,
    OCIAuthType,
    generative_ai_host,
    make_credentials,
    resolve_compartment,
)
from locus.models.quirks import OpenAIChatQuirks as Quirks

__all__ = [
    "DEFAULT_OCI_GENAI_REGION",
    "OCIOpenAIConfig",
    "OCIOpenAIModel",
    "build_oci_openai_base_url",
]

# Gemini rejects `$ref`/`$defs` in schemas (Pitfall 3); the OpenAI families keep their rules.
OCI_QUIRKS_TABLE: tuple[tuple[str, Quirks], ...] = (
    ("google.*", Quirks(inline_refs=True)),
    *QUIRKS_TABLE,
)
_PRINCIPALS = (OCIAuthType.INSTANCE_PRINCIPAL, OCIAuthType.RESOURCE_PRINCIPAL)


def build_oci_openai_base_url(region: str) -> str:
    """`https://inference.generativeai.{region}.oci.oraclecloud.com/openai/v1`."""
    return f"{generative_ai_host(region)}/openai/v1"


class OCIOpenAIConfig(OpenAIConfig):
    """Settings of an `OCIOpenAIModel`."""

    model: str
    profile: str | None = None
    auth_type: str | None = None
    compartment_id: str | None = None
    region: str = DEFAULT_OCI_GENAI_REGION
    config_file: str = DEFAULT_CONFIG_FILE


class OCIOpenAIModel(OpenAIModel):
    """A model on OCI Generative AI's `/openai/v1` endpoint, with OCI request signing.

    Exactly one of `profile` (a user API key or session token from the config file) and
    `auth_type` (`instance_principal` or `resource_principal`, which then needs a
    compartment). Ours: `api_key=` takes an OCI Generative AI API key, sent as a bearer
    token, with no signing. The compartment goes in the signed `opc-compartment-id` header:
    the argument, else `OCI_COMPARTMENT`/`OCI_COMPARTMENT_ID`, else the profile's tenancy.

    Example:
        >>> model = OCIOpenAIModel("openai.gpt-4.1", profile="DEFAULT")
        >>> reply = await model.complete([Message.user("Hello!")])
    """

    provider = "oci"
    config: OCIOpenAIConfig
    _signer: OCISigner | None = PrivateAttr(default=None)
    _compartment: str | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str,
        *,
        profile: str | None = None,
        auth_type: str | None = None,
        compartment_id: str | None = None,
        region: str = DEFAULT_OCI_GENAI_REGION,
        config_file: str = DEFAULT_CONFIG_FILE,
        base_url: str | None = None,
        max_tokens: int = 4096,
        temperature: float = 0.7,
        **kwargs: Any,
    ) -> None:
        """Create the model.

        Raises:
            ValueError: Both or neither of `profile` and `auth_type`; an `auth_type` that is
                not a principal; a principal without a compartment.
        """
        if kwargs.get("api_key") is None:
            _validate(profile, auth_type, compartment_id)
        super().__init__(
            model=model,
            base_url=base_url or build_oci_openai_base_url(region),
            max_tokens=max_tokens,
            temperature=temperature,
            profile=profile,
            auth_type=auth_type,
            compartment_id=compartment_id,
            region=region,
            config_file=config_file,
            **kwargs,
        )

    @classmethod
    def _config_class(cls) -> type[OpenAIConfig]:
        return OCIOpenAIConfig

    def _resolve_quirks(self) -> Quirks:
        return quirks.resolve_quirks(self.config.model, OCI_QUIRKS_TABLE, Quirks())

    def _base_url(self) -> str:
        return self.config.base_url or build_oci_openai_base_url(self.config.region)

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.config.api_key is not None:
            headers["authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        if self._compartment is None:
            self._compartment = resolve_compartment(
                self.config.compartment_id,
                profile=self.config.profile,
                config_file=self.config.config_file,
            )
        if self._compartment:
            headers["opc-compartment-id"] = self._compartment
        return headers

    def _auth(self) -> httpx.Auth | None:
        if self.config.api_key is not None:
            return None
        if self._signer is None:
            auth_type = OCIAuthType(self.config.auth_type or OCIAuthType.API_KEY)
            self._signer = OCISigner(
                lambda: make_credentials(
                    auth_type,
                    profile=self.config.profile or DEFAULT_PROFILE,
                    config_file=self.config.config_file,
                )
            )
        return self._signer

    def _hint(self, error: ModelError) -> str | None:
        if not isinstance(error, ModelAuthError):
            return None
        if self.config.auth_type in _PRINCIPALS:
            return "check the dynamic group and the policy that lets it use generative-ai-family"
        return (
            f"check profile [{self.config.profile or DEFAULT_PROFILE}] in "
            f"{self.config.config_file} (a session token may need `oci session refresh`) and "
            "the policy that lets the user use generative-ai-family"
        )


def _validate(profile: str | None, auth_type: str | None, compartment_id: str | None) -> None:
    if (profile is None) == (auth_type is None):
        raise ValueError(
            "OCIOpenAIModel needs exactly one of profile= (a profile of the OCI config file) "
            "and auth_type= ('instance_principal' or 'resource_principal')"
        )
    if auth_type is None:
        return
    if auth_type not in _PRINCIPALS:
        raise ValueError(
            f"auth_type must be 'instance_principal' or 'resource_principal', not {auth_type!r}"
            " (use profile= for API keys and session tokens)"
        )
    if not resolve_compartment(compartment_id, profile=None, config_file=DEFAULT_CONFIG_FILE):
        raise ValueError(
            f"auth_type={auth_type!r} needs compartment_id= (or OCI_COMPARTMENT_ID) to know "
            "which compartment to use"
        )
