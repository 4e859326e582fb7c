"""`~/.oci/config`: profiles with `DEFAULT` inheritance, and private-key loading.

Read with `configparser` without interpolation, as the OCI SDK does (a `%` in a value is
literal). Errors name the file, the profile and the field, never a value.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from locus.core.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_PROFILE",
    "OCIProfile",
    "load_private_key",
    "read_key_file",
    "read_profile",
]

DEFAULT_CONFIG_FILE = "~/.oci/config"
DEFAULT_PROFILE = "DEFAULT"


@dataclass(frozen=True)
class OCIProfile:
    """One profile of an OCI config file, `DEFAULT` values merged in, paths expanded."""

    name: str
    path: Path
    user: str | None = None
    tenancy: str | None = None
    fingerprint: str | None = None
    key_file: Path | None = None
    region: str | None = None
    security_token_file: Path | None = None
    pass_phrase: str | None = field(default=None, repr=False)

    def require(self, *names: str) -> None:
        """Raise `ConfigError` naming the first of `names` the profile lacks."""
        for name in names:
            if not getattr(self, name):
                raise ConfigError(
                    f"oci: profile [{self.name}] in {self.path} has no {name!r}; add it, or "
                    "choose another profile"
                )


def _config_path(config_file: str) -> Path:
    path = Path(config_file).expanduser()
    if not path.exists() and config_file == DEFAULT_CONFIG_FILE:
        # The SDK's fallbacks for the default location only.
        for candidate in (os.environ.get("OCI_CONFIG_FILE"), "~/.oraclebmc/config"):
            if candidate and Path(candidate).expanduser().exists():
                return Path(candidate).expanduser()
    return path


def read_profile(
    config_file: str = DEFAULT_CONFIG_FILE, profile: str = DEFAULT_PROFILE
) -> OCIProfile:
    """Read `profile` from an OCI config file.

    Raises:
        ConfigError: The file is missing or unreadable, or has no such profile.
    """
    path = _config_path(config_file)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"oci: config file {path} not found; create it (`oci setup config`) or pass "
            "config_file="
        ) from None
    except (OSError, configparser.Error) as exc:
        raise ConfigError(f"oci: config file {path} cannot be read: {type(exc).__name__}") from None
    if profile != DEFAULT_PROFILE and not parser.has_section(profile):
        known = ", ".join([DEFAULT_PROFILE, *parser.sections()])
        raise ConfigError(f"oci: profile [{profile}] not found in {path} (profiles: {known})")
    values = parser.defaults() if profile == DEFAULT_PROFILE else parser[profile]
    if not values:
        raise ConfigError(f"oci: profile [{profile}] in {path} is empty")

    def path_of(name: str) -> Path | None:
        value = values.get(name)
        return Path(value).expanduser() if value else None

    return OCIProfile(
        name=profile,
        path=path,
        user=values.get("user"),
        tenancy=values.get("tenancy"),
        fingerprint=values.get("fingerprint"),
        key_file=path_of("key_file"),
        region=values.get("region") or os.environ.get("OCI_REGION"),
        security_token_file=path_of("security_token_file"),
        pass_phrase=values.get("pass_phrase"),
    )


def load_private_key(pem: bytes, passphrase: str | None = None, *, source: str) -> RSAPrivateKey:
    """Load an RSA private key from PEM (PKCS#1 or PKCS#8, encrypted or not).

    A passphrase given for an unencrypted key is ignored, as the OCI SDK does.

    Args:
        pem: The PEM bytes.
        passphrase: The key's passphrase, if it is encrypted.
        source: Where the key came from (a path or a variable name), for error messages.

    Raises:
        ConfigError: The key is not an RSA private key, is encrypted without a passphrase, or
            the passphrase is wrong.
    """
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    password = passphrase.encode() if passphrase else None
    try:
        try:
            key = load_pem_private_key(pem, password=password)
        except TypeError:
            if password is None:
                raise ConfigError(
                    f"oci: the private key {source} is encrypted; set pass_phrase"
                ) from None
            key = load_pem_private_key(pem, password=None)
    except ValueError:
        hint = " (a public key was given)" if b"PUBLIC KEY" in pem else ""
        raise ConfigError(
            f"oci: the private key {source} cannot be loaded{hint}: not a PEM private key, "
            "or a wrong pass_phrase"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(f"oci: the private key {source} is not an RSA key")
    return key


def read_key_file(path: Path, passphrase: str | None, *, profile: str) -> RSAPrivateKey:
    """Load the private key a profile points to.

    Raises:
        ConfigError: The file is missing or the key cannot be loaded.
    """
    try:
        pem = path.read_bytes()
    except OSError:
        raise ConfigError(f"oci: key_file {path} of profile [{profile}] cannot be read") from None
    return load_private_key(pem, passphrase, source=str(path))
