"""OCI credentials behind one small interface: a key id, a private key, and a refresh.

- `APIKeyCredentials`: a user's API key, `keyId = tenancy/user/fingerprint`.
- `SessionTokenCredentials`: `oci session authenticate`; the token file is re-read on
  refresh, so an external `oci session refresh` is picked up.
- `InstancePrincipalCredentials`: the instance metadata service and the federation call.
- `ResourcePrincipalCredentials`: version 2.2 environment variables (Functions, ...).

Token credentials refresh before each request once their token is within 60 s of expiry, and
on a 401 (through the signer). A failed refresh is logged and kept in `last_refresh_error`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
import weakref
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locus.auth.oci_config import OCIProfile, load_private_key, read_key_file
from locus.core.errors import ConfigError

if TYPE_CHECKING:
    import asyncio

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = [
    "EXPIRY_MARGIN",
    "APIKeyCredentials",
    "OCICredentials",
    "ResourcePrincipalCredentials",
    "SessionTokenCredentials",
    "TokenCredentials",
    "credentials_for_profile",
    "token_claims",
]

logger = logging.getLogger("locus.auth")

EXPIRY_MARGIN = 60.0  # seconds before `exp` at which a token counts as expired


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without checking its signature (the server checks it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise ConfigError("oci: the security token is not a JWT") from None
    if not isinstance(claims, dict):
        raise ConfigError("oci: the security token is not a JWT")
    return claims


class OCICredentials(ABC):
    """What the signer needs: a key id and a private key, refreshed when they expire."""

    refreshable: bool = False

    def __init__(self) -> None:
        self.last_refresh_error: BaseException | None = None
        self._generation = 0
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @property
    @abstractmethod
    def key_id(self) -> str:
        """The `keyId` of the signature."""

    @property
    @abstractmethod
    def private_key(self) -> RSAPrivateKey:
        """The key requests are signed with."""

    def expires_at(self) -> float | None:
        """When the credentials stop working (epoch seconds), if they expire."""
        return None

    def expired(self, margin: float = 0.0) -> bool:
        """Whether the credentials expire within `margin` seconds."""
        expiry = self.expires_at()
        return expiry is not None and time.time() > expiry - margin

    async def ensure_fresh(self) -> None:
        """Refresh before signing when the token is within the expiry margin.

        A failed refresh is raised only when the current token has really expired; while it
        still works, the failure is logged and kept in `last_refresh_error`.
        """
        if not self.refreshable or not self.expired(EXPIRY_MARGIN):
            return
        try:
            await self.refresh()
        except Exception:
            if self.expired():
                raise

    async def refresh(self) -> None:
        """Fetch new credentials now; concurrent callers share one refresh."""
        import asyncio  # loaded by whoever runs the loop; not by importing locus

        generation = self._generation
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            if self._generation != generation:
                return
            try:
                await self._refresh()
            except Exception as exc:
                self.last_refresh_error = exc
                logger.warning("oci: refreshing %s failed: %s", type(self).__name__, exc)
                raise
            self.last_refresh_error = None
            self._generation += 1

    async def _refresh(self) -> None:
        """Fetch new credentials (token credentials override this)."""
        raise ConfigError(f"oci: {type(self).__name__} cannot be refreshed")


class APIKeyCredentials(OCICredentials):
    """A user principal's API key: `keyId = tenancy/user/fingerprint`."""

    def __init__(self, tenancy: str, user: str, fingerprint: str, key: RSAPrivateKey) -> None:
        super().__init__()
        self._key_id = f"{tenancy}/{user}/{fingerprint}"
        self._key = key

    @property
    def key_id(self) -> str:
        """`tenancy/user/fingerprint`."""
        return self._key_id

    @property
    def private_key(self) -> RSAPrivateKey:
        """The user's API signing key."""
        return self._key


class TokenCredentials(OCICredentials):
    """Credentials signed as `ST$<token>` with a key that goes with the token."""

    refreshable = True

    def __init__(self) -> None:
        super().__init__()
        self._token = ""
        self._key: RSAPrivateKey | None = None
        self._expiry: float | None = None

    def _set(self, token: str, key: RSAPrivateKey) -> None:
        claims = token_claims(token)
        self._token, self._key = token, key
        self._expiry = float(claims["exp"]) if isinstance(claims.get("exp"), int | float) else None

    @property
    def key_id(self) -> str:
        """`ST$<token>`."""
        return f"ST${self._token}"

    @property
    def private_key(self) -> RSAPrivateKey:
        """The key that goes with the token."""
        if self._key is None:
            raise ConfigError(f"oci: {type(self).__name__} has no token yet")
        return self._key

    def expires_at(self) -> float | None:
        """The token's `exp`."""
        return self._expiry if self._token else 0.0

    @property
    def claims(self) -> dict[str, Any]:
        """The current token's claims."""
        return token_claims(self._token) if self._token else {}


class SessionTokenCredentials(TokenCredentials):
    """A session token from `oci session authenticate`, re-read from its file on refresh."""

    def __init__(self, token_file: Path, key: RSAPrivateKey, *, profile: str = "DEFAULT") -> None:
        super().__init__()
        self._file = token_file
        self._profile = profile
        self._set(self._read(), key)

    def _read(self) -> str:
        try:
            return self._file.read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(
                f"oci: security_token_file {self._file} of profile [{self._profile}] cannot be read"
            ) from None

    async def _refresh(self) -> None:
        assert self._key is not None
        self._set(self._read(), self._key)
        if self.expired():
            raise ConfigError(
                f"oci: the session token of profile [{self._profile}] has expired; run "
                f"`oci session refresh --profile {self._profile}` (or authenticate again)"
            )


def _env_value(name: str, *, required: bool = True) -> str | None:
    """An environment value that is either the value itself or an absolute path to it."""
    value = os.environ.get(name)
    if not value:
        if required:
            raise ConfigError(f"oci: resource principal: {name} is not set")
        return None
    if value.startswith("/"):
        try:
            return Path(value).read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(
                f"oci: resource principal: the file named by {name} cannot be read"
            ) from None
    return value


class ResourcePrincipalCredentials(TokenCredentials):
    """Resource principal, version 2.2: token, key and passphrase from the environment.

    Each value is inline or an absolute path to a file; files are re-read on refresh, since
    the platform rotates them.
    """

    def __init__(self) -> None:
        super().__init__()
        version = os.environ.get("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
        if version != "2.2":
            raise ConfigError(
                f"oci: resource principal version {version!r} is not supported (only 2.2)"
            )
        self._load()

    def _load(self) -> None:
        token = _env_value("OCI_RESOURCE_PRINCIPAL_RPST")
        pem = _env_value("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM")
        passphrase = _env_value("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE", required=False)
        assert token is not None
        assert pem is not None
        key = load_private_key(
            pem.encode(), passphrase, source="OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"
        )
        self._set(token, key)

    @property
    def region(self) -> str | None:
        """`OCI_RESOURCE_PRINCIPAL_REGION`."""
        return os.environ.get("OCI_RESOURCE_PRINCIPAL_REGION")

    @property
    def tenancy(self) -> str | None:
        """The token's `res_tenant` claim."""
        value = self.claims.get("res_tenant")
        return str(value) if value else None

    @property
    def compartment(self) -> str | None:
        """The token's `res_compartment` claim."""
        value = self.claims.get("res_compartment")
        return str(value) if value else None

    async def _refresh(self) -> None:
        self._load()


def credentials_for_profile(profile: OCIProfile) -> OCICredentials:
    """API-key or session-token credentials, as the profile says.

    Raises:
        ConfigError: A field the credentials need is missing, or the key cannot be loaded.
    """
    profile.require("key_file")
    assert profile.key_file is not None
    key = read_key_file(profile.key_file, profile.pass_phrase, profile=profile.name)
    if profile.security_token_file is not None:
        return SessionTokenCredentials(profile.security_token_file, key, profile=profile.name)
    profile.require("tenancy", "user", "fingerprint")
    return APIKeyCredentials(str(profile.tenancy), str(profile.user), str(profile.fingerprint), key)
