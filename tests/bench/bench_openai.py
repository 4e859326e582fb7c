"""Benchmarks of the foundation against a raw-httpx floor, on a 127.0.0.1 server process.

Run: `.venv/bin/python -m tests.bench.bench_openai`. Prints, for locus and for the floor:
cold import time (the registry alone, against `import httpx, pydantic`; and a usable model,
against `import httpx, pydantic, cryptography` plus one `httpx.AsyncClient()`), client CPU per
non-streaming request, and chunks/s and CPU for a 10,000-chunk stream. Not collected by
pytest.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from locus.core.messages import Message
from locus.models.registry import get_model

CHUNKS = 10_000
REQUESTS = 400
STREAMS = 5
IMPORT_RUNS = 15

BODY = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello!"}],
    "max_tokens": 4096,
}


def cold_import(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(runs) * 1000


async def measure(n: int, call: Callable[[], Awaitable[int]]) -> tuple[float, float, int]:
    await call()  # warm the connection
    wall, cpu = time.perf_counter(), time.process_time()
    count = 0
    for _ in range(n):
        count += await call()
    return time.perf_counter() - wall, time.process_time() - cpu, count


async def run(base: str) -> list[tuple[str, str, str, str]]:
    rows = []
    model = get_model("openai:gpt-4o-mini", api_key="sk-bench-0000000000", base_url=f"{base}/v1")
    messages = [Message.user("Hello!")]

    async with httpx.AsyncClient(
        base_url=base, headers={"authorization": "Bearer sk-bench"}
    ) as raw:

        async def raw_complete() -> int:
            response = await raw.post("/v1/chat/completions", json=BODY)
            json.loads(response.content)
            return 1

        async def locus_complete() -> int:
            await model.complete(messages)
            return 1

        async def raw_stream() -> int:
            count = 0
            async with raw.stream(
                "POST", "/v1/chat/completions", json={**BODY, "stream": True}
            ) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        json.loads(line[6:])
                        count += 1
            return count

        async def locus_stream() -> int:
            return len([chunk async for chunk in model.stream(messages) if chunk.content])

        _, floor_cpu, _ = await measure(REQUESTS, raw_complete)
        _, locus_cpu, _ = await measure(REQUESTS, locus_complete)
        rows.append(
            (
                "client CPU per non-streaming request",
                f"{floor_cpu / REQUESTS * 1e6:.0f} µs",
                f"{locus_cpu / REQUESTS * 1e6:.0f} µs",
                f"{locus_cpu / floor_cpu:.2f}x",
            )
        )
        floor_wall, floor_cpu, floor_n = await measure(STREAMS, raw_stream)
        locus_wall, locus_cpu, locus_n = await measure(STREAMS, locus_stream)
        assert locus_n == STREAMS * CHUNKS, locus_n
        rows.append(
            (
                f"{CHUNKS:,}-chunk stream: chunks/s",
                f"{floor_n / floor_wall:,.0f}",
                f"{locus_n / locus_wall:,.0f}",
                f"{(locus_n / locus_wall) / (floor_n / floor_wall):.2f}x",
            )
        )
        rows.append(
            (
                f"{CHUNKS:,}-chunk stream: client CPU per stream",
                f"{floor_cpu / STREAMS * 1000:.1f} ms",
                f"{locus_cpu / STREAMS * 1000:.1f} ms",
                f"{locus_cpu / floor_cpu:.2f}x",
            )
        )
    await model.close()
    return rows


def main() -> None:
    floor_import = cold_import("import httpx, pydantic")
    locus_import = cold_import("from locus.models.registry import get_model")
    floor_usable = cold_import("import httpx, pydantic, cryptography; httpx.AsyncClient()")
    locus_usable = cold_import(
        "from locus.models.registry import get_model; "
        "get_model('openai:gpt-4o', api_key='sk-bench-0000000000').client"
    )
    rows = [
        (
            "cold import: `from locus.models.registry import get_model`",
            f"{floor_import:.0f} ms",
            f"{locus_import:.0f} ms",
            f"{locus_import / floor_import:.2f}x",
        ),
        (
            "cold import to a usable OpenAI model (`get_model(...)` + `.client`)",
            f"{floor_usable:.0f} ms",
            f"{locus_usable:.0f} ms",
            f"{locus_usable / floor_usable:.2f}x",
        ),
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.server", str(CHUNKS)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        rows += asyncio.run(run(f"http://127.0.0.1:{port}"))
    finally:
        server.terminate()
        server.wait()
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'raw httpx':>12}  {'locus':>12}  {'ratio':>6}")
    for figure, floor, ours, ratio in rows:
        print(f"{figure:<{width}}  {floor:>12}  {ours:>12}  {ratio:>6}")


if __name__ == "__main__":
    main()
