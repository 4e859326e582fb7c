"""The model interface, and `ChatModel`: `complete`/`stream`/`ainvoke`/`bind_tools`, once.

A provider class holds only configuration and hooks (URL, headers, auth, codec, quirks);
`complete()` and `stream()` live here and both build their request with `_build_request`.

Creating a model imports only what creating it needs. What a call needs (asyncio, the
codec, the message and event types, the stream folding) is imported by the first call: the
codec through `CodecModule`, the rest in the methods that use it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import logging
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, Self, cast, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from locus import __version__
from locus.core.errors import ConfigError, ModelError, ModelResponseError
from locus.transport.decode import Decoder, NDJSONDecoder, SSEDecoder
from locus.transport.errors import map_transport_errors
from locus.transport.pool import light_client
from locus.transport.retry import RetryPolicy, RetryState, send_with_retry

if TYPE_CHECKING:
    from locus.core.events import ModelChunkEvent
    from locus.core.messages import Message
    from locus.core.response import ModelResponse
    from locus.models.accumulate import StreamAccumulator

__all__ = [
    "ChatModel",
    "ClientConfig",
    "Codec",
    "CodecModule",
    "ModelConfig",
    "ModelProtocol",
    "ModelResponse",
]


def __getattr__(name: str) -> Any:
    # `ModelResponse` is re-exported from `locus.core.response`, imported on first access.
    if name == "ModelResponse":
        from locus.core.response import ModelResponse

        return ModelResponse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


logger = logging.getLogger("locus.models")

# Body fields a caller may not override per call: they are the request's identity.
_RESERVED = frozenset({"model", "messages", "stream", "stream_options"})


@runtime_checkable
class ModelProtocol(Protocol):
    """What every model offers: a complete answer, or a stream of chunks."""

    async def complete(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> ModelResponse:
        """Return the model's complete answer to `messages`."""
        ...

    def stream(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ModelChunkEvent]:
        """Yield the model's answer to `messages` as it arrives."""
        ...


class Codec(Protocol):
    """A wire codec module: pure functions that build bodies and parse answers."""

    def build_request(
        self,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        options: Mapping[str, Any],
        *,
        stream: bool,
        quirks: Any = ...,
    ) -> dict[str, Any]:
        """Build the request body."""
        ...

    def parse_response(self, body: Any, *, provider: str = ...) -> ModelResponse:
        """Parse a complete answer."""
        ...

    def parse_event(self, event: Any, acc: StreamAccumulator) -> list[ModelChunkEvent]:
        """Fold one stream frame into chunks."""
        ...


class CodecModule:
    """A model class's `codec`: the wire module named, imported when first used.

    Example:
        >>> class OpenAIModel(ChatModel):
        ...     codec = CodecModule("locus.models.wire.openai_chat")
    """

    def __init__(self, module: str) -> None:
        self.module = module
        self._loaded: Codec | None = None

    def __get__(self, instance: object, owner: type | None = None) -> Codec:
        if self._loaded is None:
            self._loaded = cast("Codec", importlib.import_module(self.module))
        return self._loaded


class ModelConfig(BaseModel):
    """Settings every model has; providers add their own (extra keys are kept).

    Mutable defaults are plain values: pydantic copies them for each instance, and a
    `default_factory=list` would cost an `inspect.signature` of a builtin at first use.
    """

    model_config = ConfigDict(extra="allow", defer_build=True)

    model: str
    max_tokens: int = 4096
    temperature: float = 0.7
    top_p: float = 0.9
    stop_sequences: list[str] = Field(default=[])


class ClientConfig(ModelConfig):
    """Settings of a model that talks HTTP: retries, timeouts, and the caller's own client.

    Args:
        max_retries: Re-sends allowed after a retryable failure.
        request_timeout: Seconds allowed to connect, and between two reads of the response;
            a stream silent for longer ends in `ModelTimeoutError`.
        http_client: An `httpx.AsyncClient` of the caller's (proxies, custom CA, mTLS); used
            as it is and never closed by locus.
        default_headers: Extra headers sent with every request.
        retry_policy: Backoff settings; when given, it replaces the one built from
            `max_retries`.
        deadline: Seconds a whole call may take, retries and the whole stream included
            (None: no limit); a call can set its own with `deadline=`.
    """

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, defer_build=True)

    max_retries: int = Field(default=3, ge=0)
    request_timeout: float = Field(default=120.0, gt=0)
    http_client: httpx.AsyncClient | None = Field(default=None, exclude=True, repr=False)
    default_headers: dict[str, str] = Field(default={})
    retry_policy: RetryPolicy | None = Field(default=None, exclude=True, repr=False)
    deadline: float | None = Field(default=None, gt=0)


@functools.lru_cache(maxsize=16)
def _default_policy(max_retries: int) -> RetryPolicy:
    # Made once per retry count, not per call; a RetryPolicy is frozen.
    return RetryPolicy(max_retries=max_retries)


@functools.lru_cache(maxsize=256)
def _request_url(base: str, path: str) -> httpx.URL:
    # Parsed once per endpoint, not per request; an httpx.URL is immutable.
    return httpx.URL(base.rstrip("/") + path)


def _normalize_tool(tool: Any) -> dict[str, Any]:
    if hasattr(tool, "to_openai_schema"):
        tool = tool.to_openai_schema()
    if not isinstance(tool, Mapping):
        raise ConfigError(f"a tool must be a dict or have to_openai_schema(), got {type(tool)!r}")
    if "type" not in tool and "name" in tool:
        return {"type": "function", "function": dict(tool)}
    return dict(tool)


class ChatModel(BaseModel):
    """Shared machinery of every HTTP model; subclasses fill in the hooks."""

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    provider: ClassVar[str] = "model"
    framing: ClassVar[Literal["sse", "ndjson"]] = "sse"
    codec: ClassVar[CodecModule]

    config: ClientConfig
    _client: httpx.AsyncClient | None = PrivateAttr(default=None)
    _bound_tools: list[dict[str, Any]] | None = PrivateAttr(default=None)
    _bound_options: dict[str, Any] = PrivateAttr(default_factory=dict)
    _quirks: Any = PrivateAttr(default=None)

    def __init__(self, *, config: ClientConfig) -> None:
        """Hold `config`, an instance of this class's config type.

        Validation would take such an instance as it is (pydantic does not re-validate
        instances), so the model is constructed without building its validator; any other
        value is validated.
        """
        expected = type(self).model_fields["config"].annotation
        if not (isinstance(expected, type) and isinstance(config, expected)):
            super().__init__(config=config)
            return
        self.__setstate__(type(self).model_construct(config=config).__getstate__())

    # Hooks ---------------------------------------------------------------------------------

    @abstractmethod
    def _base_url(self) -> str:
        raise NotImplementedError

    @abstractmethod
    def _path(self, *, stream: bool) -> str:
        raise NotImplementedError

    def _headers(self) -> dict[str, str]:
        return {}

    def _auth(self) -> httpx.Auth | None:
        return None

    def _hint(self, error: ModelError) -> str | None:
        """What the user can do about `error` (set a key, start a server), if anything."""
        return None

    def _defaults(self) -> dict[str, Any]:
        """The options every call starts from, before its own keyword arguments."""
        config = self.config
        return {
            "model": config.model,
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "stop": config.stop_sequences,
        }

    def _options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        options = self._defaults()
        for key, value in kwargs.items():
            options["stop" if key == "stop_sequences" else key] = value
        return options

    def _encode(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
        options: dict[str, Any],
        *,
        stream: bool,
    ) -> dict[str, Any]:
        return self.codec.build_request(
            messages, tools, options, stream=stream, quirks=self._quirks
        )

    def _decode(self, body: Any) -> ModelResponse:
        return self.codec.parse_response(body, provider=self.provider)

    # Public surface ------------------------------------------------------------------------

    @property
    def supports_structured_output(self) -> bool:
        """Whether the provider enforces a JSON schema natively."""
        return False

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client requests go through, created on first use."""
        if self.config.http_client is not None:
            return self.config.http_client
        if self._client is None:
            self._client = light_client(
                base_url=self._base_url(),
                headers=self._all_headers(),
                timeout=self.config.request_timeout,
                auth=self._auth(),
            )
        return self._client

    async def close(self) -> None:
        """Release this model's client; a caller-supplied `http_client` is left open."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Self:
        """Return a copy that uses `tools` (and `kwargs`) whenever a call passes no tools.

        Args:
            tools: Tools in OpenAI format, bare function dicts, or objects with
                `to_openai_schema()`.
            **kwargs: Per-call options to bind too, such as `tool_choice`.
        """
        clone = self.model_copy()
        clone._client = None
        clone._bound_tools = [_normalize_tool(tool) for tool in tools]
        clone._bound_options = {**self._bound_options, **kwargs}
        return clone

    async def complete(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> ModelResponse:
        """Send the conversation and return the complete answer.

        Args:
            messages: The conversation so far.
            tools: Tools the model may call; the bound tools when None.
            **kwargs: Per-call options: `max_tokens`, `temperature`, `top_p`,
                `response_format`, `deadline` (seconds for the whole call), and provider
                extras.

        Raises:
            ModelError: A typed error naming the provider and what went wrong.
        """
        from locus.models._stream import within

        when = self._deadline(kwargs)
        request = self._build_request(messages, tools, kwargs, stream=False)
        async with within(when, self.provider):
            response = await self._send(request, self._retry_state())
            try:
                with map_transport_errors(self.provider):
                    raw = await response.aread()
            finally:
                await response.aclose()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            snippet = raw[:200].decode("utf-8", "replace") or "(empty body)"
            raise ModelResponseError(
                f"{self.provider}: HTTP {response.status_code} response is not JSON "
                f"({response.headers.get('content-type', 'no content type')}): {snippet!r}",
                provider=self.provider,
                status_code=response.status_code,
                body=snippet,
            ) from exc
        return self._decode(body)

    async def stream(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ModelChunkEvent]:
        """Send the conversation and yield the answer as it arrives.

        Text and reasoning deltas are yielded at once; each tool call comes once, complete,
        before the final chunk (`done=True`, with `stop_reason`, `usage` and the whole
        `message`). Leaving the loop early closes the connection.

        Raises:
            ModelError: A typed error; when the stream breaks midway, after the text already
                yielded, and without re-sending the request.
        """
        from locus.models._stream import fold_stream, within

        when = self._deadline(kwargs)
        request = self._build_request(messages, tools, kwargs, stream=True)
        retry = self._retry_state()
        while True:
            async with within(when, self.provider):
                response = await self._send(request, retry)
            yielded = False
            chunks = fold_stream(
                response,
                provider=self.provider,
                decoder=self._decoder(),
                decode=self.codec.parse_event,
                tail=self._tail_timeout(),
                when=when,
            )
            try:
                async with contextlib.aclosing(chunks) as batches:
                    async for batch in batches:
                        # Hand each chunk over and keep none: waiting for its next read, a
                        # stream holds nothing of the last (a thousand idle streams would).
                        batch.reverse()
                        while batch:
                            yielded = True
                            yield batch.pop()
                return
            except ModelError as error:
                # An error event before any output (Anthropic's overloaded_error) is retried
                # like the status it stands for; after output, nothing is sent again.
                if yielded or not error.retryable:
                    raise
                failure = error
            finally:
                await response.aclose()
            async with within(when, self.provider):
                await retry.wait_or_raise(failure)

    def complete_sync(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> ModelResponse:
        """`complete()` for synchronous code; works inside a running loop (a notebook) too."""
        from locus.models._sync import run_sync

        return run_sync(self.complete(messages, tools, **kwargs))

    def stream_sync(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> Iterator[ModelChunkEvent]:
        """`stream()` for synchronous code: a plain iterator of the same chunks."""
        from locus.models._sync import iterate_sync

        return iterate_sync(self.stream(messages, tools, **kwargs))

    async def ainvoke(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> Message:
        """Return only the answer's message (LangChain-style alias of `complete`)."""
        return (await self.complete(messages, tools, **kwargs)).message

    # Machinery -----------------------------------------------------------------------------

    def _all_headers(self) -> dict[str, str]:
        return {
            "user-agent": f"locus/{__version__}",
            "content-type": "application/json",
            **self._headers(),
            **self.config.default_headers,
        }

    def _build_request(
        self,
        messages: Sequence[Message],
        tools: Sequence[Any] | None,
        kwargs: dict[str, Any],
        *,
        stream: bool,
    ) -> httpx.Request:
        reserved = _RESERVED.intersection(kwargs)
        if reserved:
            raise ConfigError(
                f"{self.provider}: {sorted(reserved)} cannot be set per call; "
                "configure the model instead"
            )
        chosen = self._bound_tools if tools is None else [_normalize_tool(t) for t in tools]
        options = self._options({**self._bound_options, **kwargs})
        body = self._encode(list(messages), chosen or None, options, stream=stream)
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        url = _request_url(self._base_url(), self._path(stream=stream))
        if self.config.http_client is None:
            # Our own client already carries the headers and timeouts.
            return self.client.build_request("POST", url, content=content)
        return self.config.http_client.build_request(
            "POST",
            url,
            content=content,
            headers=self._all_headers(),
            timeout=httpx.Timeout(self.config.request_timeout),
        )

    def _deadline(self, kwargs: dict[str, Any]) -> float | None:
        """The loop time a call must end by, from its `deadline=` or the config's."""
        from locus.models._stream import deadline

        return deadline(kwargs.pop("deadline", None) or self.config.deadline)

    def _retry_state(self) -> RetryState:
        policy = self.config.retry_policy or _default_policy(self.config.max_retries)
        return RetryState(policy, self.provider)

    async def _send(self, request: httpx.Request, retry: RetryState) -> httpx.Response:
        auth = self._auth()
        logger.debug("%s: POST %s", self.provider, request.url)
        try:
            return await send_with_retry(
                self.client,
                request,
                retry,
                auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth,
            )
        except ModelError as error:
            hint = self._hint(error)
            if hint:
                error.args = (f"{error.message} - {hint}",)
            raise

    def _tail_timeout(self) -> float | None:
        """Seconds to keep reading once the answer is complete (None: until the end)."""
        return None

    def _decoder(self) -> Decoder:
        if self.framing == "ndjson":
            return NDJSONDecoder(provider=self.provider)
        return SSEDecoder(provider=self.provider)
