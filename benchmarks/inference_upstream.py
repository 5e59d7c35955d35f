"""A fake OpenAI-compatible provider for benchmarks/inference.py, in its own process.

POST /v1/chat/completions answers JSON at once, or with `"stream": true` streams
`x_bench_chunks` chunks (default 5) `x_bench_interval` seconds apart (default 0), each
chunk's content its own index, then the usage chunk when asked and `[DONE]`; GET /v1/models
lists three models. The `x_bench_*` fields reach it only because the gateway forwards
unknown fields.
"""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODELS = ("bench-chat", "bench-mini", "bench-embed")
USAGE = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}


def _chunk(index: int | None, model: str) -> bytes:
    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": model}
    choices = [] if index is None else [{"index": 0, "delta": {"content": f"{index} "}}]
    body = {**head, "choices": choices, **({"usage": USAGE} if index is None else {})}
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 (http.server's naming)
        items = [{"id": m, "object": "model", "created": 1, "owned_by": "bench"} for m in MODELS]
        self._json({"object": "list", "data": items})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        model = body.get("model", "bench-chat")
        if body.get("stream") is not True:
            message = {"role": "assistant", "content": "Hello from the bench."}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            head = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1}
            self._json({**head, "model": model, "choices": [choice], "usage": USAGE})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        usage = (body.get("stream_options") or {}).get("include_usage") is True
        pieces = [_chunk(i, model) for i in range(int(body.get("x_bench_chunks", 5)))]
        pieces += [_chunk(None, model)] if usage else []
        interval = float(body.get("x_bench_interval", 0))
        try:
            for number, piece in enumerate([*pieces, b"data: [DONE]\n\n"]):
                if number and interval:
                    time.sleep(interval)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 1024})
    server = server_class(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
