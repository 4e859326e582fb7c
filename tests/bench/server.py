"""A benchmark server on 127.0.0.1, run in its own process: `python -m tests.bench.server`.

Answers every POST with a canned OpenAI-format body: a JSON completion, or (when the request
asks to stream) an SSE stream of N chunks sent in 16 KiB writes. Prints its port on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1763980000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I help you today?",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 19, "completion_tokens": 9, "total_tokens": 28},
    },
    indent=2,
).encode()


def openai_stream(chunks: int) -> bytes:
    head = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1763980000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":'
    lines = [
        f'data: {head}{json.dumps(f" tok{i}")}}},"logprobs":null,"finish_reason":null}}],"usage":null,"obfuscation":"abc"}}\n\n'
        for i in range(chunks)
    ]
    lines.append(
        'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1763980000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n'
    )
    usage = {"prompt_tokens": 5, "completion_tokens": chunks, "total_tokens": chunks + 5}
    lines.append(
        'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1763980000,"model":"gpt-4o-mini","choices":[],"usage":'
        + json.dumps(usage, separators=(",", ":"))
        + "}\n\n"
    )
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stream: bytes) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            if b'"stream":true' in body:
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                )
                for i in range(0, len(stream), 16384):
                    piece = stream[i : i + 16384]
                    writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            else:
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                    % len(COMPLETION)
                )
                writer.write(COMPLETION)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    chunks = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    stream = openai_stream(chunks)
    server = await asyncio.start_server(lambda r, w: handle(r, w, stream), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
