"""Cancellation, load and soak, and secret hygiene, on real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import logging
import tracemalloc
import warnings
import weakref

import pytest

from locus.core.errors import ConfigError, LocusError, ModelError
from locus.core.messages import Message
from locus.models.native.anthropic import AnthropicModel
from locus.models.native.ollama import OllamaModel
from locus.models.native.openai import OpenAIModel
from locus.models.providers.oci import OCIModel, OCIOpenAIModel
from locus.testing import FakeServer, Reply
from locus.transport.retry import RetryPolicy
from tests.conftest import fixture_bytes
from tests.oci_helpers import api_key_config, new_key, pem, token, write_config

TEXT = "Hello! How can I help you today?"
STREAMS = {
    "openai": ("openai/text.sse", "text/event-stream"),
    "anthropic": ("anthropic/text.sse", "text/event-stream"),
    "ollama": ("ollama/text.ndjson", "application/x-ndjson"),
    "oci": ("oci/generic_text.sse", "text/event-stream"),
}


def streaming_model(provider: str, base: str):
    if provider == "openai":
        return OpenAIModel(api_key="sk-reliability-0123456789", base_url=f"{base}/v1")
    if provider == "anthropic":
        return AnthropicModel(api_key="sk-ant-reliability-0123456789", base_url=base)
    if provider == "oci":
        return OCIModel(
            "meta.llama-3.3-70b-instruct",
            compartment_id="ocid1.compartment.oc1..test",
            service_endpoint=base,
            auth_type="resource_principal",
        )
    return OllamaModel(base_url=base)


# Cancellation --------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", STREAMS)
@pytest.mark.parametrize("how", ["break", "cancel"])
async def test_leaving_a_stream_closes_its_connection(provider, how, monkeypatch):
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", pem(new_key()).decode())
    name, content_type = STREAMS[provider]
    async with FakeServer() as server:
        server.enqueue(
            Reply(
                body=fixture_bytes(name),
                headers={"content-type": content_type},
                chunk_size=60,
                delay=0.1,
            )
        )
        model = streaming_model(provider, server.url)
        first = asyncio.Event()

        async def consume():
            async for chunk in model.stream([Message.user("Hi")]):
                if chunk.content:
                    first.set()
                    if how == "break":
                        break

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), timeout=5)
        if how == "cancel":
            task.cancel()
        with pytest.raises(asyncio.CancelledError) if how == "cancel" else _nothing():
            await task
        await asyncio.wait_for(server.closed.wait(), timeout=2)  # promptly
        assert server.connections_opened == server.connections_closed == 1


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# Load and soak -------------------------------------------------------------------------------


async def test_concurrent_streams_through_one_pool_and_no_growth_over_rounds():
    body = fixture_bytes("openai/text.sse")
    async with FakeServer() as server:
        model = OpenAIModel(api_key="sk-soak-0123456789", base_url=f"{server.url}/v1")

        async def one() -> str:
            return "".join([c.content or "" async for c in model.stream([Message.user("Hi")])])

        async def round_of(concurrency: int) -> tuple[int, int, int]:
            server.enqueue(*[Reply.sse(body, chunk_size=512) for _ in range(concurrency)])
            results = await asyncio.gather(*(one() for _ in range(concurrency)))
            assert results == [TEXT] * concurrency
            server.requests.clear()  # the test server's own records are not the client's
            await asyncio.sleep(0.05)
            gc.collect()
            open_connections = server.connections_opened - server.connections_closed
            return open_connections, len(asyncio.all_tasks()), tracemalloc.get_traced_memory()[0]

        tracemalloc.start()
        try:
            await round_of(500)  # 500 at once through the one shared pool
            samples = [await round_of(100) for _ in range(10)]
        finally:
            tracemalloc.stop()
        await model.close()
    connections, tasks, memory = zip(*samples, strict=True)
    # Idle keep-alive connections (and the server's task for each) stay within the pool's
    # keep-alive limit and do not grow from round to round; nor does memory.
    assert max(connections) <= 100
    assert max(tasks) <= 100 + 5
    assert connections[-1] <= max(connections[:3])
    assert tasks[-1] <= max(tasks[:3])
    # Memory: a leak grows every round, so the median growth from one round to the next is
    # about nothing. (A one-time step is no leak: with sniffio absent, httpcore retries its
    # import on every request, and under pytest's import hook that interns path strings,
    # which can resize the interpreter's table of interned strings once, by ~2 MB.)
    growth = sorted(after - before for before, after in itertools.pairwise(memory))
    assert growth[len(growth) // 2] <= 16 * 1024
    assert memory[-1] <= memory[0] + 4 * 1024 * 1024


@pytest.mark.parametrize("provider", STREAMS)
async def test_a_stream_waiting_for_its_next_read_holds_none_of_the_chunks_before(
    provider, monkeypatch
):
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", pem(new_key()).decode())
    name, content_type = STREAMS[provider]
    body = fixture_bytes(name)
    async with FakeServer() as server:
        # Half the answer in the first piece, the rest half a second later.
        server.enqueue(
            Reply(
                body=body,
                headers={"content-type": content_type},
                chunk_size=len(body) // 2 + 1,
                delay=0.5,
            )
        )
        model = streaming_model(provider, server.url)
        chunks = model.stream([Message.user("Hi")])
        refs = []
        while True:  # take what the first read gave, until the stream waits on the network
            pending = asyncio.ensure_future(anext(chunks))
            done, _ = await asyncio.wait({pending}, timeout=0.2)
            if not done:
                break
            refs.append(weakref.ref(pending.result()))
        assert refs
        gc.collect()
        assert [ref() for ref in refs] == [None] * len(refs)
        with contextlib.suppress(StopAsyncIteration):
            await pending
        await _drain(chunks)
        await model.close()


# Secret hygiene ------------------------------------------------------------------------------

OPENAI_KEY = "sk-SECRETOPENAIKEY-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-SECRETANTHROPIC-0123456789"
PASSPHRASE = "PASSPHRASE-SECRET-do-not-print-42"


async def test_no_secret_in_any_error_repr_log_or_warning(tmp_path, monkeypatch, caplog):
    key = new_key()
    key_pem = pem(key, passphrase=PASSPHRASE).decode()
    rpst = token(res_tenant="ocid1.tenancy.oc1..test")
    secrets = [
        OPENAI_KEY,
        ANTHROPIC_KEY,
        PASSPHRASE,
        rpst,
        *[line for line in key_pem.splitlines() if len(line) > 40],
    ]
    texts: list[str] = []

    def keep(thing) -> None:
        texts.extend([str(thing), repr(thing)])
        if isinstance(thing, ModelError):
            texts.append(thing.body or "")

    echo = json.dumps(
        {"error": {"message": f"bad key {OPENAI_KEY} / {ANTHROPIC_KEY}", "code": "invalid_api_key"}}
    ).encode()
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with FakeServer() as server:
            server.enqueue(
                Reply.json(echo, status=401),
                Reply.json(echo, status=401),
                Reply(status=503, body=b"busy"),
                Reply(status=503, body=b"busy"),
                Reply(
                    body=fixture_bytes("openai/error_midstream.sse"),
                    headers={"content-type": "text/event-stream"},
                    chunk_size=50,
                ),
                Reply.json(b'{"code":"NotAuthenticated","message":"no"}', status=401),
                Reply.json(b'{"code":"NotAuthenticated","message":"no"}', status=401),
            )
            policy = RetryPolicy(max_retries=1, sleep=lambda _: asyncio.sleep(0))
            openai = OpenAIModel(
                api_key=OPENAI_KEY, base_url=f"{server.url}/v1", retry_policy=policy
            )
            anthropic = AnthropicModel(
                api_key=ANTHROPIC_KEY, base_url=server.url, retry_policy=policy
            )
            for call in (
                lambda: openai.complete([Message.user("x")]),
                lambda: anthropic.complete([Message.user("x")]),
                lambda: openai.complete([Message.user("x")]),
                lambda: _drain(openai.stream([Message.user("x")])),
            ):
                with pytest.raises(LocusError) as info:
                    await call()
                keep(info.value)
            monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", rpst)
            monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_pem)
            monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE", PASSPHRASE)
            oci = OCIOpenAIModel(
                "openai.gpt-4.1",
                auth_type="resource_principal",
                compartment_id="ocid1.compartment.oc1..test",
                base_url=f"{server.url}/openai/v1",
                retry_policy=policy,
            )
            with pytest.raises(LocusError) as info:
                await oci.complete([Message.user("x")])
            keep(info.value)
            for model in (openai, anthropic, oci):
                keep(model)
                keep(model.config)
                keep(model.client)
        monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE", "wrong-" + PASSPHRASE)
        with pytest.raises(ConfigError) as info:  # the key is read when the first request is signed
            await OCIOpenAIModel(
                "openai.gpt-4.1",
                auth_type="resource_principal",
                compartment_id="ocid1.compartment.oc1..test",
                base_url="http://127.0.0.1:9/openai/v1",
            ).complete([Message.user("x")])
        keep(info.value)
        config = api_key_config(tmp_path, key, passphrase=PASSPHRASE)
        write_config(tmp_path, config.read_text().replace(PASSPHRASE, "nope-" + PASSPHRASE))
        with pytest.raises(ConfigError) as info:
            await OCIOpenAIModel(
                "openai.gpt-4.1", profile="work", config_file=str(config)
            ).complete([Message.user("x")])
        keep(info.value)
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(w.message) for w in caught]
    assert len(texts) > 20
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"a secret leaked into: {text[:200]}"


async def _drain(chunks) -> None:
    async for _ in chunks:
        pass
