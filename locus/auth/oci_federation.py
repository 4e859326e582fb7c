"""Instance principals: the instance metadata service, then the federation call for a token.

1. From the metadata service (`Authorization: Bearer Oracle`): the leaf certificate, its key,
   the intermediate certificate, and the region and realm domain.
2. The tenancy is the `opc-tenant:` (or `opc-identity:`) value in the leaf's subject.
3. A fresh RSA-2048 session key pair; `POST https://auth.{region}.{domain}/v1/x509` with the
   bare base64 of the certificates and of the session public key, signed with the leaf key
   (`keyId = tenancy/fed-x509/<SHA-1 of the leaf, upper-case hex pairs>`, no `host`).
4. The returned token signs every service call, as `ST$<token>` with the session key.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

from locus.auth.oci_config import load_private_key
from locus.auth.oci_credentials import TokenCredentials
from locus.auth.oci_signer import sign_request
from locus.core.errors import ConfigError, ModelError
from locus.transport.pool import SHARED_TRANSPORT, proxy_mounts
from locus.transport.retry import RetryPolicy, RetryState, send_with_retry

__all__ = ["METADATA_URL", "InstancePrincipalCredentials"]

METADATA_URL = "http://169.254.169.254/opc/v2"
_METADATA_HEADERS = {"authorization": "Bearer Oracle"}


def _bare(pem: str) -> str:
    """A PEM body without its BEGIN/END lines and newlines, as the federation call wants it."""
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def _tenancy_of(certificate: Any) -> str:
    for attribute in certificate.subject:
        value = str(attribute.value)
        for prefix in ("opc-tenant:", "opc-identity:"):
            if value.startswith(prefix):
                return value[len(prefix) :]
    raise ConfigError("oci: the instance certificate names no tenancy (opc-tenant)")


class InstancePrincipalCredentials(TokenCredentials):
    """The credentials of the compute instance this runs on.

    Args:
        metadata_url: The metadata service; else `OCI_METADATA_BASE_URL`, else
            `http://169.254.169.254/opc/v2`.
        federation_endpoint: The Auth service; else `https://auth.{region}.{realm domain}`.
        timeout: Seconds to connect and between reads, for both services.
    """

    def __init__(
        self,
        *,
        metadata_url: str | None = None,
        federation_endpoint: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__()
        base = metadata_url or os.environ.get("OCI_METADATA_BASE_URL") or METADATA_URL
        self.metadata_url = base.rstrip("/")
        self.federation_endpoint = federation_endpoint
        self.timeout = timeout
        self.tenancy: str | None = None
        self.region: str | None = None

    async def _call(self, client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        retry = RetryState(RetryPolicy(max_retries=2), "oci")
        response = await send_with_retry(client, request, retry)
        await response.aread()
        await response.aclose()
        return response

    async def _metadata(self, client: httpx.AsyncClient, path: str) -> str:
        request = client.build_request("GET", self.metadata_url + path, headers=_METADATA_HEADERS)
        try:
            return (await self._call(client, request)).text
        except ModelError as error:
            error.args = (
                f"oci: instance metadata {path} failed ({error.message}); is this an OCI "
                "compute instance?",
            )
            raise

    async def _refresh(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.hashes import SHA1
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        timeout = httpx.Timeout(self.timeout, read=60.0)
        async with httpx.AsyncClient(
            transport=SHARED_TRANSPORT, mounts=proxy_mounts(), timeout=timeout
        ) as client:
            cert_pem = await self._metadata(client, "/identity/cert.pem")
            key_pem = await self._metadata(client, "/identity/key.pem")
            intermediate_pem = await self._metadata(client, "/identity/intermediate.pem")
            info = json.loads(await self._metadata(client, "/instance/regionInfo"))
            leaf = x509.load_pem_x509_certificate(cert_pem.encode())
            tenancy = _tenancy_of(leaf)
            if self.tenancy is not None and tenancy != self.tenancy:
                raise ConfigError("oci: the instance's tenancy changed between token refreshes")
            leaf_key = load_private_key(key_pem.encode(), source="the instance metadata key.pem")
            session_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public_pem = session_key.public_key().public_bytes(
                Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
            )
            body = {
                "certificate": _bare(cert_pem),
                "publicKey": _bare(public_pem.decode()),
                "intermediateCertificates": [_bare(intermediate_pem)],
            }
            region = str(info["regionIdentifier"])
            endpoint = (
                self.federation_endpoint or f"https://auth.{region}.{info['realmDomainComponent']}"
            )
            request = client.build_request(
                "POST",
                endpoint.rstrip("/") + "/v1/x509",
                content=json.dumps(body).encode(),
                headers={"content-type": "application/json"},
            )
            fingerprint = leaf.fingerprint(SHA1()).hex(":").upper()  # SHA-1: OCI's key id format
            sign_request(request, f"{tenancy}/fed-x509/{fingerprint}", leaf_key, host=False)
            response = await self._call(client, request)
        try:
            token = str(response.json()["token"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError("oci: the federation service returned no token") from None
        self._set(token, session_key)
        self.tenancy, self.region = tenancy, region
