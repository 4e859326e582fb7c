"""The `locus` command: `demo`, `chat` and `providers`.

`locus demo` needs no key and no network: it starts the fake server of `locus.testing`,
makes a throwaway OCI key and config, and runs every provider's real wire code against it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict

from locus import __version__
from locus.core.errors import ConfigError, LocusError
from locus.core.messages import Message, ToolCall
from locus.core.structured import build_response_format, parse_structured

__all__ = ["main"]

_COMPARTMENT = "ocid1.compartment.oc1..demo"
_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class WeatherReport(BaseModel):
    """The structured answer the demo asks for."""

    model_config = ConfigDict(defer_build=True)

    city: str
    temp_c: float
    conditions: str


@dataclass
class _Result:
    provider: str
    check: str
    ok: bool
    seconds: float
    tokens: int
    detail: str = ""


def _write_oci_config(directory: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = directory / "demo_key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    config = directory / "config"
    config.write_text(
        "[DEMO]\n"
        "user=ocid1.user.oc1..demo\n"
        "tenancy=ocid1.tenancy.oc1..demo\n"
        "fingerprint=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
        f"key_file={key_file}\n"
        "region=us-chicago-1\n"
    )
    return config


def _demo_models(server: Any, config: Path) -> dict[str, Any]:
    from locus.models.registry import get_model

    return {
        "openai": get_model(
            "openai:gpt-4o-mini", api_key="sk-demo-not-a-real-key", base_url=server.openai_url
        ),
        "anthropic": get_model(
            "anthropic:claude-sonnet-4-5", api_key="sk-ant-demo-not-a-real-key", base_url=server.url
        ),
        "ollama": get_model("ollama:llama3.2", base_url=server.url),
        "oci openai-compatible": get_model(
            "oci:openai.gpt-4.1",
            profile="DEMO",
            config_file=str(config),
            base_url=server.oci_openai_url,
            compartment_id=_COMPARTMENT,
        ),
        "oci native (cohere)": get_model(
            "oci:cohere.command-r-plus",
            profile_name="DEMO",
            config_file=str(config),
            service_endpoint=server.url,
            compartment_id=_COMPARTMENT,
        ),
    }


async def _check_complete(model: Any, server: Any) -> tuple[bool, int, str]:
    from locus.testing import Turn

    server.script(Turn(text="Hello from locus!"))
    reply = await model.complete([Message.user("Say hello")])
    return reply.content == "Hello from locus!", reply.total_tokens, repr(reply.content)


async def _check_stream(model: Any, server: Any) -> tuple[bool, int, str]:
    from locus.testing import Turn

    text = "Streaming works, one word at a time."
    server.script(Turn(text=text))
    chunks = [chunk async for chunk in model.stream([Message.user("Stream something")])]
    got = "".join(chunk.content or "" for chunk in chunks)
    final = chunks[-1]
    tokens = sum((final.usage or {}).get(k, 0) for k in ("prompt_tokens", "completion_tokens"))
    ok = got == text and final.done and len(chunks) > 3
    return ok, tokens, f"{len(chunks)} chunks"


async def _check_tools(model: Any, server: Any) -> tuple[bool, int, str]:
    from locus.testing import Turn

    server.script(Turn(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Oslo"})]))
    reply = await model.complete([Message.user("Weather in Oslo?")], tools=[_WEATHER_TOOL])
    calls = [(call.name, call.arguments) for call in reply.tool_calls]
    return calls == [("get_weather", {"city": "Oslo"})], reply.total_tokens, str(calls)


async def _check_structured(model: Any, server: Any) -> tuple[bool, int, str]:
    from locus.testing import Turn

    expected = WeatherReport(city="Oslo", temp_c=3.5, conditions="light snow")
    server.script(Turn(text=expected.model_dump_json()))
    reply = await model.complete(
        [Message.user("Weather in Oslo as JSON")],
        response_format=build_response_format(WeatherReport),
    )
    parsed = parse_structured(reply.content or "", WeatherReport).unwrap()
    return parsed == expected, reply.total_tokens, parsed.model_dump_json()


Check = Callable[[Any, Any], Awaitable[tuple[bool, int, str]]]
_CHECKS: dict[str, Check] = {
    "completion": _check_complete,
    "stream": _check_stream,
    "tool call": _check_tools,
    "structured": _check_structured,
}


async def _run_demo() -> list[_Result]:
    from locus.testing import FakeLLMServer

    results = []
    with tempfile.TemporaryDirectory(prefix="locus-demo-") as tmp:
        config = _write_oci_config(Path(tmp))
        from locus.auth.oci_config import read_key_file

        key = read_key_file(Path(tmp) / "demo_key.pem", None, profile="DEMO")
        async with FakeLLMServer(public_key=key.public_key()) as server:
            for provider, model in _demo_models(server, config).items():
                for name, check in _CHECKS.items():
                    started = time.perf_counter()
                    try:
                        ok, tokens, detail = await check(model, server)
                    except LocusError as exc:
                        ok, tokens, detail = False, 0, f"{type(exc).__name__}: {exc}"
                    seconds = time.perf_counter() - started
                    results.append(_Result(provider, name, ok, seconds, tokens, detail))
                await model.close()
            if not server.signed_key_ids:
                results.append(_Result("oci", "signatures", False, 0.0, 0, "none verified"))
    return results


def _demo(out: TextIO) -> int:
    results = asyncio.run(_run_demo())
    width = max(len(r.provider) for r in results)
    out.write(f"locus {__version__} demo: every provider against a local fake server\n\n")
    out.write(f"{'provider':<{width}}  {'check':<10}  {'result':<6}  {'time':>8}  {'tokens':>6}\n")
    for r in results:
        verdict = "ok" if r.ok else "FAILED"
        out.write(
            f"{r.provider:<{width}}  {r.check:<10}  {verdict:<6}  {r.seconds * 1000:>6.1f}ms"
            f"  {r.tokens:>6}\n"
        )
        if not r.ok:
            out.write(f"    {r.detail}\n")
    failed = sum(not r.ok for r in results)
    out.write(f"\n{len(results) - failed} passed, {failed} failed\n")
    return 0 if failed == 0 else 1


def _response_format(schema_file: str | None) -> dict[str, Any] | None:
    if schema_file is None:
        return None
    path = Path(schema_file)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--schema {path}: cannot read a JSON schema ({exc})") from None
    name = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in path.stem)[:64]
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


async def _chat_turn(
    model: Any, history: list[Message], options: dict[str, Any], as_json: bool, out: TextIO
) -> None:
    async for chunk in model.stream(history, **options):
        if as_json:
            out.write(chunk.model_dump_json(exclude_none=True) + "\n")
        elif chunk.content:
            out.write(chunk.content)
        out.flush()
        if chunk.done and chunk.message is not None:
            history.append(chunk.message)
    if not as_json:
        out.write("\n")


async def _chat(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> None:
    from locus.models.base import ChatModel
    from locus.models.registry import get_model

    settings = {
        key: value
        for key, value in (("temperature", args.temperature), ("max_tokens", args.max_tokens))
        if value is not None
    }
    model = get_model(args.model, **settings)
    options = {}
    response_format = _response_format(args.schema)
    if response_format is not None:
        options["response_format"] = response_format
    history = [Message.system(args.system)] if args.system else []
    try:
        if args.prompt:
            history.append(Message.user(args.prompt))
            await _chat_turn(model, history, options, args.json, out)
            return
        while True:
            out.write("> ")
            out.flush()
            line = stdin.readline()
            if not line or line.strip() in ("/exit", "/quit"):
                return
            if line.strip():
                history.append(Message.user(line.strip()))
                await _chat_turn(model, history, options, args.json, out)
    finally:
        if isinstance(model, ChatModel):
            await model.close()


_PROVIDER_SETUP = {
    "openai": ("OPENAI_API_KEY", "key from OPENAI_API_KEY; base URL from OPENAI_BASE_URL"),
    "anthropic": ("ANTHROPIC_API_KEY", "key from ANTHROPIC_API_KEY"),
    "ollama": ("OLLAMA_HOST", "no key; server from OLLAMA_HOST, else http://localhost:11434"),
    "oci": (
        "OCI_PROFILE",
        "signed with ~/.oci/config (OCI_PROFILE, else DEFAULT) or OCI_AUTH_TYPE principals",
    ),
}


def _providers(out: TextIO) -> int:
    from locus.models.registry import list_providers

    for name in list_providers():
        variable, how = _PROVIDER_SETUP.get(name, ("", "registered by the application"))
        state = ""
        if variable:
            state = f"  [{variable} {'set' if os.environ.get(variable) else 'not set'}]"
        out.write(f"{name:<10} {how}{state}\n")
    if Path("~/.oci/config").expanduser().exists():
        out.write("           ~/.oci/config found\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="locus", description="A thin client for LLM APIs.")
    parser.add_argument("--version", action="version", version=f"locus {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run every provider against a local fake server")
    commands.add_parser("providers", help="list providers and how each is configured")
    chat = commands.add_parser("chat", help="talk to a model, streaming the answer")
    chat.add_argument("model", help='"provider:model", e.g. openai:gpt-4o')
    chat.add_argument("prompt", nargs="?", help="one prompt; without it, a prompt loop")
    chat.add_argument("--system", help="a system message")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--max-tokens", type=int, dest="max_tokens")
    chat.add_argument("--schema", help="a JSON schema file: ask for a structured answer")
    chat.add_argument("--json", action="store_true", help="print events as JSON lines")
    return parser


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run the `locus` command; returns the exit status."""
    args = _parser().parse_args(argv)
    out = sys.stdout
    try:
        if args.command == "demo":
            return _demo(out)
        if args.command == "providers":
            return _providers(out)
        asyncio.run(_chat(args, out, stdin or sys.stdin))
    except ConfigError as exc:
        sys.stderr.write(f"locus: {exc}\n")
        return 2
    except (LocusError, ValueError) as exc:
        sys.stderr.write(f"locus: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
