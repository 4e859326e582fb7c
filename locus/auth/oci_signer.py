"""OCI HTTP request signing (signature version 1) as an `httpx.Auth`.

The signing string is `date (request-target) host`, plus `content-length content-type
x-content-sha256` for POST, PUT and PATCH, each line `name: value`, joined by LF; it is signed
with RSA PKCS#1 v1.5 over SHA-256 and sent as `Authorization: Signature ...`. Extra headers
(`opc-compartment-id`) are signed after those when present. On a 401 the signer refreshes
refreshable credentials once, signs again and re-sends once.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import hashlib
import time
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.hashes import HashAlgorithm

    from locus.auth.oci_credentials import OCICredentials

__all__ = ["BODY_METHODS", "OCISigner", "sign_request", "signing_string"]

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _target(request: httpx.Request) -> str:
    return f"{request.method.lower()} {request.url.raw_path.decode('ascii')}"


def signing_string(request: httpx.Request, names: Sequence[str]) -> str:
    """The exact text that is signed for `request` over the header `names`."""
    return _join(
        {
            name: _target(request) if name == "(request-target)" else request.headers[name]
            for name in names
        }
    )


def _join(signed: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in signed.items())


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    # Formatted once a second, not once a request.
    return email.utils.formatdate(second, usegmt=True)


@functools.cache
def _pkcs1v15_sha256() -> tuple[AsymmetricPadding, HashAlgorithm]:
    # Imported when the first request is signed: an OpenAI-only program never loads cryptography.
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    return PKCS1v15(), SHA256()


def sign_request(
    request: httpx.Request,
    key_id: str,
    key: RSAPrivateKey,
    *,
    host: bool = True,
    extra: Sequence[str] = (),
) -> None:
    """Sign `request` in place: set `date`, the body headers and `authorization`.

    Args:
        request: A request whose body has been read.
        key_id: `tenancy/user/fingerprint`, `ST$<token>`, or a federation key id.
        key: The RSA private key matching `key_id`.
        host: Sign `host` (every service call; the federation call does not).
        extra: Further header names to sign when the request has them.
    """
    headers = request.headers
    signed = {"date": _http_date(int(time.time())), "(request-target)": _target(request)}
    if host:
        signed["host"] = headers["host"]
    if request.method in BODY_METHODS:
        body = request.content
        signed["content-length"] = str(len(body))
        signed["content-type"] = headers.get("content-type") or "application/json"
        signed["x-content-sha256"] = base64.b64encode(hashlib.sha256(body).digest()).decode()
    for name in extra:
        value = headers.get(name)
        if value is not None:
            signed[name] = value
    signature = key.sign(_join(signed).encode("ascii"), *_pkcs1v15_sha256())
    headers["date"] = signed["date"]
    if "x-content-sha256" in signed:
        for name in ("content-length", "content-type", "x-content-sha256"):
            headers[name] = signed[name]
    headers["authorization"] = (
        f'Signature algorithm="rsa-sha256",headers="{" ".join(signed)}",keyId="{key_id}",'
        f'signature="{base64.b64encode(signature).decode()}",version="1"'
    )


class OCISigner(httpx.Auth):
    """Signs every request with OCI credentials; refreshes and re-sends once on a 401.

    Args:
        credentials: The credentials to sign with, or a function that makes them, called
            on first use (so keys are read when the first request is signed, not before).
        extra_signed_headers: Header names signed too when present (`opc-compartment-id`).
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: OCICredentials | Callable[[], OCICredentials],
        extra_signed_headers: Sequence[str] = ("opc-compartment-id",),
    ) -> None:
        self._credentials = credentials
        self.extra_signed_headers = tuple(extra_signed_headers)

    @property
    def credentials(self) -> OCICredentials:
        """The credentials, made on first use."""
        if callable(self._credentials):
            self._credentials = self._credentials()
        return self._credentials

    def __repr__(self) -> str:
        kind = "lazy" if callable(self._credentials) else type(self._credentials).__name__
        return f"OCISigner({kind})"

    def _sign(self, request: httpx.Request) -> None:
        sign_request(
            request,
            self.credentials.key_id,
            self.credentials.private_key,
            extra=self.extra_signed_headers,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign once with the credentials as they are (sync clients cannot refresh)."""
        self._sign(request)
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Refresh credentials that are about to expire, sign, and retry once on a 401."""
        await request.aread()
        await self.credentials.ensure_fresh()
        self._sign(request)
        response = yield request
        if response.status_code == 401 and self.credentials.refreshable:
            await self.credentials.refresh()
            self._sign(request)
            yield request
