"""Every benchmark figure, locus against its floor, measured in one run.

Run: `.venv/bin/python -m tests.bench.run` (a few minutes on a 2-core machine). Not collected
by pytest. The server (`tests.bench.server`) and the concurrency clients run in processes of
their own, so each client's CPU time and peak RSS are its own. Floors: raw `httpx` posting the
same JSON and `json.loads` of each line; `import httpx, pydantic, cryptography` plus one
`httpx.AsyncClient()` for imports; a bare `cryptography` RSA sign plus SHA-256 for signing.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

IMPORT_RUNS = 31
REQUESTS = 400
REQUEST_ROUNDS = 10
STREAM_CHUNKS = 10_000
STREAM_RUNS = 8
CONCURRENT, CONCURRENT_CHUNKS = 200, 500
SIGNING_ROUNDS = 15
BODY = {"model": "m", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 4096}
PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages", "ollama": "/api/chat"}

Row = tuple[str, str, str, float]


@contextmanager
def bench_server(chunks: int):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.server", str(chunks)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{int(process.stdout.readline())}"
    finally:
        process.terminate()
        process.wait()


def locus_model(provider: str, base: str) -> Any:
    from locus.models.registry import get_model

    if provider == "openai":
        return get_model("openai:m", api_key="sk-bench-0000000000", base_url=f"{base}/v1")
    if provider == "anthropic":
        return get_model("anthropic:m", api_key="sk-ant-bench-0000000000", base_url=base)
    return get_model("ollama:m", base_url=base)


# Imports --------------------------------------------------------------------------------------


def cold(statements: dict[str, tuple[str, dict[str, str]]]) -> dict[str, float]:
    """Median milliseconds of each statement in a fresh interpreter, runs interleaved.

    Each statement runs once first so every module imports from compiled bytecode, as from
    an installed package (`PYTHONDONTWRITEBYTECODE` is dropped for the children); then the
    statements take turns in a new random order each round, so a slow spell of the machine
    and the position in a round hit them alike.
    """
    runs: dict[str, list[float]] = {name: [] for name in statements}
    order = list(statements)
    for turn in range(IMPORT_RUNS + 1):
        random.shuffle(order)
        for name in order:
            statement, env = statements[name]
            code = (
                f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
            )
            seconds = float(subprocess.check_output([sys.executable, "-c", code], env=env))
            if turn:
                runs[name].append(seconds)
    return {name: statistics.median(values) * 1000 for name, values in runs.items()}


def _child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **overrides}


def oci_home() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    home = Path(tempfile.mkdtemp(prefix="locus-bench-"))
    (home / ".oci").mkdir()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (home / ".oci" / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (home / ".oci" / "config").write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..b\ntenancy=ocid1.tenancy.oc1..b\n"
        f"fingerprint=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\nkey_file={home}/.oci/key.pem\n"
    )
    return _child_env(HOME=str(home))


def imports() -> list[Row]:
    usable = "from locus.models.registry import get_model; get_model({!r}, **{!r}).client"
    env = _child_env()
    models = {
        "openai": (usable.format("openai:gpt-4o", {"api_key": "sk-bench-0000000000"}), env),
        "anthropic": (
            usable.format("anthropic:claude-sonnet-4-5", {"api_key": "sk-ant-bench-000000"}),
            env,
        ),
        "OCI OpenAI-compatible (profile)": (
            usable.format("oci:openai.gpt-4.1", {"profile": "DEFAULT"}),
            oci_home(),
        ),
    }
    times = cold(
        {
            "floor": ("import httpx, pydantic, cryptography; httpx.AsyncClient()", env),
            "httpx, pydantic": ("import httpx, pydantic", env),
            "registry": ("from locus.models.registry import get_model", env),
            **models,
        }
    )
    floor = times["floor"]
    rows: list[Row] = [
        (
            "cold import: registry vs `import httpx, pydantic`",
            f"{times['httpx, pydantic']:.0f} ms",
            f"{times['registry']:.0f} ms",
            times["registry"] / times["httpx, pydantic"],
        )
    ]
    for label in models:
        rows.append(
            (
                f"cold import to a usable {label} model",
                f"{floor:.0f} ms",
                f"{times[label]:.0f} ms",
                times[label] / floor,
            )
        )
    return rows


FIRST_FLOOR = """
import asyncio, json, httpx, pydantic, cryptography
async def main():
    async with httpx.AsyncClient() as client:
        json.loads((await client.post({url!r}, json={body!r})).content)
asyncio.run(main())
"""
FIRST_LOCUS = """
import asyncio
from locus.core.messages import Message
from locus.models.registry import get_model
async def main():
    async with get_model("openai:gpt-4o", api_key="sk-bench-0000000000", base_url={base!r}) as m:
        await m.complete([Message.user("Hello!")])
asyncio.run(main())
"""


def first_answer() -> list[Row]:
    """Start to the first answer: imports, the client or model, one request (no target)."""
    env = _child_env()
    with bench_server(STREAM_CHUNKS) as base:
        url = base + PATHS["openai"]
        times = cold(
            {
                "floor": (FIRST_FLOOR.format(url=url, body=BODY), env),
                "locus": (FIRST_LOCUS.format(base=f"{base}/v1"), env),
            }
        )
    return [
        (
            "cold start to a first OpenAI answer (no target)",
            f"{times['floor']:.0f} ms",
            f"{times['locus']:.0f} ms",
            times["locus"] / times["floor"],
        )
    ]


# Requests and streams -------------------------------------------------------------------------


class Tally:
    """Wall and CPU seconds per item, one entry per round, for one side."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.count = 0

    @property
    def wall_per_item(self) -> float:
        """The median round's wall seconds per item."""
        return statistics.median(self.wall)

    @property
    def cpu_per_item(self) -> float:
        """The median round's CPU seconds per item."""
        return statistics.median(self.cpu)


async def side_by_side(
    rounds: int, per_round: int, *calls: Callable[[], Awaitable[int]]
) -> list[Tally]:
    """Run the calls in turns, `per_round` times each per round, after one warm-up call each.

    Taking turns, the floor and locus meet the same slow spells of the machine; the median
    round of each side is reported, so one disturbed round does not decide a figure.
    """
    tallies = [Tally() for _ in calls]
    for call in calls:
        await call()
    for _ in range(rounds):
        for call, tally in zip(calls, tallies, strict=True):
            wall, clock, count = time.perf_counter(), time.process_time(), 0
            for _ in range(per_round):
                count += await call()
            tally.wall.append((time.perf_counter() - wall) / count)
            tally.cpu.append((time.process_time() - clock) / count)
            tally.count += count
    return tallies


async def raw_stream(client: httpx.AsyncClient, path: str) -> int:
    count = 0
    async with client.stream("POST", path, json={**BODY, "stream": True}) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:])
                count += 1
            elif line.startswith("{"):
                json.loads(line)
                count += 1
    return count


async def requests_and_streams(base: str) -> list[Row]:
    from locus.core.messages import Message

    rows: list[Row] = []
    messages = [Message.user("Hello!")]
    async with httpx.AsyncClient(base_url=base) as raw:
        model = locus_model("openai", base)

        async def raw_complete() -> int:
            json.loads((await raw.post(PATHS["openai"], json=BODY)).content)
            return 1

        async def locus_complete() -> int:
            await model.complete(messages)
            return 1

        floor, ours = await side_by_side(
            REQUEST_ROUNDS, REQUESTS // REQUEST_ROUNDS, raw_complete, locus_complete
        )
        rows.append(
            (
                "client CPU per non-streaming request",
                f"{floor.cpu_per_item * 1e6:.0f} µs",
                f"{ours.cpu_per_item * 1e6:.0f} µs",
                ours.cpu_per_item / floor.cpu_per_item,
            )
        )
        for provider, path in PATHS.items():
            model = locus_model(provider, base)

            async def floor_call(path: str = path) -> int:
                return await raw_stream(raw, path)

            async def locus_call(model: Any = model) -> int:
                count = 0
                async for chunk in model.stream(messages):
                    count += chunk.content is not None
                return count

            floor, ours = await side_by_side(STREAM_RUNS, 1, floor_call, locus_call)
            assert ours.count == STREAM_RUNS * STREAM_CHUNKS, (provider, ours.count)
            floor_rate, ours_rate = 1 / floor.wall_per_item, 1 / ours.wall_per_item
            rows.append(
                (
                    f"{provider} stream, chunks/s",
                    f"{floor_rate:,.0f}",
                    f"{ours_rate:,.0f}",
                    ours_rate / floor_rate,
                )
            )
    return rows


# Concurrency ----------------------------------------------------------------------------------


async def _concurrent_client(side: str, base: str) -> None:
    from locus.core.messages import Message

    started = time.perf_counter()
    if side == "floor":
        async with httpx.AsyncClient(
            base_url=base, limits=httpx.Limits(max_connections=1000)
        ) as client:
            counts = await asyncio.gather(
                *(raw_stream(client, PATHS["openai"]) for _ in range(CONCURRENT))
            )
    else:
        model = locus_model("openai", base)

        async def one() -> int:
            count = 0  # count as the floor does, keeping no chunk
            async for chunk in model.stream([Message.user("Hi")]):
                count += chunk.content is not None
            return count

        counts = await asyncio.gather(*(one() for _ in range(CONCURRENT)))
    assert sum(counts) >= CONCURRENT * CONCURRENT_CHUNKS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": time.perf_counter() - started, "rss": rss}))


def concurrency() -> list[Row]:
    with bench_server(CONCURRENT_CHUNKS) as base:
        results = {}
        for side in ("floor", "locus"):
            out = subprocess.check_output(
                [sys.executable, "-m", "tests.bench.run", "--concurrent", side, base]
            )
            results[side] = json.loads(out)
    floor, ours = results["floor"], results["locus"]
    label = f"{CONCURRENT} concurrent streams x {CONCURRENT_CHUNKS} chunks"
    return [
        (
            f"{label}: wall",
            f"{floor['wall']:.2f} s",
            f"{ours['wall']:.2f} s",
            ours["wall"] / floor["wall"],
        ),
        (
            f"{label}: peak RSS",
            f"{floor['rss']:.0f} MiB",
            f"{ours['rss']:.0f} MiB",
            ours["rss"] / floor["rss"],
        ),
    ]


# Signing and size -----------------------------------------------------------------------------


def signing() -> list[Row]:
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.hashes import SHA256

    from locus.auth.oci_signer import sign_request

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = json.dumps({**BODY, "messages": [{"role": "user", "content": "Hello! " * 40}]}).encode()
    url = (
        "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"
    )

    def floor() -> None:
        hashlib.sha256(body).digest()
        key.sign(b"date: x\n(request-target): post /x\nhost: h", padding.PKCS1v15(), SHA256())

    # The request is built once, as the transport builds it; signing is what is measured.
    request = httpx.Request("POST", url, content=body, headers={"opc-compartment-id": "ocid1.c"})

    def ours() -> None:
        sign_request(request, "t/u/f", key, extra=("opc-compartment-id",))

    # In turns, 200 calls a round; pure CPU work, so the fastest round of each side counts,
    # as with `timeit`: a disturbance only ever adds time.
    rounds: dict[Callable[[], None], list[float]] = {floor: [], ours: []}
    for _ in range(SIGNING_ROUNDS):
        for call, times in rounds.items():
            clock = time.process_time()
            for _ in range(200):
                call()
            times.append((time.process_time() - clock) / 200 * 1e6)
    floor_us, ours_us = (min(times) for times in rounds.values())
    return [
        (
            "CPU per OCI-signed request",
            f"{floor_us:.0f} µs",
            f"{ours_us:.0f} µs",
            ours_us / floor_us,
        )
    ]


def _closure(names: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement whose marker excludes this Python
        seen.add(name)
        for requirement in requirements:
            if "extra ==" not in requirement:
                todo.append(
                    requirement.split(";")[0]
                    .split("[")[0]
                    .split("<")[0]
                    .split(">")[0]
                    .split("=")[0]
                    .split("!")[0]
                    .split("~")[0]
                    .strip()
                )
    return seen


def _size(names: set[str]) -> float:
    total = 0
    for name in names:
        for file in importlib.metadata.files(name) or ():
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / (1 << 20)


def size() -> list[Row]:
    floor = _closure(["httpx", "pydantic", "cryptography"])
    ours = _closure(["locus-wire"])
    extra = ours - floor - {"locus-wire"}
    note = f" (+ {', '.join(sorted(extra))})" if extra else ""
    return [
        (
            "installed size with dependencies",
            f"{_size(floor):.1f} MiB",
            f"{_size(ours):.1f} MiB{note}",
            _size(ours) / _size(floor),
        )
    ]


def main() -> None:
    if sys.argv[1:2] == ["--concurrent"]:
        asyncio.run(_concurrent_client(sys.argv[2], sys.argv[3]))
        return
    rows = imports() + first_answer()
    with bench_server(STREAM_CHUNKS) as base:
        rows += asyncio.run(requests_and_streams(base))
    rows += concurrency() + signing() + size()
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'floor':>14}  {'locus':>14}  {'ratio':>6}")
    for figure, floor, ours, ratio in rows:
        print(f"{figure:<{width}}  {floor:>14}  {ours:>14}  {ratio:>5.2f}x")


if __name__ == "__main__":
    main()
