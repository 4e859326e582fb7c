"""A benchmark server on 127.0.0.1, run in its own process: `python -m tests.bench.server N`.

Answers POSTs with canned bodies in the format of the path: OpenAI (`/v1/chat/completions`),
Anthropic (`/v1/messages`) and Ollama (`/api/chat`), a JSON completion or, when the request
streams, N chunks sent in 16 KiB writes. Prints its port on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys

TEXT = "Hello! How can I help you today?"


def _openai(chunks: int) -> tuple[bytes, bytes]:
    complete = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1763980000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": TEXT, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 19, "completion_tokens": 9, "total_tokens": 28},
    }
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
    return json.dumps(complete, indent=2).encode(), "".join(lines).encode()


def _anthropic(chunks: int) -> tuple[bytes, bytes]:
    message = {
        "model": "claude-sonnet-4-5",
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 12},
    }
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    }
    events = [
        f"event: message_start\ndata: {json.dumps({'type': 'message_start', 'message': start})}\n\n"
    ]
    events.append(
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    )
    events += [
        f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{json.dumps(f" tok{i}")}}}}}\n\n'
        for i in range(chunks)
    ]
    events.append('event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n')
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": chunks},
    }
    events.append(f"event: message_delta\ndata: {json.dumps(delta)}\n\n")
    events.append('event: message_stop\ndata: {"type":"message_stop"}\n\n')
    return json.dumps(message).encode(), "".join(events).encode()


def _ollama(chunks: int) -> tuple[bytes, bytes]:
    def line(content: str, **extra: object) -> str:
        return (
            json.dumps(
                {
                    "model": "llama3.2",
                    "created_at": "2025-11-24T10:00:00.000000000Z",
                    "message": {"role": "assistant", "content": content},
                    "done": False,
                    **extra,
                },
                separators=(",", ":"),
            )
            + "\n"
        )

    final = {
        "done_reason": "stop",
        "done": True,
        "total_duration": 1,
        "load_duration": 1,
        "prompt_eval_count": 5,
        "prompt_eval_duration": 1,
        "eval_count": chunks,
        "eval_duration": 1,
    }
    body = "".join(line(f" tok{i}") for i in range(chunks)) + line("", **final)
    complete = json.loads(line(TEXT, **final))
    return json.dumps(complete).encode(), body.encode()


async def handle(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    bodies: dict[str, tuple[bytes, bytes]],
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            complete, stream = bodies[path]
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
                    % len(complete)
                )
                writer.write(complete)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    chunks = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    bodies = {
        "/v1/chat/completions": _openai(chunks),
        "/v1/messages": _anthropic(chunks),
        "/api/chat": _ollama(chunks),
    }
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, bodies), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
