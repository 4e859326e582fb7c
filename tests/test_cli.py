"""The `locus` command through its entry points, against the fake server."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys

import pytest

from locus.cli import main
from locus.testing import FakeLLMServer, Turn


def test_demo_through_python_dash_m_passes_every_check():
    done = subprocess.run(
        [sys.executable, "-m", "locus", "demo"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "20 passed, 0 failed" in done.stdout
    for provider in (
        "openai",
        "anthropic",
        "ollama",
        "oci openai-compatible",
        "oci native (cohere)",
    ):
        assert done.stdout.count(f"\n{provider} ") == 4
    assert done.stderr == ""


async def run_cli(argv, stdin=""):
    out = io.StringIO()

    def call():
        sys_stdout, sys.stdout = sys.stdout, out
        try:
            return main(argv, stdin=io.StringIO(stdin))
        finally:
            sys.stdout = sys_stdout

    status = await asyncio.to_thread(call)
    return status, out.getvalue()


async def test_chat_streams_one_answer(monkeypatch):
    async with FakeLLMServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-123456")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        server.script(Turn(text="Paris is the capital."))
        status, out = await run_cli(
            [
                "chat",
                "openai:gpt-4o-mini",
                "Capital of France?",
                "--system",
                "Be brief.",
                "--temperature",
                "0.1",
                "--max-tokens",
                "50",
            ]
        )
        assert (status, out) == (0, "Paris is the capital.\n")
        body = server.requests[0].json()
        assert body["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
        ]
        assert (body["temperature"], body["max_tokens"], body["stream"]) == (0.1, 50, True)


async def test_chat_loop_keeps_history_and_json_events(monkeypatch, tmp_path):
    schema = tmp_path / "answer.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}}))
    async with FakeLLMServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-123456")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        server.script(Turn(text='{"n": 1}'), Turn(text='{"n": 2}'))
        status, out = await run_cli(
            ["chat", "openai:gpt-4o", "--json", "--schema", str(schema)],
            stdin="one\n\ntwo\n/exit\n",
        )
        assert status == 0
        events = [json.loads(line) for line in out.replace("> ", "").splitlines() if line.strip()]
        assert [e.get("content") for e in events if e.get("content")] == [
            '{"n":',
            " 1}",
            '{"n":',
            " 2}",
        ]
        assert sum(e.get("done", False) for e in events) == 2
        second = server.requests[1].json()
        assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
        assert second["response_format"]["json_schema"]["name"] == "answer"


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (
            ["chat", "openai:gpt-4o", "hi"],
            2,
            "locus: openai: no API key: set OPENAI_API_KEY or pass api_key=",
        ),
        (["chat", "nope:x", "hi"], 1, "locus: unknown provider 'nope'"),
        (
            ["chat", "openai:gpt-4o", "hi", "--schema", "/no/such.json"],
            2,
            "locus: --schema /no/such.json: cannot read a JSON schema",
        ),
    ],
)
def test_chat_problems_are_one_line_messages(argv, status, message, capsys):
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_providers_lists_each_with_its_setup_and_no_secret(monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value-123")
    assert main(["providers"]) == 0
    out = capsys.readouterr().out
    assert "openai     key from OPENAI_API_KEY" in out
    assert "[OPENAI_API_KEY set]" in out
    assert "[ANTHROPIC_API_KEY not set]" in out
    assert "sk-very-secret" not in out
    assert [line.split()[0] for line in out.splitlines() if not line.startswith(" ")] == [
        "openai",
        "anthropic",
        "ollama",
        "oci",
    ]


def test_demo_in_process_reports_every_check(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok ") == 20
    assert out.rstrip().endswith("20 passed, 0 failed")
