from __future__ import annotations

import email.utils

import httpx
import pytest

from locus.core.errors import ModelError, ModelServerError, ModelThrottledError
from locus.transport.errors import retry_after_seconds
from locus.transport.retry import RetryPolicy, RetryState, send_with_retry


def retryable(error: ModelError) -> ModelError:
    error.retryable = True
    return error


@pytest.mark.parametrize(
    ("random", "expected"),
    [(0.0, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]), (0.999, [0.375, 0.75, 1.5, 3.0, 6.0, 6.0])],
)
def test_backoff_doubles_is_capped_and_jitter_only_shortens(random, expected):
    policy = RetryPolicy(max_retries=10, random=lambda: random)
    delays = [policy.delay(n, retryable(ModelError("x")), None) for n in range(6)]
    assert delays == pytest.approx(expected, rel=1e-3)


def test_no_delay_once_retries_are_spent_or_when_not_retryable():
    policy = RetryPolicy(max_retries=2)
    assert policy.delay(2, retryable(ModelError("x")), None) is None
    assert policy.delay(0, ModelError("x"), None) is None


def test_server_requested_wait_is_honoured_within_the_cap():
    policy = RetryPolicy(retry_after_cap=60.0)
    assert policy.delay(0, retryable(ModelThrottledError("x", retry_after=12.5)), None) == 12.5
    assert policy.delay(0, retryable(ModelThrottledError("x", retry_after=61.0)), None) is None
    # Zero is no instruction: the backoff applies.
    assert policy.delay(0, retryable(ModelThrottledError("x", retry_after=0.0)), None) <= 0.5


def test_x_should_retry_overrides_both_ways():
    policy = RetryPolicy()
    yes = httpx.Headers({"x-should-retry": "true"})
    no = httpx.Headers({"x-should-retry": "false"})
    assert policy.delay(0, ModelError("x"), yes) is not None
    assert policy.delay(0, retryable(ModelError("x")), no) is None
    assert policy.delay(3, ModelError("x"), yes) is None


def test_retry_after_header_forms():
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "x", "retry-after": "3"})) == 3.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "0.25"})) == 0.25
    assert retry_after_seconds(httpx.Headers({"retry-after": date}), now=now) == 7.0
    assert retry_after_seconds(httpx.Headers({"retry-after": date}), now=now + 60) == 0.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx.Headers()) is None


async def test_send_with_retry_counts_attempts_across_failures():
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) < 3:
            return httpx.Response(503, json={"error": {"message": "busy"}})
        return httpx.Response(200, json={"ok": True})

    slept = []

    async def sleep(delay):
        slept.append(delay)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        request = client.build_request("POST", "http://test/x", content=b"{}")
        state = RetryState(RetryPolicy(max_retries=5, sleep=sleep, random=lambda: 0.0), "test")
        response = await send_with_retry(client, request, state)
        assert response.status_code == 200
        await response.aclose()
    assert len(attempts) == 3
    assert slept == [0.5, 1.0]
    assert state.retries == 2


async def test_send_with_retry_raises_the_last_error_with_attempts_bounded():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(502, text="bad gateway")

    async def sleep(delay):
        pass

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        request = client.build_request("POST", "http://test/x", content=b"{}")
        with pytest.raises(ModelServerError, match="test: HTTP 502 Bad Gateway - bad gateway"):
            await send_with_retry(
                client, request, RetryState(RetryPolicy(max_retries=2, sleep=sleep), "test")
            )
    assert len(calls) == 3
