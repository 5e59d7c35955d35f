"""A fake OpenAI- and Anthropic-shaped provider on 127.0.0.1, for end-to-end tests and benchmarks.

Run alone: python -m tests.fake_provider --port 9100 --models 50 --latency-ms 0
"""

import argparse
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeProvider:
    """Serves `models` model ids; OpenAI under /v1, Anthropic (paged) under /anthropic/v1."""

    def __init__(self, *, models=3, latency_ms=0.0, api_key=""):
        self.ids = [f"model-{i:05d}" for i in range(models)] if isinstance(models, int) else models
        self.latency = latency_ms / 1000
        self.api_key = api_key
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def openai_item(self, model_id):
        return {"id": model_id, "object": "model", "created": 1715367049, "owned_by": "fake-org"}

    def anthropic_item(self, model_id):
        return {
            "type": "model",
            "id": model_id,
            "display_name": model_id.title(),
            "created_at": "2025-05-22T00:00:00Z",
        }

    def answer(self, path, query, headers):
        """(status, body) for a GET."""
        with self.lock:
            self.requests.append((path, dict(headers)))
        if self.latency:
            time.sleep(self.latency)
        if path.startswith("/anthropic/"):
            if self.api_key and headers.get("x-api-key") != self.api_key:
                return 401, {
                    "type": "error",
                    "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                }
            return self.anthropic_page(query)
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {
                "error": {
                    "message": "Incorrect API key provided.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        if path == "/v1/models":
            return 200, {"object": "list", "data": [self.openai_item(i) for i in self.ids]}
        model_id = path.removeprefix("/v1/models/")
        if path.startswith("/v1/models/") and model_id in self.ids:
            return 200, self.openai_item(model_id)
        return 404, {
            "error": {
                "message": f"The model '{model_id}' does not exist",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        }

    def anthropic_page(self, query):
        limit = int(query.get("limit", ["20"])[0])
        after = query.get("after_id", [None])[0]
        start = self.ids.index(after) + 1 if after in self.ids else 0
        page = self.ids[start : start + limit]
        return 200, {
            "data": [self.anthropic_item(i) for i in page],
            "has_more": start + limit < len(self.ids),
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }


def _handler(provider: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without it, each keep-alive answer waits ~40 ms for the client's delayed ACK.
        disable_nagle_algorithm = True

        def do_GET(self):  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = provider.answer(parts.path, parse_qs(parts.query), headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 overflows under load tests
    daemon_threads = True


@contextmanager
def serve(provider: FakeProvider, port: int = 0):
    """Run `provider` on 127.0.0.1 in a thread; yields its base URL (no trailing slash)."""
    server = _Server(("127.0.0.1", port), _handler(provider))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with serve(FakeProvider(models=args.models, latency_ms=args.latency_ms), args.port) as url:
        print(url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
