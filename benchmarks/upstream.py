"""tests/fake_provider.py served with TCP_NODELAY, as a real provider's server is.

http.server writes the headers and the body in two sends; with Nagle's algorithm on, the body
waits for the client's delayed ACK (40 ms on Linux) and every keep-alive request looks slow.
"""

import argparse
import threading
from http.server import ThreadingHTTPServer

from tests.fake_provider import FakeProvider, _handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    provider = FakeProvider(models=args.models, latency_ms=args.latency_ms)
    handler = type("Handler", (_handler(provider),), {"disable_nagle_algorithm": True})
    # http.server's listen backlog of 5 would drop the SYNs of 64 connections opening at once.
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
    server = server_class(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
