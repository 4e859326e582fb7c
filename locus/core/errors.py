"""The locus exception tree.

Every exception locus raises on purpose is a `LocusError`, so one handler catches them all:

```
LocusError                      kind
├── ConfigError                 config_error        bad or missing setup (key, profile, URL)
└── ModelError                  model_error         a provider call failed
    ├── ModelAuthError          model_auth          401/403: the key or signature was refused
    ├── ModelThrottledError     model_throttled     429/529 or an overloaded event: slow down
    ├── ModelResponseError      model_response      a body locus cannot use (malformed, empty)
    ├── ModelBadRequestError    model_bad_request   other 4xx: the request itself is wrong
    │   └── ModelNotFoundError  model_not_found     404: unknown model or endpoint
    ├── ModelServerError        model_server        5xx: the provider failed
    ├── ModelTimeoutError       model_timeout       connect or read took longer than allowed
    ├── ModelConnectionError    model_connection    no connection could be made or kept
    └── ModelStreamError        model_stream        a stream broke or reported an error midway
```

`kind` is a stable slug for logs and metrics. Model errors carry the provider, the HTTP
status, the provider's request id and the response body, redacted and truncated.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = [
    "ConfigError",
    "LocusError",
    "ModelAuthError",
    "ModelBadRequestError",
    "ModelConnectionError",
    "ModelError",
    "ModelNotFoundError",
    "ModelResponseError",
    "ModelServerError",
    "ModelStreamError",
    "ModelThrottledError",
    "ModelTimeoutError",
    "redact",
]

MAX_BODY_CHARS = 2000

REDACTED = "[REDACTED]"


@functools.cache
def _secret_patterns() -> tuple[re.Pattern[str], ...]:
    # Credential shapes that must never reach a message or a log even when a provider echoes
    # them; compiled when first needed, not when locus is imported.
    return (
        re.compile(r"\b(sk-(?:ant-|proj-)?)[A-Za-z0-9_\-]{8,}"),
        re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}"),
        re.compile(
            r"(?i)(\"?(?:api[_-]?key|token|secret|password|passphrase)\"?\s*[:=]\s*\"?)"
            r"[^\s\",}]{4,}"
        ),
        re.compile(
            r"(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
        ),
    )


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Replace credentials in `text`: the given secret values and well-known key shapes.

    Args:
        text: Text that may contain a credential.
        secrets: Exact values to remove (API keys, tokens) known to the caller.

    Returns:
        The text with every secret replaced by `[REDACTED]`.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    for pattern in _secret_patterns():
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class LocusError(Exception):
    """Base class for every exception raised by locus.

    Args:
        message: What went wrong, for a person.
        cause: The underlying exception, chained as `__cause__`.
    """

    kind: str = "locus_error"

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        if cause is not None:
            self.__cause__ = cause

    @property
    def message(self) -> str:
        """The message the error was raised with."""
        return str(self.args[0]) if self.args else ""


class ConfigError(LocusError):
    """Configuration is invalid or missing a required value."""

    kind = "config_error"


class ModelError(LocusError):
    """A call to a model provider failed.

    Args:
        message: What went wrong, naming the provider and what to do.
        cause: The underlying exception.
        reason: A free-form classification kept for compatibility with the reference API.
        provider: The provider name (`openai`, `anthropic`, ...).
        status_code: The HTTP status, when a response arrived.
        request_id: The provider's request id from the response headers.
        body: The response body; stored redacted and truncated.
        code: The provider's error code or type (`rate_limit_exceeded`, `overloaded_error`).
        retry_after: Seconds the provider asked the caller to wait, when it said so.
    """

    kind = "model_error"
    retryable: bool = False
    """Whether re-sending the request may succeed; set by the transport."""

    def __init__(
        self,
        message: str,
        *,
        cause: BaseException | None = None,
        reason: Any = None,
        provider: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        body: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(redact(message), cause=cause)
        self.reason = reason
        self.provider = provider
        self.status_code = status_code
        self.request_id = request_id
        self.body = None if body is None else redact(body)[:MAX_BODY_CHARS]
        self.code = code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"status_code={self.status_code!r}, request_id={self.request_id!r})"
        )


class ModelAuthError(ModelError):
    """The provider refused the credentials (HTTP 401/403, or a failed OCI signature)."""

    kind = "model_auth"


class ModelThrottledError(ModelError):
    """The provider is rate-limiting or out of capacity (HTTP 429/529, overloaded)."""

    kind = "model_throttled"


class ModelResponseError(ModelError):
    """The provider answered with something locus cannot use (malformed, empty, wrong shape)."""

    kind = "model_response"


class ModelBadRequestError(ModelError):
    """The provider rejected the request itself (HTTP 4xx other than auth and throttling)."""

    kind = "model_bad_request"


class ModelNotFoundError(ModelBadRequestError):
    """The model or endpoint does not exist (HTTP 404)."""

    kind = "model_not_found"


class ModelServerError(ModelError):
    """The provider failed on its side (HTTP 5xx)."""

    kind = "model_server"


class ModelTimeoutError(ModelError):
    """Connecting, or waiting for the next bytes, took longer than `request_timeout`."""

    kind = "model_timeout"


class ModelConnectionError(ModelError):
    """No connection to the provider could be made or kept."""

    kind = "model_connection"


class ModelStreamError(ModelError):
    """A stream broke off, or reported an error, after it had started."""

    kind = "model_stream"
