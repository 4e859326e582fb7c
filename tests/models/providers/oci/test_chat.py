"""OCIModel: the native chat API, signed requests verified end to end on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from locus.core.errors import ConfigError, ModelAuthError, ModelBadRequestError, ModelThrottledError
from locus.core.messages import Message
from locus.models.providers.oci import OCIAuthType, OCIConfig, OCIModel
from locus.models.registry import get_model
from locus.testing import Reply
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.helpers import Sleeps, text_of
from tests.oci_helpers import (
    COMPARTMENT,
    FINGERPRINT,
    TENANCY,
    USER,
    api_key_config,
    new_key,
    pem,
    token,
    verify,
    verify_httpx,
)

HOST = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com"
URL = f"{HOST}/20231130/actions/chat"


def ok(name):
    return httpx.Response(
        200, content=fixture_bytes(f"oci/{name}"), headers={"content-type": "application/json"}
    )


def sse(name):
    return httpx.Response(
        200, content=fixture_bytes(f"oci/{name}"), headers={"content-type": "text/event-stream"}
    )


def error(status, name, **headers):
    return httpx.Response(
        status,
        content=fixture_bytes(f"oci/{name}"),
        headers={"content-type": "application/json", **headers},
    )


def model(tmp_path, key, model_id="meta.llama-3.3-70b-instruct", **kwargs):
    kwargs.setdefault("compartment_id", COMPARTMENT)
    return OCIModel(
        model_id, profile_name="work", config_file=str(api_key_config(tmp_path, key)), **kwargs
    )


async def test_signed_cohere_request_end_to_end_on_a_socket(server, tmp_path, rsa_key):
    server.enqueue(
        Reply.json(fixture_bytes("oci/cohere_text.json"), headers={"opc-request-id": "req-1"})
    )
    m = model(tmp_path, rsa_key, "cohere.command-r-plus-08-2024", service_endpoint=server.url)
    reply = await m.complete([Message.system("Be kind."), Message.user("Hello!")])
    (request,) = server.requests
    assert request.path == "/20231130/actions/chat"
    signature = verify("POST", request.path, request.headers, request.body, rsa_key.public_key())
    assert signature.key_id == f"{TENANCY}/{USER}/{FINGERPRINT}"
    assert signature.headers == [
        "date",
        "(request-target)",
        "host",
        "content-length",
        "content-type",
        "x-content-sha256",
    ]
    assert request.headers["accept"] == "application/json, text/event-stream"
    assert json.loads(request.body) == {
        "compartmentId": COMPARTMENT,
        "servingMode": {"servingType": "ON_DEMAND", "modelId": "cohere.command-r-plus-08-2024"},
        "chatRequest": {
            "apiFormat": "COHERE",
            "message": "Hello!",
            "preambleOverride": "Be kind.",
            "maxTokens": 4096,
            "temperature": 0.7,
            "topP": 0.9,
            "isStream": False,
        },
    }
    assert reply.content == "Hello! How can I help you today?"
    assert reply.usage == {"prompt_tokens": 7, "completion_tokens": 10}


async def test_generic_stream_over_a_socket_with_tool_calls(server, tmp_path, rsa_key):
    server.enqueue(Reply.sse(fixture_bytes("oci/generic_tool_calls.sse"), chunk_size=33))
    m = model(tmp_path, rsa_key, "openai.gpt-4.1", service_endpoint=server.url)
    chunks = [c async for c in m.stream([Message.user("Weather?")])]
    body = json.loads(server.requests[0].body)["chatRequest"]
    assert (body["apiFormat"], body["isStream"], body["streamOptions"]) == (
        "GENERIC",
        True,
        {"isIncludeUsage": True},
    )
    calls = [c for chunk in chunks[:-1] for c in chunk.tool_calls or ()]
    assert [(c.id, c.arguments) for c in calls] == [
        ("call_Jr5tWc0Zb7oM2yQnX8kA4sPe", {"city": "Oslo"}),
        ("call_H1dLx6Vq3gTz9pNf0aRu7wKc", {"city": "Paris"}),
    ]
    assert chunks[-1].usage["completion_tokens"] == 36


async def test_a_stream_that_never_closes_ends_at_the_tail_wait(server, tmp_path, rsa_key):
    data = fixture_bytes("oci/recorded/coherev2-stream-no-done.sse")
    server.enqueue(Reply.sse(data, chunk_size=len(data), delay=30))  # stays open after the finish
    m = model(tmp_path, rsa_key, service_endpoint=server.url, stream_tail_timeout=0.2)
    started = time.monotonic()
    chunks = [c async for c in m.stream([Message.user("Hi")])]
    assert time.monotonic() - started < 5
    assert text_of(chunks) == "Hi!"
    assert chunks[-1].stop_reason == "COMPLETE"


async def test_endpoint_from_region_argument_profile_and_dedicated_mode(
    respx_mock, tmp_path, rsa_key
):
    route = respx_mock.post(
        "https://inference.generativeai.eu-frankfurt-1.oci.oraclecloud.com/20231130/actions/chat"
    ).mock(return_value=ok("generic_text.json"))
    await model(tmp_path, rsa_key, region="eu-frankfurt-1").complete([Message.user("Hi")])
    assert route.called
    profile_route = respx_mock.post(URL).mock(return_value=ok("generic_text.json"))
    endpoint = "ocid1.generativeaiendpoint.oc1.us-chicago-1.test"
    await model(tmp_path, rsa_key, endpoint).complete([Message.user("Hello!")])
    assert json.loads(profile_route.calls.last.request.content) == json.loads(
        fixture_bytes("oci/dedicated.request.json")
    )
    verify_httpx(profile_route.calls.last.request, rsa_key.public_key())


async def test_compartment_defaults_to_the_tenancy_and_reasoning_family(
    respx_mock, tmp_path, rsa_key
):
    route = respx_mock.post(URL).mock(return_value=ok("generic_text.json"))
    await OCIModel(
        "openai.gpt-5", profile_name="work", config_file=str(api_key_config(tmp_path, rsa_key))
    ).complete([Message.user("Hi")])
    body = json.loads(route.calls.last.request.content)
    assert body["compartmentId"] == TENANCY
    assert body["chatRequest"]["maxCompletionTokens"] == 4096
    assert "temperature" not in body["chatRequest"]


async def test_empty_answer_is_asked_again_non_streaming_only(respx_mock, tmp_path, rsa_key):
    sleeps = Sleeps()
    route = respx_mock.post(URL)
    route.side_effect = [
        ok("generic_empty.json"),
        ok("generic_empty.json"),
        ok("generic_text.json"),
    ]
    reply = await model(tmp_path, rsa_key, retry_policy=RetryPolicy(sleep=sleeps)).complete(
        [Message.user("Hi")]
    )
    assert reply.content == "Hello! How can I help you today?"
    assert route.call_count == 3
    assert sleeps == [0.5, 1.0]
    route.side_effect = [ok("generic_empty.json")] * 3
    reply = await model(tmp_path, rsa_key, retry_policy=RetryPolicy(sleep=sleeps)).complete(
        [Message.user("Hi")]
    )
    assert reply.content is None
    assert route.call_count == 6


async def test_falls_back_to_complete_only_when_streaming_is_rejected(
    respx_mock, tmp_path, rsa_key
):
    route = respx_mock.post(URL)
    route.side_effect = [error(400, "error_400_stream_not_supported.json"), ok("generic_text.json")]
    chunks = [c async for c in model(tmp_path, rsa_key).stream([Message.user("Hi")])]
    assert text_of(chunks) == "Hello! How can I help you today?"
    assert chunks[-1].done
    assert chunks[-1].message.content == "Hello! How can I help you today?"
    assert [json.loads(c.request.content)["chatRequest"]["isStream"] for c in route.calls] == [
        True,
        False,
    ]


async def test_stream_options_rejected_streams_again_without_them(respx_mock, tmp_path, rsa_key):
    route = respx_mock.post(URL)
    route.side_effect = [
        error(400, "error_400_stream_options_not_supported.json"),
        sse("generic_text.sse"),
    ]
    chunks = [c async for c in model(tmp_path, rsa_key).stream([Message.user("Hi")])]
    assert text_of(chunks) == "Hello! How can I help you today?"
    second = json.loads(route.calls.last.request.content)["chatRequest"]
    assert second["isStream"] is True
    assert "streamOptions" not in second


@pytest.mark.parametrize(
    ("status", "name", "cls", "text"),
    [
        (
            401,
            "error_401_not_authenticated.json",
            ModelAuthError,
            "oci: HTTP 401 Unauthorized - The required information to complete authentication was not provided or was incorrect. [NotAuthenticated] - request id opc-1 - check the api_key credentials and the policy that lets them use generative-ai-family in the compartment",
        ),
        (
            429,
            "error_429_too_many_requests.json",
            ModelThrottledError,
            "oci: HTTP 429 Too Many Requests - Too many requests for the user [TooManyRequests] - request id opc-1",
        ),
    ],
)
async def test_errors_are_typed_and_never_fall_back(
    respx_mock, tmp_path, rsa_key, status, name, cls, text
):
    route = respx_mock.post(URL).mock(
        return_value=error(status, name, **{"opc-request-id": "opc-1"})
    )
    m = model(tmp_path, rsa_key, retry_policy=RetryPolicy(max_retries=1, sleep=Sleeps()))
    with pytest.raises(cls) as info:
        [c async for c in m.stream([Message.user("Hi")])]
    assert str(info.value) == text
    assert all(json.loads(c.request.content)["chatRequest"]["isStream"] for c in route.calls)


@pytest.mark.parametrize(
    ("name", "message", "code"),
    [
        (
            "recorded/error-400-double-encoded-openai.json",
            "Unsupported value...",
            "unsupported_value",
        ),
        (
            "recorded/error-400-invalid-function-schema.json",
            "Invalid request content: Invalid function schema.",
            "400",
        ),
        (
            "recorded/error-400-toolcallid-not-found.json",
            "Invalid parameter: 'toolCallId' of 'call_0sByUt0BQRSUo1fh3n-vrQ' not found in 'toolCalls' of previous message.",
            "400",
        ),
    ],
)
async def test_oci_error_envelopes_are_unwrapped(
    respx_mock, tmp_path, rsa_key, name, message, code
):
    respx_mock.post(URL).mock(return_value=error(400, name))
    with pytest.raises(ModelBadRequestError) as info:
        await model(tmp_path, rsa_key).complete([Message.user("Hi")])
    assert message in str(info.value)
    assert info.value.code == code


async def test_resource_principal_compartment_from_the_token(respx_mock, tmp_path, monkeypatch):
    key = new_key()
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv(
        "OCI_RESOURCE_PRINCIPAL_RPST", token(res_tenant=TENANCY, res_compartment=COMPARTMENT)
    )
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", pem(key).decode())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-chicago-1")
    route = respx_mock.post(URL).mock(return_value=ok("generic_text.json"))
    await OCIModel("meta.llama-3.3-70b-instruct", auth_type="resource_principal").complete(
        [Message.user("Hi")]
    )
    request = route.calls.last.request
    assert json.loads(request.content)["compartmentId"] == COMPARTMENT
    assert verify_httpx(request, key.public_key()).key_id.startswith("ST$")


async def test_no_compartment_is_a_config_error(tmp_path, monkeypatch):
    key = new_key()
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", pem(key).decode())
    with pytest.raises(ConfigError, match="no compartment"):
        await OCIModel("meta.llama-3.3-70b-instruct", auth_type="resource_principal").complete(
            [Message.user("Hi")]
        )


def test_registry_routes_native_ids_and_config_surface(tmp_path, rsa_key, monkeypatch):
    monkeypatch.setenv("OCI_AUTH_TYPE", "instance_principal")
    native = get_model("oci:cohere.command-r-plus", compartment_id=COMPARTMENT)
    assert isinstance(native, OCIModel)
    assert native.config.auth_type is OCIAuthType.INSTANCE_PRINCIPAL
    monkeypatch.delenv("OCI_AUTH_TYPE")
    dedicated = get_model("oci:ocid1.generativeaiendpoint.oc1.us-chicago-1.test", profile="work")
    assert (dedicated.config.profile_name, dedicated.config.model_id) == (
        "work",
        "ocid1.generativeaiendpoint.oc1.us-chicago-1.test",
    )
    assert isinstance(dedicated.config, OCIConfig)
    assert OCIModel(api_format="cohere")._quirks.api_format == "COHERE"
    assert asyncio.iscoroutinefunction(OCIModel.complete)
