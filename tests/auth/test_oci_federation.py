"""Instance principals end to end against fake metadata and federation servers on 127.0.0.1."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization

from locus.auth.oci_federation import InstancePrincipalCredentials
from locus.core.errors import ModelConnectionError
from locus.testing import FakeServer, Reply
from tests.helpers import refused_port
from tests.oci_helpers import TENANCY, pem, token, verify


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def bare(data: bytes) -> str:
    return "".join(line for line in data.decode().splitlines() if not line.startswith("-----"))


def script_metadata(server, leaf, leaf_key, intermediate):
    server.enqueue(
        Reply(body=cert_pem(leaf)),
        Reply(body=pem(leaf_key, pkcs8=False)),
        Reply(body=cert_pem(intermediate)),
        Reply.json(
            json.dumps(
                {
                    "realmKey": "oc1",
                    "realmDomainComponent": "oraclecloud.com",
                    "regionKey": "ORD",
                    "regionIdentifier": "us-chicago-1",
                }
            ).encode()
        ),
    )


async def test_instance_principal_flow_end_to_end(monkeypatch):
    from tests.oci_helpers import instance_identity

    leaf, leaf_key, intermediate = instance_identity()
    jwt = token(expires_in=1200)
    async with FakeServer() as metadata, FakeServer() as auth:
        monkeypatch.setenv("OCI_METADATA_BASE_URL", f"{metadata.url}/opc/v2")
        script_metadata(metadata, leaf, leaf_key, intermediate)
        auth.enqueue(Reply.json(json.dumps({"token": jwt}).encode()))
        credentials = InstancePrincipalCredentials(federation_endpoint=auth.url)
        await credentials.ensure_fresh()  # no token yet: fetch one

    assert [r.path for r in metadata.requests] == [
        "/opc/v2/identity/cert.pem",
        "/opc/v2/identity/key.pem",
        "/opc/v2/identity/intermediate.pem",
        "/opc/v2/instance/regionInfo",
    ]
    assert all(r.headers["authorization"] == "Bearer Oracle" for r in metadata.requests)
    (federation,) = auth.requests
    assert federation.path == "/v1/x509"
    body = json.loads(federation.body)
    assert body["certificate"] == bare(cert_pem(leaf))
    assert body["intermediateCertificates"] == [bare(cert_pem(intermediate))]
    fingerprint = leaf.fingerprint(hashes.SHA1()).hex(":").upper()
    signature = verify(
        "POST", "/v1/x509", federation.headers, federation.body, leaf_key.public_key()
    )
    assert signature.key_id == f"{TENANCY}/fed-x509/{fingerprint}"
    assert signature.headers == [
        "date",
        "(request-target)",
        "content-length",
        "content-type",
        "x-content-sha256",
    ]
    # The token signs with the session key whose public half went to the federation call.
    session_public = serialization.load_der_public_key(base64.b64decode(body["publicKey"]))
    assert credentials.key_id == f"ST${jwt}"
    assert credentials.private_key.public_key().public_numbers() == session_public.public_numbers()
    assert (credentials.tenancy, credentials.region) == (TENANCY, "us-chicago-1")
    assert not credentials.expired(60)


async def test_federation_goes_through_the_environments_proxy_and_metadata_does_not(
    monkeypatch,
):
    from tests.oci_helpers import instance_identity

    leaf, leaf_key, intermediate = instance_identity()
    async with FakeServer() as metadata, FakeServer() as proxy:
        monkeypatch.setenv("OCI_METADATA_BASE_URL", f"{metadata.url}/opc/v2")
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # as OCI asks of proxied instances
        script_metadata(metadata, leaf, leaf_key, intermediate)
        proxy.enqueue(Reply.json(json.dumps({"token": token(expires_in=1200)}).encode()))
        credentials = InstancePrincipalCredentials(federation_endpoint="http://auth.oci.test")
        await credentials.ensure_fresh()
    assert len(metadata.requests) == 4
    assert [r.path for r in proxy.requests] == ["http://auth.oci.test/v1/x509"]


async def test_token_near_expiry_is_refreshed_with_a_new_session_key(monkeypatch):
    from tests.oci_helpers import instance_identity

    leaf, leaf_key, intermediate = instance_identity()
    async with FakeServer() as metadata, FakeServer() as auth:
        monkeypatch.setenv("OCI_METADATA_BASE_URL", metadata.url)
        for jwt in (token(expires_in=30), token(expires_in=3600)):
            script_metadata(metadata, leaf, leaf_key, intermediate)
            auth.enqueue(Reply.json(json.dumps({"token": jwt}).encode()))
        credentials = InstancePrincipalCredentials(federation_endpoint=auth.url)
        await credentials.refresh()
        first_key = credentials.private_key
        await credentials.ensure_fresh()  # 30 s left: inside the margin
        assert len(auth.requests) == 2
        assert credentials.private_key is not first_key
        await credentials.ensure_fresh()
        assert len(auth.requests) == 2


async def test_no_metadata_service_is_a_clear_connection_error():
    port = refused_port()
    credentials = InstancePrincipalCredentials(
        metadata_url=f"http://127.0.0.1:{port}/opc/v2", timeout=1
    )
    with pytest.raises(
        ModelConnectionError,
        match=r"instance metadata /identity/cert\.pem failed .* is this an OCI compute instance",
    ):
        await credentials.refresh()
    assert isinstance(credentials.last_refresh_error, ModelConnectionError)
