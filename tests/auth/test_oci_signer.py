from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from locus.auth.oci_credentials import APIKeyCredentials, OCICredentials
from locus.auth.oci_signer import OCISigner, sign_request, signing_string
from tests.oci_helpers import FINGERPRINT, TENANCY, USER, new_key, verify_httpx

KEY_ID = f"{TENANCY}/{USER}/{FINGERPRINT}"
HOST = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com"


@pytest.mark.parametrize(
    ("method", "url", "content", "names"),
    [
        (
            "GET",
            f"{HOST}/20231130/models?compartmentId=ocid1.compartment.oc1..x&limit=5",
            None,
            "date (request-target) host",
        ),
        ("DELETE", f"{HOST}/20231130/x/ocid1.y", None, "date (request-target) host"),
        ("HEAD", f"{HOST}/", None, "date (request-target) host"),
        (
            "POST",
            f"{HOST}/20231130/actions/chat",
            b'{"a":1}',
            "date (request-target) host content-length content-type x-content-sha256",
        ),
        (
            "POST",
            f"{HOST}/openai/v1/chat/completions",
            '{"q":"snø ☃ 🎉"}'.encode(),
            "date (request-target) host content-length content-type x-content-sha256",
        ),
        (
            "POST",
            f"{HOST}/20231130/actions/chat",
            b"",
            "date (request-target) host content-length content-type x-content-sha256",
        ),
        (
            "PUT",
            "http://127.0.0.1:8080/p%20q/r?x=a%2Fb",
            b"[]",
            "date (request-target) host content-length content-type x-content-sha256",
        ),
        (
            "PATCH",
            f"{HOST}/a",
            b"{}",
            "date (request-target) host content-length content-type x-content-sha256",
        ),
    ],
)
def test_signature_verifies_with_the_public_key(method, url, content, names, rsa_key):
    request = httpx.Request(method, url, content=content)
    sign_request(request, KEY_ID, rsa_key)
    signature = verify_httpx(request, rsa_key.public_key())
    assert signature.key_id == KEY_ID
    assert " ".join(signature.headers) == names
    target = request.url.raw_path.decode()
    assert f"(request-target): {method.lower()} {target}" in signature.signing_string


def test_signing_string_is_the_text_the_signature_covers(rsa_key):
    request = httpx.Request(
        "POST", f"{HOST}/20231130/actions/chat", content=b"{}", headers={"opc-compartment-id": "c"}
    )
    sign_request(request, KEY_ID, rsa_key, extra=("opc-compartment-id", "absent"))
    signature = verify_httpx(request, rsa_key.public_key())
    assert signing_string(request, signature.headers) == signature.signing_string
    assert signature.headers[-1] == "opc-compartment-id"


def test_body_headers_for_an_empty_body_and_a_given_content_type(rsa_key):
    request = httpx.Request(
        "POST",
        f"{HOST}/x",
        content=b"",
        headers={"content-type": "application/json; charset=utf-8"},
    )
    sign_request(request, KEY_ID, rsa_key)
    assert request.headers["x-content-sha256"] == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert request.headers["content-length"] == "0"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert base64.b64decode(request.headers["x-content-sha256"]) == hashlib.sha256(b"").digest()


def test_extra_headers_are_signed_when_present_and_host_can_be_left_out(rsa_key):
    request = httpx.Request(
        "POST",
        f"{HOST}/x",
        content=b"{}",
        headers={"opc-compartment-id": "ocid1.compartment.oc1..test"},
    )
    sign_request(request, KEY_ID, rsa_key, extra=("opc-compartment-id", "opc-absent"))
    signature = verify_httpx(request, rsa_key.public_key())
    assert signature.headers[-1] == "opc-compartment-id"
    request = httpx.Request("POST", f"{HOST}/v1/x509", content=b"{}")
    sign_request(request, "t/fed-x509/AB:CD", rsa_key, host=False)
    assert verify_httpx(request, rsa_key.public_key()).headers == [
        "date",
        "(request-target)",
        "content-length",
        "content-type",
        "x-content-sha256",
    ]


class Rotating(OCICredentials):
    """Token-like credentials that take a new key on every refresh."""

    refreshable = True

    def __init__(self):
        super().__init__()
        self.keys = [new_key(), new_key()]
        self.refreshes = 0

    @property
    def key_id(self):
        return f"ST$token-{self.refreshes}"

    @property
    def private_key(self):
        return self.keys[self.refreshes]

    async def _refresh(self):
        self.refreshes += 1


async def drive(signer, request, statuses):
    """Run the auth flow by hand, answering each request with the next status."""
    flow = signer.async_auth_flow(request)
    sent = [await flow.__anext__()]
    for status in statuses:
        try:
            sent.append(await flow.asend(httpx.Response(status, request=sent[-1])))
        except StopAsyncIteration:
            break
    return sent


async def test_a_401_refreshes_once_re_signs_and_retries_once():
    credentials = Rotating()
    signer = OCISigner(credentials)
    request = httpx.Request("POST", f"{HOST}/x", content=b"{}")
    sent = await drive(signer, request, [401, 401])
    assert len(sent) == 2
    assert credentials.refreshes == 1
    assert verify_httpx(sent[1], credentials.keys[1].public_key()).key_id == "ST$token-1"


async def test_no_retry_for_success_or_credentials_that_cannot_refresh(rsa_key):
    credentials = Rotating()
    assert len(await drive(OCISigner(credentials), httpx.Request("GET", f"{HOST}/x"), [200])) == 1
    static = OCISigner(APIKeyCredentials(TENANCY, USER, FINGERPRINT, rsa_key))
    assert len(await drive(static, httpx.Request("GET", f"{HOST}/x"), [401])) == 1
    assert credentials.refreshes == 0


def test_sync_flow_signs_and_repr_hides_everything(rsa_key):
    credentials = APIKeyCredentials(TENANCY, USER, FINGERPRINT, rsa_key)
    signer = OCISigner(credentials)
    request = next(signer.auth_flow(httpx.Request("GET", f"{HOST}/x")))
    assert verify_httpx(request, rsa_key.public_key()).key_id == KEY_ID
    assert repr(signer) == "OCISigner(APIKeyCredentials)"
    assert repr(credentials) == "APIKeyCredentials()"
