"""The fault matrix: every fault x every provider x complete/stream, on real sockets.

Each cell states its expected outcome (the typed error, how many requests were sent, what
text was delivered before the error) and every cell checks the invariants: it ends within a
bound, no text is duplicated or lost before an error, nothing is re-sent once output began,
attempts never exceed `max_retries + 1`, and retry delays follow the server's instruction.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from dataclasses import dataclass

import pytest

from locus.core.errors import (
    ModelConnectionError,
    ModelError,
    ModelResponseError,
    ModelServerError,
    ModelStreamError,
    ModelThrottledError,
    ModelTimeoutError,
)
from locus.core.messages import Message
from locus.models.native.anthropic import AnthropicModel
from locus.models.native.ollama import OllamaModel
from locus.models.native.openai import OpenAIModel
from locus.models.providers.oci import OCIModel, OCIOpenAIModel
from locus.testing import FakeServer, Reply
from locus.transport.decode import DEFAULT_MAX_LINE_LENGTH
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.helpers import Sleeps, refused_port
from tests.oci_helpers import COMPARTMENT, api_key_config

TEXT = "Hello! How can I help you today?"
MAX_RETRIES = 2
TIMEOUT = 0.4


@dataclass(frozen=True)
class Provider:
    name: str
    complete_body: bytes
    stream_body: bytes
    stream_type: str
    error_event: bytes  # a stream that delivers some text, then reports an error
    error_text: str  # the text delivered before that error
    error_cls: type[ModelError]
    unterminated: bytes  # a whole stream but for its terminal marker and finish


def _oci_cohere_stream(pieces: list[str], finish: bool = True, error: str | None = None) -> bytes:
    events = [f'data: {{"apiFormat":"COHERE","text":"{p}"}}\n\n' for p in pieces]
    if error:
        events.append(f'data: {{"apiFormat":"COHERE","text":"","errorMessage":"{error}"}}\n\n')
    if finish:
        events.append(
            'data: {"apiFormat":"COHERE","text":"","finishReason":"COMPLETE","usage":{"promptTokens":7,"completionTokens":10,"totalTokens":17}}\n\n'
        )
    return "".join(events).encode()


_PIECES = ["Hello", "!", " How", " can", " I", " help", " you", " today", "?"]
_openai_sse = fixture_bytes("openai/text.sse")

PROVIDERS = {
    "openai": Provider(
        "openai",
        fixture_bytes("openai/text.json"),
        _openai_sse,
        "text/event-stream",
        fixture_bytes("openai/error_midstream.sse"),
        "Once upon a time",
        ModelStreamError,
        _openai_sse[
            : _openai_sse.index(
                b'data: {"id":"chatcmpl-Cv7nLq2sT0bXw9aHf3uYkR1mZpQeD","object":"chat.completion.chunk","created":1763980210,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_560af6e559","choices":[{"index":0,"delta":{},'
            )
        ],
    ),
    "anthropic": Provider(
        "anthropic",
        fixture_bytes("anthropic/text.json"),
        fixture_bytes("anthropic/text.sse"),
        "text/event-stream",
        fixture_bytes("anthropic/error_midstream.sse"),
        "Once upon a time",
        ModelThrottledError,
        fixture_bytes("anthropic/text.sse").split(b"event: message_delta")[0],
    ),
    "ollama": Provider(
        "ollama",
        fixture_bytes("ollama/text.json"),
        fixture_bytes("ollama/text.ndjson"),
        "application/x-ndjson",
        fixture_bytes("ollama/error_midstream.ndjson"),
        "Once upon a time",
        ModelStreamError,
        b"".join(fixture_bytes("ollama/text.ndjson").splitlines(keepends=True)[:-1]),
    ),
    "oci-openai": Provider(
        "oci-openai",
        fixture_bytes("openai/text.json"),
        _openai_sse,
        "text/event-stream",
        fixture_bytes("openai/error_midstream.sse"),
        "Once upon a time",
        ModelStreamError,
        _openai_sse.split(b'"finish_reason":"stop"')[0].rsplit(b"data: ", 1)[0],
    ),
    "oci-native": Provider(
        "oci-native",
        fixture_bytes("oci/cohere_text.json"),
        _oci_cohere_stream(_PIECES),
        "text/event-stream",
        _oci_cohere_stream(["Once upon", " a time"], finish=False, error="the model failed"),
        "Once upon a time",
        ModelStreamError,
        _oci_cohere_stream(_PIECES, finish=False),
    ),
}


def make_model(provider: str, base: str, config, sleeps: Sleeps):
    common = {
        "max_retries": MAX_RETRIES,
        "request_timeout": TIMEOUT,
        "retry_policy": RetryPolicy(max_retries=MAX_RETRIES, sleep=sleeps, random=lambda: 0.0),
    }
    if provider == "openai":
        return OpenAIModel(
            "gpt-4o-mini", api_key="sk-fault-test-0123456789", base_url=f"{base}/v1", **common
        )
    if provider == "anthropic":
        return AnthropicModel(
            "claude-sonnet-4-5", api_key="sk-ant-fault-test-0123456789", base_url=base, **common
        )
    if provider == "ollama":
        return OllamaModel("llama3.2", base_url=base, **common)
    if provider == "oci-openai":
        return OCIOpenAIModel(
            "openai.gpt-4.1",
            profile="work",
            config_file=str(config),
            base_url=f"{base}/openai/v1",
            **common,
        )
    return OCIModel(
        "cohere.command-r-plus",
        profile_name="work",
        config_file=str(config),
        service_endpoint=base,
        compartment_id=COMPARTMENT,
        stream_tail_timeout=0.2,
        **common,
    )


@dataclass
class Outcome:
    error: ModelError | None
    text: str
    attempts: int
    seconds: float
    sleeps: list[float]


SECRETS = ("sk-fault-test-0123456789", "sk-ant-fault-test-0123456789")


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


async def run(
    provider: str, stream: bool, replies: list[Reply], tmp_path, rsa_key, *, base: str | None = None
) -> Outcome:
    records = _Records()
    logger = logging.getLogger("locus")
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    try:
        outcome = await _run(provider, stream, replies, tmp_path, rsa_key, base=base)
    finally:
        logger.removeHandler(records)
        logger.setLevel(logging.NOTSET)
    # Secret hygiene in every cell: no key in the error, its body, its repr, or any log line.
    seen = [*records.messages]
    if outcome.error is not None:
        seen += [str(outcome.error), repr(outcome.error), outcome.error.body or ""]
    assert not [text for text in seen for secret in SECRETS if secret in text]
    return outcome


async def _run(
    provider: str, stream: bool, replies: list[Reply], tmp_path, rsa_key, *, base: str | None = None
) -> Outcome:
    sleeps = Sleeps()
    async with FakeServer() as server:
        server.enqueue(*replies)
        model = make_model(provider, base or server.url, api_key_config(tmp_path, rsa_key), sleeps)
        delivered: list[str] = []
        error = None
        started = time.monotonic()
        try:
            async with asyncio.timeout(15):  # the "never hangs" bound of every cell
                if stream:
                    async for chunk in model.stream([Message.user("Hi")]):
                        delivered.append(chunk.content or "")
                else:
                    delivered.append((await model.complete([Message.user("Hi")])).content or "")
        except ModelError as exc:
            error = exc
        return Outcome(
            error,
            "".join(delivered),
            len(server.requests),
            time.monotonic() - started,
            list(sleeps),
        )


def check_invariants(outcome: Outcome, expected_text: str) -> None:
    assert outcome.attempts <= MAX_RETRIES + 1
    assert expected_text.startswith(outcome.text)  # nothing duplicated, nothing out of order
    if outcome.text and outcome.error is not None:
        assert outcome.attempts == 1  # nothing re-sent once output began
    if outcome.error is not None:
        assert outcome.error.provider in ("openai", "anthropic", "ollama", "oci")
        assert "sk-" not in str(outcome.error)


def body(provider: Provider, stream: bool) -> Reply:
    if stream:
        return Reply(
            body=provider.stream_body, headers={"content-type": provider.stream_type}, chunk_size=50
        )
    return Reply.json(provider.complete_body)


ALL = [(name, stream) for name in PROVIDERS for stream in (False, True)]


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_success_baseline(provider, stream, tmp_path, rsa_key):
    outcome = await run(provider, stream, [body(PROVIDERS[provider], stream)], tmp_path, rsa_key)
    assert (outcome.error, outcome.text, outcome.attempts) == (None, TEXT, 1)


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_refused_connection_is_retried_then_a_connection_error(
    provider, stream, tmp_path, rsa_key
):
    outcome = await run(
        provider, stream, [], tmp_path, rsa_key, base=f"http://127.0.0.1:{refused_port()}"
    )
    assert isinstance(outcome.error, ModelConnectionError)
    assert outcome.sleeps == [0.5, 1.0]  # max_retries re-sends with backoff, no more
    check_invariants(outcome, TEXT)


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_reset_without_an_answer_is_retried(provider, stream, tmp_path, rsa_key):
    replies = [Reply(reset=True), Reply(reset=True), body(PROVIDERS[provider], stream)]
    outcome = await run(provider, stream, replies, tmp_path, rsa_key)
    assert (outcome.error, outcome.text, outcome.attempts, outcome.sleeps) == (
        None,
        TEXT,
        3,
        [0.5, 1.0],
    )


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_stall_before_headers_times_out_each_attempt(provider, stream, tmp_path, rsa_key):
    replies = [Reply(stall=2 * TIMEOUT)] * 3
    outcome = await run(provider, stream, replies, tmp_path, rsa_key)
    assert isinstance(outcome.error, ModelTimeoutError)
    assert outcome.attempts == 3
    assert outcome.seconds < 3 * TIMEOUT + 2
    check_invariants(outcome, TEXT)


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_stall_mid_body_is_a_timeout_after_the_text_with_no_resend(
    provider, stream, tmp_path, rsa_key
):
    spec = PROVIDERS[provider]
    data = spec.stream_body if stream else spec.complete_body
    reply = Reply(
        body=data,
        headers={"content-type": spec.stream_type},
        chunk_size=len(data) // 2 + 1,
        delay=3 * TIMEOUT,
    )
    outcome = await run(provider, stream, [reply], tmp_path, rsa_key)
    assert isinstance(outcome.error, ModelTimeoutError)
    assert outcome.attempts == 1
    if stream:
        assert outcome.text  # the first half arrived and was delivered
    check_invariants(outcome, TEXT)


@pytest.mark.parametrize(("provider", "stream"), ALL)
@pytest.mark.parametrize("cut", ["mid-line", "mid-utf8"])
async def test_close_mid_body(provider, stream, cut, tmp_path, rsa_key):
    spec = PROVIDERS[provider]
    data = spec.stream_body if stream else spec.complete_body
    if cut == "mid-utf8":
        data = data.replace(b"today", "tod\u00e9y".encode())  # a two-byte character in the text
        at = data.index("\u00e9".encode()) + 1
    else:
        at = data.index(b"help") + 2
    reply = Reply(
        body=data[:at] + b"x" * 10,
        headers={"content-type": spec.stream_type},
        chunk_size=at,
        drop_after=1,
    )
    outcome = await run(provider, stream, [reply], tmp_path, rsa_key)
    assert isinstance(outcome.error, ModelStreamError if stream else ModelConnectionError)
    assert outcome.attempts == 1
    assert "\ufffd" not in outcome.text
    check_invariants(outcome, TEXT.replace("today", "tod\u00e9y") if cut == "mid-utf8" else TEXT)


def status_reply(status: int, **headers) -> Reply:
    return Reply.json(
        b'{"error": {"message": "slow down", "type": "rate_limit"}}', status=status, headers=headers
    )


@pytest.mark.parametrize(("provider", "stream"), ALL)
@pytest.mark.parametrize(
    ("replies", "delays"),
    [
        (
            [
                status_reply(429, **{"retry-after": "3"}),
                status_reply(503, **{"retry-after-ms": "250"}),
            ],
            [3.0, 0.25],
        ),
        ([status_reply(529), status_reply(503)], [0.5, 1.0]),
        ([status_reply(429, **{"retry-after": "7200"})], None),  # longer than the cap: not retried
    ],
    ids=["retry-after-seconds-and-ms", "backoff", "over-the-cap"],
)
async def test_status_sequences_honour_the_servers_instructions(
    provider, stream, replies, delays, tmp_path, rsa_key
):
    outcome = await run(
        provider, stream, [*replies, body(PROVIDERS[provider], stream)], tmp_path, rsa_key
    )
    if delays is None:
        assert isinstance(outcome.error, ModelThrottledError)
        assert (outcome.attempts, outcome.sleeps) == (1, [])
    else:
        assert (outcome.error, outcome.text, outcome.sleeps) == (None, TEXT, delays)
        assert outcome.attempts == 3


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_retry_after_as_an_http_date(provider, stream, tmp_path, rsa_key):
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    outcome = await run(
        provider,
        stream,
        [status_reply(503, **{"retry-after": when}), body(PROVIDERS[provider], stream)],
        tmp_path,
        rsa_key,
    )
    assert outcome.error is None
    assert 3.0 <= outcome.sleeps[0] <= 5.0


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_x_should_retry_false_stops_at_once(provider, stream, tmp_path, rsa_key):
    outcome = await run(
        provider, stream, [status_reply(503, **{"x-should-retry": "false"})], tmp_path, rsa_key
    )
    assert isinstance(outcome.error, ModelServerError)
    assert (outcome.attempts, outcome.sleeps) == (1, [])


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_html_502_pages_are_retried_and_summarised(provider, stream, tmp_path, rsa_key):
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    replies = [Reply(status=502, body=page, headers={"content-type": "text/html"})] * 3
    outcome = await run(provider, stream, replies, tmp_path, rsa_key)
    assert isinstance(outcome.error, ModelServerError)
    assert "an HTML page instead of an API error (502 Bad Gateway)" in str(outcome.error)
    assert outcome.attempts == 3


@pytest.mark.parametrize(("provider", "stream"), ALL)
@pytest.mark.parametrize(
    ("data", "stream_error"),
    [(b"{not json", ModelResponseError), (b"", ModelStreamError)],
    ids=["malformed", "empty"],
)
async def test_unusable_200_bodies(provider, stream, data, stream_error, tmp_path, rsa_key):
    if stream and data:  # a whole frame of garbage, not a stream cut inside one
        data = b"{not json\n" if provider == "ollama" else b"data: {not json\n\n"
    outcome = await run(provider, stream, [Reply.json(data)], tmp_path, rsa_key)
    assert isinstance(outcome.error, stream_error if stream else ModelResponseError)
    assert (outcome.attempts, outcome.text) == (1, "")


@pytest.mark.parametrize(("provider", "stream"), ALL)
async def test_a_wrong_content_type_does_not_matter(provider, stream, tmp_path, rsa_key):
    spec = PROVIDERS[provider]
    reply = Reply(
        body=spec.stream_body if stream else spec.complete_body,
        headers={"content-type": "text/plain"},
    )
    outcome = await run(provider, stream, [reply], tmp_path, rsa_key)
    assert (outcome.error, outcome.text) == (None, TEXT)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_stream_without_its_end_is_a_stream_error_after_the_text(
    provider, tmp_path, rsa_key
):
    spec = PROVIDERS[provider]
    reply = Reply(body=spec.unterminated, headers={"content-type": spec.stream_type}, chunk_size=64)
    outcome = await run(provider, True, [reply], tmp_path, rsa_key)
    assert isinstance(outcome.error, ModelStreamError)
    assert "ended before the answer was complete" in str(outcome.error)
    assert outcome.text == TEXT
    check_invariants(outcome, TEXT)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_invalid_utf8_becomes_replacement_characters(provider, tmp_path, rsa_key):
    spec = PROVIDERS[provider]
    data = spec.stream_body.replace(b"today", b"tod\xffy")
    outcome = await run(
        provider,
        True,
        [Reply(body=data, headers={"content-type": spec.stream_type}, chunk_size=64)],
        tmp_path,
        rsa_key,
    )
    assert (outcome.error, outcome.text) == (None, TEXT.replace("today", "tod\ufffdy"))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_line_over_the_bound_is_an_error_not_a_memory_blowup(provider, tmp_path, rsa_key):
    spec = PROVIDERS[provider]
    huge = b"data: " + b"x" * (DEFAULT_MAX_LINE_LENGTH + 10) + b"\n\n"
    if provider == "ollama":
        huge = b'{"message":{"content":"' + b"x" * (DEFAULT_MAX_LINE_LENGTH + 10) + b'"}}\n'
    reply = Reply(body=huge, headers={"content-type": spec.stream_type}, chunk_size=1 << 20)
    outcome = await run(provider, True, [reply], tmp_path, rsa_key)
    assert isinstance(outcome.error, ModelResponseError)
    assert "longer than" in str(outcome.error)
    assert outcome.attempts == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_error_event_inside_a_200_stream(provider, tmp_path, rsa_key):
    spec = PROVIDERS[provider]
    reply = Reply(body=spec.error_event, headers={"content-type": spec.stream_type}, chunk_size=40)
    outcome = await run(provider, True, [reply], tmp_path, rsa_key)
    assert isinstance(outcome.error, spec.error_cls)
    assert (outcome.text, outcome.attempts) == (spec.error_text, 1)
    assert outcome.sleeps == []
