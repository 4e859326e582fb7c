from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from locus.core.errors import ConfigError, ModelAuthError
from locus.core.messages import Message
from locus.models.providers.oci import OCIOpenAIModel, build_oci_openai_base_url
from locus.models.registry import get_model
from locus.testing import Reply
from tests.conftest import fixture_bytes
from tests.oci_helpers import (
    COMPARTMENT,
    FINGERPRINT,
    PASSPHRASE,
    TENANCY,
    USER,
    api_key_config,
    new_key,
    pem,
    token,
    verify,
    verify_httpx,
)

URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"


def ok(name="text.json"):
    return httpx.Response(
        200, content=fixture_bytes(f"openai/{name}"), headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of profile="),
        ({"profile": "DEFAULT", "auth_type": "instance_principal"}, "exactly one of profile="),
        ({"auth_type": "api_key"}, "must be 'instance_principal' or 'resource_principal'"),
        ({"auth_type": "instance_principal"}, "needs compartment_id="),
    ],
)
def test_validation_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OCIOpenAIModel("openai.gpt-4.1", **kwargs)


def test_principal_takes_the_compartment_from_the_environment(monkeypatch):
    monkeypatch.setenv("OCI_COMPARTMENT_ID", COMPARTMENT)
    model = OCIOpenAIModel("openai.gpt-4.1", auth_type="resource_principal")
    assert model.config.auth_type == "resource_principal"


def test_region_decides_the_base_url():
    assert (
        build_oci_openai_base_url("eu-frankfurt-1")
        == "https://inference.generativeai.eu-frankfurt-1.oci.oraclecloud.com/openai/v1"
    )
    model = OCIOpenAIModel("openai.gpt-4.1", profile="DEFAULT", region="ap-tokyo-1")
    assert model.config.base_url == build_oci_openai_base_url("ap-tokyo-1")
    with pytest.raises(ConfigError, match="not a region identifier"):
        build_oci_openai_base_url("https://x")


async def test_profile_request_is_signed_with_the_compartment_inside(respx_mock, tmp_path, rsa_key):
    config = api_key_config(tmp_path, rsa_key, passphrase=PASSPHRASE)
    route = respx_mock.post(URL).mock(return_value=ok())
    model = OCIOpenAIModel("openai.gpt-4.1", profile="work", config_file=str(config))
    reply = await model.complete([Message.user("Hello!")])
    request = route.calls.last.request
    signature = verify_httpx(request, rsa_key.public_key())
    assert signature.key_id == f"{TENANCY}/{USER}/{FINGERPRINT}"
    assert signature.headers == [
        "date",
        "(request-target)",
        "host",
        "content-length",
        "content-type",
        "x-content-sha256",
        "opc-compartment-id",
    ]
    assert request.headers["opc-compartment-id"] == TENANCY  # the profile's tenancy, last in line
    assert json.loads(request.content)["model"] == "openai.gpt-4.1"
    assert reply.content == "Hello! How can I help you today?"
    assert model.client.auth is not None


@pytest.mark.parametrize(
    ("argument", "env", "expected"),
    [
        (
            "ocid1.compartment.oc1..arg",
            {
                "OCI_COMPARTMENT": "ocid1.compartment.oc1..a",
                "OCI_COMPARTMENT_ID": "ocid1.compartment.oc1..b",
            },
            "ocid1.compartment.oc1..arg",
        ),
        (
            None,
            {
                "OCI_COMPARTMENT": "ocid1.compartment.oc1..a",
                "OCI_COMPARTMENT_ID": "ocid1.compartment.oc1..b",
            },
            "ocid1.compartment.oc1..a",
        ),
        (None, {"OCI_COMPARTMENT_ID": "ocid1.compartment.oc1..b"}, "ocid1.compartment.oc1..b"),
    ],
)
async def test_compartment_precedence(
    respx_mock, tmp_path, rsa_key, monkeypatch, argument, env, expected
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    route = respx_mock.post(URL).mock(return_value=ok())
    model = OCIOpenAIModel(
        "openai.gpt-4.1",
        profile="work",
        config_file=str(api_key_config(tmp_path, rsa_key)),
        compartment_id=argument,
    )
    await model.complete([Message.user("Hi")])
    assert route.calls.last.request.headers["opc-compartment-id"] == expected


async def test_signed_stream_over_a_real_socket(server, tmp_path, rsa_key):
    server.enqueue(Reply.sse(fixture_bytes("openai/parallel_tool_calls.sse"), chunk_size=100))
    model = OCIOpenAIModel(
        "meta.llama-3.3-70b-instruct",
        profile="work",
        config_file=str(api_key_config(tmp_path, rsa_key)),
        base_url=f"{server.url}/openai/v1",
    )
    chunks = [c async for c in model.stream([Message.user("Weather?")])]
    (request,) = server.requests
    signature = verify("POST", request.path, request.headers, request.body, rsa_key.public_key())
    assert "host" in signature.headers
    assert request.headers["host"] == server.url.removeprefix("http://")
    assert [c.arguments for c in chunks[-1].message.tool_calls] == [
        {"city": "Oslo"},
        {"city": "Paris"},
    ]


def resource_principal_env(monkeypatch, tmp_path, key, rpst):
    path = tmp_path / "rpst"
    path.write_text(rpst)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", str(path))
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", pem(key).decode())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-chicago-1")
    return path


async def test_a_401_refreshes_the_principal_once_and_re_sends_signed(
    respx_mock, tmp_path, monkeypatch
):
    key = new_key()
    old, new = token(res_tenant=TENANCY), token(res_tenant=TENANCY, jti="2")
    path = resource_principal_env(monkeypatch, tmp_path, key, old)
    route = respx_mock.post(URL)

    def rotate_then_reject(request):
        path.write_text(new)  # the platform rotated the token
        return httpx.Response(
            401,
            json={
                "code": "NotAuthenticated",
                "message": "The required information to complete authentication was not provided.",
            },
        )

    route.side_effect = [rotate_then_reject, ok()]
    model = get_model(
        "oci:openai.gpt-4.1", auth_type="resource_principal", compartment_id=COMPARTMENT
    )
    reply = await model.complete([Message.user("Hi")])
    assert reply.content == "Hello! How can I help you today?"
    first, second = (call.request for call in route.calls)
    assert verify_httpx(first, key.public_key()).key_id == f"ST${old}"
    assert verify_httpx(second, key.public_key()).key_id == f"ST${new}"
    assert second.headers["opc-compartment-id"] == COMPARTMENT


async def test_a_second_401_is_an_auth_error_with_a_hint_and_no_secret(
    respx_mock, tmp_path, monkeypatch
):
    key = new_key()
    rpst = token(res_tenant=TENANCY)
    resource_principal_env(monkeypatch, tmp_path, key, rpst)
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(
            401,
            json={"code": "NotAuthenticated", "message": "Not authenticated"},
            headers={"opc-request-id": "req-oci-1"},
        )
    )
    model = OCIOpenAIModel(
        "openai.gpt-4.1", auth_type="resource_principal", compartment_id=COMPARTMENT
    )
    with pytest.raises(ModelAuthError) as info:
        await model.complete([Message.user("Hi")])
    assert route.call_count == 2  # the signer's one retry; the 401 is not retried again
    text = str(info.value)
    assert text.startswith(
        "oci: HTTP 401 Unauthorized - Not authenticated [NotAuthenticated] - request id req-oci-1"
    )
    assert "dynamic group" in text
    assert rpst not in text
    assert rpst[20:60] not in repr(info.value)


async def test_generative_ai_api_key_is_a_bearer_token(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok())
    model = OCIOpenAIModel("xai.grok-3", api_key="oci-genai-key-1234567890")
    await model.complete([Message.user("Hi")])
    assert route.calls.last.request.headers["authorization"] == "Bearer oci-genai-key-1234567890"
    assert "opc-compartment-id" not in route.calls.last.request.headers
    assert "oci-genai-key" not in repr(model)


async def test_google_models_get_refs_inlined_even_when_recursive(respx_mock):
    route = respx_mock.post(URL).mock(return_value=ok())
    schema = {
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    tool = {"type": "function", "function": {"name": "draw", "parameters": schema}}
    model = OCIOpenAIModel("google.gemini-2.5-flash", api_key="oci-genai-key-1234567890")
    await model.complete(
        [Message.user("Hi")],
        tools=[tool],
        response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": schema}},
    )
    body = route.calls.last.request.content.decode()
    assert "$ref" not in body
    assert "$defs" not in body
    await OCIOpenAIModel("openai.gpt-5", api_key="oci-genai-key-1234567890").complete(
        [Message.user("Hi")]
    )
    assert "max_completion_tokens" in json.loads(route.calls.last.request.content)


async def test_missing_profile_is_a_config_error_on_first_use(tmp_path, rsa_key):
    model = OCIOpenAIModel(
        "openai.gpt-4.1",
        profile="nope",
        config_file=str(api_key_config(tmp_path, rsa_key, passphrase=PASSPHRASE)),
    )
    with pytest.raises(ConfigError, match=r"profile \[nope\] not found") as info:
        await model.complete([Message.user("Hi")])
    assert PASSPHRASE not in str(info.value)


def test_registry_routing(monkeypatch, tmp_path, rsa_key):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert isinstance(get_model("oci:openai.gpt-4.1", profile="X"), OCIOpenAIModel)
    monkeypatch.setenv("OCI_PROFILE", "work")
    assert get_model("oci:openai.gpt-4.1").config.profile == "work"
    monkeypatch.delenv("OCI_PROFILE")
    monkeypatch.setenv("OCI_AUTH_TYPE", "instance_principal")
    monkeypatch.setenv("OCI_COMPARTMENT_ID", COMPARTMENT)
    assert get_model("oci:openai.gpt-4.1").config.auth_type == "instance_principal"
    monkeypatch.delenv("OCI_AUTH_TYPE")
    with pytest.raises(ValueError, match="exactly one of profile="):
        get_model("oci:openai.gpt-4.1")
    (tmp_path / ".oci").mkdir()
    api_key_config(tmp_path / ".oci", rsa_key)
    assert get_model("oci:openai.gpt-4.1").config.profile == "DEFAULT"
    from locus.models.providers.oci import OCIModel

    for native in (
        "cohere.command-r-plus",
        "Cohere.Command-R-08-2024",
        "ocid1.generativeaiendpoint.oc1.us-chicago-1.test",
    ):
        assert isinstance(get_model(f"oci:{native}"), OCIModel)


def test_importing_the_oci_model_loads_nothing_oci_specific():
    code = (
        "import sys\n"
        "from locus.models.providers.oci import OCIOpenAIModel\n"
        "m = OCIOpenAIModel('openai.gpt-4.1', profile='DEFAULT')\n"
        "loaded = [n for n in sys.modules if n.startswith(('cryptography', 'locus.auth.oci_federation'))]\n"
        "print(loaded)\n"
    )
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "[]"
