from __future__ import annotations

import httpx
import pytest

from locus.core.errors import (
    ModelAuthError,
    ModelBadRequestError,
    ModelConnectionError,
    ModelError,
    ModelNotFoundError,
    ModelServerError,
    ModelStreamError,
    ModelThrottledError,
    ModelTimeoutError,
)
from locus.transport.errors import error_from_response, map_transport_errors, secrets_of
from tests.conftest import fixture_bytes


def response(status, content=b"", headers=None, request_headers=None):
    request = httpx.Request("POST", "https://api.example/v1/chat", headers=request_headers or {})
    return httpx.Response(status, content=content, headers=headers or {}, request=request)


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, ModelBadRequestError, False),
        (401, ModelAuthError, False),
        (403, ModelAuthError, False),
        (404, ModelNotFoundError, False),
        (408, ModelTimeoutError, True),
        (409, ModelError, True),
        (413, ModelBadRequestError, False),
        (429, ModelThrottledError, True),
        (500, ModelServerError, True),
        (503, ModelServerError, True),
        (529, ModelThrottledError, True),
        (302, ModelBadRequestError, False),
    ],
)
def test_status_maps_to_class_and_retry_flag(status, cls, retryable):
    error = error_from_response(response(status), "p")
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.status_code == status


@pytest.mark.parametrize(
    ("content", "message", "code"),
    [
        (
            fixture_bytes("openai/recorded/error-400-unsupported-parameter.json"),
            "Unsupported parameter: 'stop' is not supported with this model.",
            "unsupported_parameter",
        ),
        (
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            "Overloaded",
            "overloaded_error",
        ),
        (
            b'{"error":"model \\"llama9\\" not found, try pulling it first"}',
            'model "llama9" not found, try pulling it first',
            None,
        ),
        (b'{"code":"400","message":"Invalid request"}', "Invalid request", "400"),
        (b'{"detail":"Not authenticated"}', "Not authenticated", None),
        (b"upstream connect error", "upstream connect error", None),
        (b"", "(empty body)", None),
    ],
)
def test_provider_error_bodies(content, message, code):
    error = error_from_response(response(400, content), "p")
    assert message in str(error)
    assert error.code == code


def test_request_id_and_retry_after_are_kept():
    error = error_from_response(
        response(429, b"{}", {"request-id": "req_1", "retry-after": "3"}), "anthropic"
    )
    assert error.request_id == "req_1"
    assert error.retry_after == 3.0
    assert str(error).endswith("request id req_1")


def test_secrets_from_request_headers_are_redacted_and_body_truncated():
    key = "k3y-0f-the-user-1234567890"
    body = ("leaked " + key + " ") * 400
    error = error_from_response(
        response(400, body.encode(), request_headers={"x-api-key": key}), "p"
    )
    assert key not in str(error)
    assert key not in (error.body or "")
    assert len(error.body or "") == 2000
    assert secrets_of(
        httpx.Request("GET", "http://x", headers={"authorization": "Bearer abc123456"})
    ) == (
        "Bearer abc123456",
        "abc123456",
    )


@pytest.mark.parametrize(
    ("exc", "cls", "retryable", "text"),
    [
        (httpx.ConnectTimeout("t"), ModelTimeoutError, True, "timed out connecting"),
        (
            httpx.ReadTimeout("t"),
            ModelTimeoutError,
            True,
            "no data received within the read timeout",
        ),
        (httpx.PoolTimeout("t"), ModelTimeoutError, True, "free connection"),
        (httpx.ConnectError("refused"), ModelConnectionError, True, "could not connect (refused)"),
        (httpx.RemoteProtocolError("closed"), ModelConnectionError, True, "the connection broke"),
        (httpx.UnsupportedProtocol("ftp"), ModelConnectionError, False, "unsupported URL scheme"),
    ],
)
def test_transport_exceptions_map_to_typed_errors(exc, cls, retryable, text):
    with pytest.raises(cls) as info, map_transport_errors("p"):
        raise exc
    assert info.value.retryable is retryable
    assert text in str(info.value)
    assert info.value.__cause__ is exc


def test_a_broken_stream_is_a_stream_error_never_retried():
    with pytest.raises(ModelStreamError) as info, map_transport_errors("p", streaming=True):
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )
    assert info.value.retryable is False
    with pytest.raises(ModelTimeoutError) as timeout, map_transport_errors("p", streaming=True):
        raise httpx.ReadTimeout("silent")
    assert timeout.value.retryable is False
