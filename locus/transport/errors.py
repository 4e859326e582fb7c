"""One mapping from HTTP failures to the typed errors of `locus.core.errors`.

`error_from_response` reads a failed response (status, body, request id) into a `ModelError`;
`map_transport_errors` turns httpx's exceptions into ours at the transport boundary. Whether a
failure may be retried is decided here, once, and carried on the error as `retryable`.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from typing import Any

import httpx

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
    redact,
)

__all__ = [
    "SECRET_HEADERS",
    "error_from_response",
    "is_retryable",
    "map_transport_errors",
    "request_id_of",
    "retry_after_seconds",
    "secrets_of",
]

# status -> (class, retryable). Anything else: 4xx bad request, 5xx server error (retryable).
_STATUS: dict[int, tuple[type[ModelError], bool]] = {
    400: (ModelBadRequestError, False),
    401: (ModelAuthError, False),
    403: (ModelAuthError, False),
    404: (ModelNotFoundError, False),
    408: (ModelTimeoutError, True),
    409: (ModelError, True),
    429: (ModelThrottledError, True),
    529: (ModelThrottledError, True),
}

# Error codes that no retry can fix, whatever their status (OpenAI's 429 for an empty balance).
_FINAL_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})

SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "opc-obo-token", "x-goog-api-key")
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "opc-request-id", "x-ms-request-id")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def secrets_of(request: httpx.Request) -> tuple[str, ...]:
    """Return the credential values carried by `request`'s headers, to redact them."""
    values: list[str] = []
    for name in SECRET_HEADERS:
        value = request.headers.get(name)
        if value:
            values.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "signature"):
                values.append(token)
    return tuple(values)


def request_id_of(response: httpx.Response) -> str | None:
    """Return the provider's request id from `response`'s headers."""
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def _provider_error(body: Any) -> tuple[str | None, str | None]:
    """Pick (message, code) out of the error bodies the providers send.

    OpenAI and Anthropic: `{"error": {"message", "type"/"code"}}`; Ollama: `{"error": "..."}`;
    OCI: `{"code", "message"}`; some proxies: `{"detail": ...}` or `{"message": ...}`.
    """
    if not isinstance(body, dict):
        return None, None
    error = body.get("error", body)
    if isinstance(error, str):
        return error, None
    if not isinstance(error, dict):
        return None, None
    message = error.get("message") or error.get("detail") or body.get("detail")
    code = error.get("code") or error.get("type")
    if isinstance(message, str) and message.lstrip().startswith("{"):
        # OCI wraps a model's own error as a JSON string in `message`.
        try:
            inner, inner_code = _provider_error(json.loads(message))
        except ValueError:
            inner, inner_code = None, None
        if inner:
            message, code = inner, inner_code or code
    return (
        None if message is None else str(message),
        None if code is None else str(code),
    )


def _describe_text(text: str, content_type: str) -> str | None:
    if "html" in content_type or text.lstrip()[:1] == "<":
        title = _HTML_TITLE.search(text)
        summary = title.group(1) if title else _HTML_TAG.sub(" ", text)
        summary = _SPACE.sub(" ", summary).strip()[:200]
        return f"an HTML page instead of an API error ({summary})" if summary else "an HTML page"
    text = _SPACE.sub(" ", text).strip()
    return text[:500] or None


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Return how long the server asked the client to wait, in seconds, or None.

    Reads `retry-after-ms` (milliseconds) first, then `retry-after` as seconds or as an
    HTTP date, as the official OpenAI and Anthropic clients do.
    """
    value = headers.get("retry-after-ms")
    if value is not None:
        with contextlib.suppress(ValueError):
            return max(float(value) / 1000.0, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def error_from_response(response: httpx.Response, provider: str) -> ModelError:
    """Build the typed error for a failed response whose body has been read.

    Args:
        response: A response with status >= 400, already read.
        provider: Named in the message.

    Returns:
        The error, with `retryable` set for the retry layer.
    """
    status = response.status_code
    cls, retryable = _STATUS.get(
        status, (ModelServerError, True) if status >= 500 else (ModelBadRequestError, False)
    )
    text = response.text
    content_type = response.headers.get("content-type", "")
    request_id = request_id_of(response)
    try:
        body = json.loads(text)
    except ValueError:
        message, code = _describe_text(text, content_type), None
    else:
        message, code = _provider_error(body)
        if request_id is None and isinstance(body, dict) and body.get("request_id"):
            request_id = str(body["request_id"])  # Anthropic repeats it in the body
    if code in _FINAL_CODES:
        retryable = False
    parts = [f"{provider}: HTTP {status} {response.reason_phrase}".rstrip()]
    parts.append(message or "(empty body)")
    if code and code not in (message or ""):
        parts[-1] += f" [{code}]"
    if request_id:
        parts.append(f"request id {request_id}")
    secrets = secrets_of(response.request)
    error = cls(
        redact(" - ".join(parts), secrets),
        provider=provider,
        status_code=status,
        request_id=request_id,
        body=redact(text, secrets),
        code=code,
        retry_after=retry_after_seconds(response.headers),
    )
    error.retryable = retryable
    return error


def is_retryable(error: BaseException) -> bool:
    """Whether the retry layer may re-send the request after `error`."""
    return bool(getattr(error, "retryable", False))


# Most specific first: the first matching class wins.
_TRANSPORT: tuple[tuple[type[Exception], type[ModelError], bool, str], ...] = (
    (httpx.ConnectTimeout, ModelTimeoutError, True, "timed out connecting"),
    (httpx.PoolTimeout, ModelTimeoutError, True, "timed out waiting for a free connection"),
    (httpx.ReadTimeout, ModelTimeoutError, True, "no data received within the read timeout"),
    (httpx.WriteTimeout, ModelTimeoutError, True, "timed out sending the request"),
    (httpx.ConnectError, ModelConnectionError, True, "could not connect"),
    (httpx.RemoteProtocolError, ModelConnectionError, True, "the connection broke"),
    (httpx.ReadError, ModelConnectionError, True, "the connection broke while reading"),
    (httpx.WriteError, ModelConnectionError, True, "the connection broke while sending"),
    (httpx.ProxyError, ModelConnectionError, False, "the proxy refused the request"),
    (httpx.UnsupportedProtocol, ModelConnectionError, False, "unsupported URL scheme"),
    (httpx.TransportError, ModelConnectionError, False, "transport failure"),
)


class map_transport_errors:  # lower-case: used like a function, as a `with` block
    """Turn httpx exceptions raised inside the block into typed `ModelError`s.

    Args:
        provider: Named in the message.
        streaming: The block reads a response body already handed to the caller; a broken
            connection there is a `ModelStreamError` and is never retried.
    """

    __slots__ = ("provider", "streaming")

    def __init__(self, provider: str, *, streaming: bool = False) -> None:
        self.provider = provider
        self.streaming = streaming

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if not isinstance(exc, httpx.TransportError):
            return
        cls, retryable, what = next(
            (cls, retryable, what)
            for httpx_cls, cls, retryable, what in _TRANSPORT
            if isinstance(exc, httpx_cls)
        )
        if self.streaming and cls is ModelConnectionError:
            cls = ModelStreamError
        detail = str(exc) or type(exc).__name__
        error = cls(f"{self.provider}: {what} ({detail})", provider=self.provider, cause=exc)
        error.retryable = retryable and not self.streaming
        raise error from exc
