"""Long-lived streams under the production server: 500 SSE streams beside a cached load.

python -m benchmarks.streams [--streams 500] [--chunks 50] [--interval 0.2] [--threads N]
(127.0.0.1 only; needs wrk). The server runs benchmarks/stream_app.py: the gateway plus a
streaming WSGI app. Reported: every stream complete and in order, time to first byte, how
late chunks arrive (unbuffered: milliseconds), the server's peak RSS and threads, the p99 of
a cached /v1/models load with and without the streams, and how soon the server calls the
app's close() after a client leaves a stream that is waiting on a silent provider.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import processes, seed
from benchmarks.load import Result, fetch, wrk

HOST = processes.HOST


@dataclass
class Stream:
    events: list[int] = field(default_factory=list)
    first_byte: float = 0.0  # seconds from sending the request to the first event
    late: float = 0.0  # largest delay from the server writing an event to its arrival
    error: str = ""


async def open_stream(port: int, query: str) -> tuple:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        f"GET /bench-stream?{query} HTTP/1.1\r\nHost: {HOST}\r\n"
        "Accept: text/event-stream\r\nConnection: close\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
    return reader, writer


async def events(reader):
    """SSE data events of a chunked body, as they arrive: (payload, arrival time)."""
    buffer = b""
    while size := int((await reader.readline()).strip() or b"0", 16):
        buffer += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            if event.startswith(b"data: "):
                yield json.loads(event[6:]), time.time()


async def one(port: int, query: str) -> Stream:
    stream, sent = Stream(), time.monotonic()
    try:
        reader, writer = await open_stream(port, query)
        async for payload, arrived in events(reader):
            if not stream.events:
                stream.first_byte = time.monotonic() - sent
            stream.events.append(payload["n"])
            stream.late = max(stream.late, arrived - payload["t"])
        writer.close()
    except (OSError, RuntimeError, asyncio.IncompleteReadError, ValueError) as exc:
        stream.error = f"{type(exc).__name__}: {exc}"[:120]
    return stream


class Sampler(threading.Thread):
    """The workers' thread counts, every 0.2 s: the largest seen."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.done, self.threads = pids, threading.Event(), dict.fromkeys(pids, 0)

    def run(self):
        while not self.done.wait(0.2):
            for pid in self.pids:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("Threads:"):
                        self.threads[pid] = max(self.threads[pid], int(line.split()[1]))


def load_during(url: str, headers: dict, seconds: int, out: list) -> threading.Thread:
    def run():
        out.append(wrk(url, connections=16, seconds=seconds, headers=headers))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


async def many(port: int, args) -> list[Stream]:
    query = f"chunks={args.chunks}&interval={args.interval}"
    return await asyncio.gather(*(one(port, query) for _ in range(args.streams)))


async def departures(port: int, closed: Path, silent: float = 5.0) -> list[str]:
    """A client leaves after the first event while the app waits on a silent provider."""
    lines = []
    for beat in ("none", "empty", "comment"):
        delays = []
        for n in range(3):
            name = f"{beat}-{n}"
            query = f"chunks=2&silent={silent}&heartbeat={beat}&name={name}"
            reader, writer = await open_stream(port, query)
            async for _ in events(reader):
                break
            writer.close()
            left = time.time()
            while time.time() - left < silent + 3:
                found = [f for f in map(str.split, closed.read_text().splitlines()) if len(f) == 2]
                when = next((float(t) for who, t in found if who == name), None)
                if when:
                    delays.append(when - left)
                    break
                await asyncio.sleep(0.02)
        shown = ", ".join(f"{d:.2f}" for d in delays) or "never"
        lines.append(f"  heartbeat {beat:<8} close() after the client left: {shown} s")
    return lines


def report(streams: list[Stream], args, alone: Result, loaded: Result, rss, threads) -> None:
    complete = [s for s in streams if s.events == list(range(args.chunks))]
    errors = [s.error for s in streams if s.error]
    firsts = sorted(s.first_byte for s in streams if s.events)
    late = sorted(s.late for s in streams if s.events)
    print(
        f"\n{args.streams} SSE streams x {args.chunks} chunks every {args.interval:g} s, "
        f"GATEWAY_THREADS={args.threads}:"
    )
    print(f"  complete, every chunk in order: {len(complete)} of {args.streams}")
    if errors:
        print(f"  errors: {len(errors)}, e.g. {errors[0]}")
    if firsts:
        p99 = firsts[int(len(firsts) * 0.99) - 1]
        print(
            f"  time to first byte: median {statistics.median(firsts) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {firsts[-1] * 1000:.1f} ms"
        )
        print(
            "  chunk delay (server write -> client read), worst per stream: median "
            f"{statistics.median(late) * 1000:.1f} ms, max {late[-1] * 1000:.1f} ms"
        )
    print(f"  server peak RSS: {rss:.0f} MB (all processes); peak threads per worker: {threads}")
    for label, result in (("alone", alone), ("during the streams", loaded)):
        print(
            f"  cached /v1/models at 16 connections {label}: {result.rps:,.0f} req/s, "
            f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.errors} errors"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=0, help="GATEWAY_THREADS; 0: default")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-streams-"))
    closed = work / "closed.txt"
    closed.touch()
    env = seed.environment(
        database_url=f"sqlite:///{work / 'bench.sqlite3'}", cache_url="", provider_hosts=[HOST]
    )
    seed.django_start(env)
    fixture = seed.table_fixture(provider_url=f"http://{HOST}:9")
    env["BENCH_STREAM_CLOSED"] = str(closed)
    if args.threads:
        env["GATEWAY_THREADS"] = str(args.threads)
    args.threads = args.threads or "default"
    command = [*processes.GATEWAY_COMMAND, "--app", "benchmarks.stream_app:application"]
    process, url = processes.serve(command, env=env, logs=work, name="streams", ready="/healthz")
    print(f"logs in {work}", flush=True)
    headers = {"Accept-Encoding": "gzip", "x-portkey-api-key": fixture.small_key}
    seconds = int(args.chunks * args.interval)
    with process:
        port = int(url.rsplit(":", 1)[1])
        assert fetch(url + "/v1/models", headers)[0] == 200
        wrk(url + "/v1/models", connections=16, seconds=1, headers=headers)
        alone = wrk(url + "/v1/models", connections=16, seconds=seconds, headers=headers)
        workers = processes.children(process.pid)
        processes.peak_rss_reset(processes.tree(process.pid))
        sampler = Sampler(workers)
        sampler.start()
        during: list[Result] = []
        loader = load_during(url + "/v1/models", headers, seconds, during)
        streams = asyncio.run(many(port, args))
        loader.join()
        sampler.done.set()
        rss = sum(processes.peak_rss_mb([pid]) for pid in processes.tree(process.pid))
        threads = "/".join(str(sampler.threads[pid]) for pid in workers)
        report(streams, args, alone, during[0], rss, threads)
        print("\nA client leaves a stream whose provider is silent for 5 s:")
        print("\n".join(asyncio.run(departures(port, closed))))


if __name__ == "__main__":
    main()
