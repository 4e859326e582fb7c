"""Shared fixtures: a clean environment, transcript loading, a local HTTP server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from locus.testing import FakeServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_SCRUBBED_PREFIXES = ("OPENAI_", "ANTHROPIC_", "OLLAMA_", "OCI_")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's keys, hosts, OCI settings or proxies."""
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) or name.lower() in _PROXY_VARIABLES:
            monkeypatch.delenv(name)


def fixture_bytes(relative: str) -> bytes:
    """The bytes of a transcript under `fixtures/`, exactly as on the wire."""
    return (FIXTURES / relative).read_bytes()


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as running:
        yield running


@pytest.fixture(scope="session")
def rsa_key():
    """A key pair made for the test session; no PEM is ever committed."""
    from tests.oci_helpers import new_key

    return new_key()
