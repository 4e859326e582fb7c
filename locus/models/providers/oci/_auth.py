"""What OCI's two model classes share: auth types, credentials, compartment, regions."""

from __future__ import annotations

import os
from enum import StrEnum

from locus.auth.oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE, read_profile
from locus.auth.oci_credentials import (
    OCICredentials,
    ResourcePrincipalCredentials,
    credentials_for_profile,
)
from locus.core.errors import ConfigError

__all__ = [
    "DEFAULT_OCI_GENAI_REGION",
    "OCIAuthType",
    "generative_ai_host",
    "make_credentials",
    "resolve_compartment",
]

DEFAULT_OCI_GENAI_REGION = "us-chicago-1"


class OCIAuthType(StrEnum):
    """How OCI requests are authenticated."""

    API_KEY = "api_key"
    SECURITY_TOKEN = "security_token"
    SESSION_TOKEN = "session_token"  # the same as security_token
    INSTANCE_PRINCIPAL = "instance_principal"
    RESOURCE_PRINCIPAL = "resource_principal"

    @classmethod
    def from_env(cls) -> OCIAuthType:
        """`OCI_AUTH_TYPE`, else `api_key`."""
        return cls(os.environ.get("OCI_AUTH_TYPE") or cls.API_KEY)


def make_credentials(
    auth_type: OCIAuthType,
    *,
    profile: str = DEFAULT_PROFILE,
    config_file: str = DEFAULT_CONFIG_FILE,
) -> OCICredentials:
    """Build the credentials of `auth_type` (reading the profile for the file-based ones).

    Raises:
        ConfigError: The config, profile, key or environment is missing something.
    """
    if auth_type is OCIAuthType.INSTANCE_PRINCIPAL:
        from locus.auth.oci_federation import InstancePrincipalCredentials

        return InstancePrincipalCredentials()
    if auth_type is OCIAuthType.RESOURCE_PRINCIPAL:
        return ResourcePrincipalCredentials()
    settings = read_profile(config_file, profile)
    if auth_type in (OCIAuthType.SECURITY_TOKEN, OCIAuthType.SESSION_TOKEN):
        settings.require("security_token_file")
    return credentials_for_profile(settings)


def resolve_compartment(
    compartment_id: str | None, *, profile: str | None, config_file: str
) -> str | None:
    """The compartment: the argument, `OCI_COMPARTMENT`/`OCI_COMPARTMENT_ID`, the tenancy."""
    found = (
        compartment_id or os.environ.get("OCI_COMPARTMENT") or os.environ.get("OCI_COMPARTMENT_ID")
    )
    if found or profile is None:
        return found
    return read_profile(config_file, profile).tenancy


def generative_ai_host(region: str) -> str:
    """`https://inference.generativeai.{region}.oci.oraclecloud.com`."""
    if not region or "/" in region:
        raise ConfigError(f"oci: {region!r} is not a region identifier (e.g. us-chicago-1)")
    return f"https://inference.generativeai.{region}.oci.oraclecloud.com"
