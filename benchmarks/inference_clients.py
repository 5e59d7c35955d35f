"""The clients benchmarks/inference.py measures with: sequential keep-alive calls, time to the
first streamed byte, and many concurrent streams on asyncio (127.0.0.1 only)."""

import asyncio
import http.client
import json
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from benchmarks.load import loopback_only


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(loopback_only(url))
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30), parts.path


def sequential_ms(
    url: str, body: dict, headers: dict, *, count: int, first_byte: bool = False
) -> list[float]:
    """Milliseconds per POST on one keep-alive connection: until the answer is read whole,
    or with `first_byte` until the first byte of its body (a stream's first event)."""
    conn, path = _connection(url)
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **headers}
    times = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("POST", path, data, headers)
        response = conn.getresponse()
        if first_byte:
            response.read1(1)
        times.append((time.perf_counter() - started) * 1000)
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")
    conn.close()
    return times


def p(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


@dataclass
class StreamResult:
    complete: int = 0
    broken: list[str] = field(default_factory=list)
    first_byte_ms: list[float] = field(default_factory=list)


async def _one_stream(url: str, body: bytes, headers: dict, chunks: int, result: StreamResult):
    parts = urlsplit(url)
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.hostname}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    raw = await reader.readuntil(b"\r\n\r\n")
    first = await reader.read(1)
    result.first_byte_ms.append((time.perf_counter() - started) * 1000)
    raw += first + await reader.read()  # Connection: close: the body ends at EOF
    writer.close()
    seen = [
        json.loads(line[6:])["choices"][0]["delta"]["content"].strip()
        for line in raw.split(b"\n")
        if line.startswith(b"data: {") and b'"choices":[{' in line
    ]
    if seen == [str(i) for i in range(chunks)] and b"data: [DONE]" in raw:
        result.complete += 1
    else:
        result.broken.append(f"{len(seen)} chunks, [DONE] {b'[DONE]' in raw}")


async def _poll_ms(url: str, headers: dict, until: float, into: list[float]) -> None:
    """GET `url` every 50 ms until `until` (monotonic), recording each latency."""
    loop = asyncio.get_running_loop()
    while time.monotonic() < until:
        into.append(await loop.run_in_executor(None, _get_ms, url, headers))
        await asyncio.sleep(0.05)


def _get_ms(url: str, headers: dict) -> float:
    conn, path = _connection(url)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{url} answered {response.status} during the streams")
    return (time.perf_counter() - started) * 1000


async def _streams(url, body, headers, *, streams, chunks, poll_url, poll_headers):
    result, polled = StreamResult(), []
    data = json.dumps(body).encode()
    tasks = [_one_stream(url, data, headers, chunks, result) for _ in range(streams)]
    poller = _poll_ms(poll_url, poll_headers, time.monotonic() + 8, polled)
    outcomes = await asyncio.gather(*tasks, poller, return_exceptions=True)
    result.broken += [repr(o) for o in outcomes if isinstance(o, BaseException)]
    return result, polled


def concurrent_streams(url, body, headers, **kwargs) -> tuple[StreamResult, list[float]]:
    """`streams` streams at once, and /v1/models polled beside them; (result, poll ms)."""
    loopback_only(url)
    return asyncio.run(_streams(url, body, headers, **kwargs))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
