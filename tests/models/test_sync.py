from __future__ import annotations

import httpx
import pytest

from locus.core.errors import ModelAuthError
from locus.core.messages import Message
from locus.models.native.openai import OpenAIModel
from tests.conftest import fixture_bytes

URL = "https://api.openai.com/v1/chat/completions"


def model():
    return OpenAIModel(api_key="sk-sync-test-123456", max_retries=0)


def test_complete_sync_without_a_loop(respx_mock):
    respx_mock.post(URL).mock(
        return_value=httpx.Response(200, content=fixture_bytes("openai/text.json"))
    )
    assert model().complete_sync([Message.user("Hi")]).content == "Hello! How can I help you today?"


async def test_complete_sync_inside_a_running_loop(respx_mock):
    respx_mock.post(URL).mock(
        return_value=httpx.Response(200, content=fixture_bytes("openai/text.json"))
    )
    assert model().complete_sync([Message.user("Hi")]).content == "Hello! How can I help you today?"


def test_stream_sync_yields_the_same_chunks_and_raises_typed_errors(respx_mock):
    route = respx_mock.post(URL)
    route.side_effect = [
        httpx.Response(200, content=fixture_bytes("openai/text.sse")),
        httpx.Response(200, content=fixture_bytes("openai/text.sse")),
        httpx.Response(401, content=fixture_bytes("openai/error_401_invalid_api_key.json")),
    ]
    chunks = list(model().stream_sync([Message.user("Hi")]))
    assert "".join(c.content or "" for c in chunks) == "Hello! How can I help you today?"
    assert chunks[-1].done
    for chunk in model().stream_sync([Message.user("Hi")]):
        assert chunk.content is not None
        break  # leaving early stops the worker
    with pytest.raises(ModelAuthError, match="Incorrect API key"):
        list(model().stream_sync([Message.user("Hi")]))
