"""A streaming WSGI app beside the gateway, in one server: SSE streams from a silent "provider".

/bench-stream?chunks=50&interval=0.2 sends `chunks` SSE events, one every `interval` seconds;
&silent=S waits S seconds after the first event (as a provider thinking), sending a heartbeat
every 0.25 s when &heartbeat=empty (an empty chunk) or comment (an SSE comment line). When the
server calls the iterator's close(), the time is appended to $BENCH_STREAM_CLOSED, so the
benchmark sees how soon a departed client's stream is closed. Everything else is the gateway.
"""

import os
import time
from urllib.parse import parse_qs

from gateway_project.wsgi import application as gateway

HEARTBEAT = {"empty": b"", "comment": b": keep-alive\n\n"}
PATH = "/bench-stream"


class Events:
    """The stream as an iterator with close(), as a provider-backed stream would be."""

    def __init__(self, *, name: str, chunks: int, interval: float, silent: float, beat: str):
        self.name, self.chunks, self.interval = name, chunks, interval
        self.silent, self.beat = silent, HEARTBEAT.get(beat)

    def __iter__(self):
        for n in range(self.chunks):
            if n:
                time.sleep(self.interval)
            yield b'data: {"n": %d, "t": %.6f}\n\n' % (n, time.time())
            if n == 0 and self.silent:
                yield from self.wait()

    def wait(self):
        until = time.monotonic() + self.silent
        while (left := until - time.monotonic()) > 0:
            time.sleep(min(left, 0.25) if self.beat is not None else left)
            if self.beat is not None:
                yield self.beat

    def close(self):
        record = os.environ.get("BENCH_STREAM_CLOSED")
        if record:
            with open(record, "a") as out:
                out.write(f"{self.name} {time.time():.6f}\n")


def application(environ, start_response):
    if environ["PATH_INFO"] != PATH:
        return gateway(environ, start_response)
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
    return Events(
        name=query.get("name", ""),
        chunks=int(query.get("chunks", "50")),
        interval=float(query.get("interval", "0.2")),
        silent=float(query.get("silent", "0")),
        beat=query.get("heartbeat", "none"),
    )
