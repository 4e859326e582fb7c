"""`locus.testing.FakeLLMServer` with the real models: every format, complete and streamed."""

from __future__ import annotations

import json

import httpx
import pytest

from locus.core.errors import ModelAuthError, ModelServerError, ModelThrottledError
from locus.core.messages import Message, ToolCall
from locus.models.providers.oci import OCIModel
from locus.models.registry import get_model
from locus.testing import FakeLLMServer, Reply, Turn, verify_oci_signature
from tests.oci_helpers import COMPARTMENT, api_key_config, new_key


def models(server, config):
    return {
        "openai": get_model(
            "openai:gpt-4o", api_key="sk-test-0123456789", base_url=server.openai_url
        ),
        "anthropic": get_model(
            "anthropic:claude-sonnet-4-5", api_key="sk-ant-test-0123456789", base_url=server.url
        ),
        "ollama": get_model("ollama:llama3.2", base_url=server.url),
        "oci-openai": get_model(
            "oci:openai.gpt-4.1",
            profile="work",
            config_file=str(config),
            base_url=server.oci_openai_url,
        ),
        "oci-cohere": get_model(
            "oci:cohere.command-r-plus",
            profile_name="work",
            config_file=str(config),
            service_endpoint=server.url,
            compartment_id=COMPARTMENT,
        ),
        # Only Cohere R and dedicated endpoints route to the native API; other ids can be asked for.
        "oci-generic": OCIModel(
            "meta.llama-3.3-70b-instruct",
            profile_name="work",
            config_file=str(config),
            service_endpoint=server.url,
            compartment_id=COMPARTMENT,
            stream_tail_timeout=1,
        ),
    }


PROVIDERS = ["openai", "anthropic", "ollama", "oci-openai", "oci-cohere", "oci-generic"]


@pytest.fixture
async def fake(tmp_path):
    key = new_key()
    config = api_key_config(tmp_path, key)
    async with FakeLLMServer(public_key=key.public_key()) as server:
        yield server, models(server, config)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_text_complete_and_stream(fake, provider):
    server, all_models = fake
    model = all_models[provider]
    server.script(
        Turn(text="Hello there, friend.", prompt_tokens=5, completion_tokens=4),
        Turn(text="Hello there, friend."),
    )
    reply = await model.complete([Message.user("Hi")])
    assert (reply.content, reply.prompt_tokens, reply.completion_tokens) == (
        "Hello there, friend.",
        5,
        4,
    )
    chunks = [c async for c in model.stream([Message.user("Hi")])]
    assert [c.content for c in chunks if c.content] == ["Hello", " there,", " friend."]
    assert chunks[-1].done
    assert chunks[-1].message.content == "Hello there, friend."
    if provider.startswith("oci"):
        assert len(server.signed_key_ids) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("streaming", [False, True])
async def test_tool_calls(fake, provider, streaming):
    server, all_models = fake
    calls = [
        ToolCall(id="call_1", name="get_weather", arguments={"city": "Oslo"}),
        ToolCall(id="call_2", name="get_time", arguments={"tz": "CET"}),
    ]
    server.script(Turn(tool_calls=calls))
    tools = [
        {"name": "get_weather", "parameters": {"type": "object"}},
        {"name": "get_time", "parameters": {"type": "object"}},
    ]
    if streaming:
        chunks = [c async for c in all_models[provider].stream([Message.user("?")], tools=tools)]
        got = chunks[-1].message.tool_calls
    else:
        got = (await all_models[provider].complete([Message.user("?")], tools=tools)).tool_calls
    assert [(c.name, c.arguments) for c in got] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_time", {"tz": "CET"}),
    ]
    if provider != "oci-cohere":  # Cohere gives no ids; locus makes unique ones
        assert [c.id for c in got] == ["call_1", "call_2"]


async def test_thinking_and_forced_schema_tool_for_anthropic(fake):
    server, all_models = fake
    server.script(Turn(text='{"a": 1}', thinking="Let me think."))
    reply = await all_models["anthropic"].complete(
        [Message.user("?")],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "n", "schema": {"type": "object"}},
        },
    )
    assert reply.content == '{"a": 1}'
    assert reply.message.metadata["thinking_blocks"][0]["signature"] == "c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("provider", "status", "cls"),
    [
        ("openai", 500, ModelServerError),
        ("anthropic", 529, ModelThrottledError),
        ("ollama", 503, ModelServerError),
        ("oci-generic", 429, ModelThrottledError),
    ],
)
async def test_error_turns_use_each_providers_error_shape(fake, provider, status, cls):
    server, all_models = fake
    model = all_models[provider]
    model.config.max_retries = 0
    server.script(Turn(error=(status, "try later")))
    with pytest.raises(cls, match="try later"):
        await model.complete([Message.user("?")])


async def test_bad_signature_is_refused_and_raw_replies_come_first(tmp_path):
    good, bad = new_key(), new_key()
    config = api_key_config(tmp_path, bad)
    async with FakeLLMServer(public_key=good.public_key()) as server:
        server.script(Turn(text="never"))
        model = models(server, config)["oci-openai"]
        with pytest.raises(
            ModelAuthError, match="signature check failed: the signature does not verify"
        ):
            await model.complete([Message.user("?")])
        server.enqueue(Reply.json(b'{"ok": true}'))
        async with httpx.AsyncClient() as client:
            assert (await client.post(f"{server.url}/anything", json={})).json() == {"ok": True}
            # The refused request left its turn queued: an unknown route takes it, as a 404.
            missing = await client.post(f"{server.url}/v2/unknown", content=b"not json")
            assert missing.status_code == 404
            nothing = await client.post(f"{server.url}/v1/chat/completions", json={})
            assert nothing.status_code == 500  # nothing scripted
        assert server.requests[-2].body == b"not json"


def test_signature_checker_reports_what_is_wrong():
    from locus.testing import Recorded

    key = new_key()
    with pytest.raises(ValueError, match="no OCI signature"):
        verify_oci_signature(Recorded("POST", "/x", {}, b""), key.public_key())
    header = 'Signature headers="date (request-target) x-content-sha256",keyId="k",signature="AAAA"'
    with pytest.raises(ValueError, match="signed header date is missing"):
        verify_oci_signature(
            Recorded("POST", "/x", {"authorization": header}, b""), key.public_key()
        )
    headers = {"authorization": header, "date": "d", "x-content-sha256": "wrong"}
    with pytest.raises(ValueError, match="does not match the body"):
        verify_oci_signature(Recorded("POST", "/x", headers, b"{}"), key.public_key())
    assert json.loads(b'{"a":1}') == Recorded("POST", "/", {}, b'{"a":1}').json()
