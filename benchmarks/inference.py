"""Model calls through the gateway against a fake OpenAI-compatible provider (127.0.0.1 only).

    python -m benchmarks.inference [--calls 2000] [--streams 500]

The fake runs in its own process, the gateway under its production server (Granian WSGI,
gateway_project.server, started by benchmarks.processes) on a temporary SQLite database.
Figures: non-streamed chat p50 added over calling the fake directly at 1 connection (target
< 1 ms) and req/s at 16 connections beside the direct figure; time to the first streamed
byte added at p50 (target < 2 ms); `--streams` concurrent streams of 50 chunks over 10 s,
all complete with every chunk in order, while /v1/models from cache keeps its p99 (target
< 50 ms), and the server's peak memory (target < 300 MB). Run it under
`flock /tmp/bench.lock`: on a shared machine the figures are noisy.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import inference_clients as clients
from benchmarks import processes, seed
from benchmarks.load import wrk

BODY = {"model": "bench-chat", "messages": [{"role": "user", "content": "Hi"}]}
STREAM_CHUNKS, STREAM_SECONDS = 50, 10.0
LUA = """wrk.method = "POST"
wrk.body = '{"model": "bench-chat", "messages": [{"role": "user", "content": "Hi"}]}'
wrk.headers["Content-Type"] = "application/json"
"""


def start_fake(logs: Path) -> tuple[processes.Process, str]:
    port = processes.free_port()
    command = [sys.executable, "-m", "benchmarks.inference_upstream", "--port", str(port)]
    fake = processes.Process(command, processes.child_env({}), logs / "fake-inference.log")
    url = f"http://{processes.HOST}:{port}"
    fake.wait_http(url + "/v1/models")
    return fake, url


def fixture(fake_url: str) -> tuple[str, str]:
    """A virtual key on the fake with its catalog synced, and a key for it: (key, slug)."""
    from django.core.management import call_command

    virtual_key = seed._virtual_key("bench-inference", fake_url)
    call_command("sync_models", verbosity=0)
    return seed.api_key_scoped([virtual_key]), virtual_key.slug


def wrk_post(url: str, headers: dict, logs: Path, seconds: int):
    script = logs / "post.lua"
    script.write_text(LUA + Path(__file__).with_name("summary.lua").read_text())
    return wrk(url, connections=16, seconds=seconds, headers=headers, threads=2, script=script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="sequential calls per figure")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=512, help="GATEWAY_THREADS")
    args = parser.parse_args()
    started = time.monotonic()
    logs = Path(tempfile.mkdtemp(prefix="gateway-inference-"))
    env = seed.environment(
        database_url=f"sqlite:///{logs / 'bench.sqlite3'}", cache_url="",
        provider_hosts=[processes.HOST],
    )  # fmt: skip
    seed.django_start(env)
    print(f"logs and database in {logs}", flush=True)
    fake, fake_url = start_fake(logs)
    with fake:
        key, slug = fixture(fake_url)
        server_env = {**env, "WEB_CONCURRENCY": str(args.workers),
                      "GATEWAY_THREADS": str(args.threads)}  # fmt: skip
        server, url = processes.gateway(env=server_env, logs=logs, name="inference")
        with server:
            workers = processes.children(server.pid) or [server.pid]
            lines = run(args, logs, fake_url, url, key, slug, workers)
    print("\n".join(lines))
    print(
        f"\n{processes.HOST} only; Granian WSGI, {args.workers} workers x {args.threads} "
        f"blocking threads; other work on this machine makes the figures noisy; total "
        f"{time.monotonic() - started:.0f} s"
    )


def run(args, logs: Path, fake_url: str, url: str, key: str, slug: str, workers) -> list[str]:
    direct, gateway = f"{fake_url}/v1/chat/completions", f"{url}/v1/chat/completions"
    headers = {"x-portkey-api-key": key}
    catalog_body = {**BODY, "model": f"@{slug}/bench-chat"}
    clients.sequential_ms(gateway, catalog_body, headers, count=50)  # warm caches and pools
    alone = clients.sequential_ms(direct, BODY, {}, count=args.calls)
    through = clients.sequential_ms(gateway, catalog_body, headers, count=args.calls)
    added = clients.median(through) - clients.median(alone)
    lines = [
        f"non-streamed chat, 1 connection: direct p50 {clients.median(alone):.2f} ms, "
        f"gateway p50 {clients.median(through):.2f} ms, added {added:.2f} ms (target < 1)"
    ]
    direct_rps = wrk_post(direct, {}, logs, args.seconds)
    gateway_rps = wrk_post(gateway, {**headers, "x-portkey-virtual-key": slug}, logs, args.seconds)
    lines.append(
        f"non-streamed chat, 16 connections: direct {direct_rps.rps:.0f} req/s, gateway "
        f"{gateway_rps.rps:.0f} req/s (p99 {gateway_rps.p99_ms:.1f} ms, errors "
        f"{gateway_rps.errors})"
    )
    stream_body = {**catalog_body, "stream": True, "x_bench_chunks": 5}
    first_alone = clients.sequential_ms(
        direct, {**BODY, "stream": True}, {}, count=args.calls, first_byte=True
    )
    first_through = clients.sequential_ms(
        gateway, stream_body, headers, count=args.calls, first_byte=True
    )
    added = clients.median(first_through) - clients.median(first_alone)
    lines.append(
        f"streamed chat, time to first byte: direct p50 {clients.median(first_alone):.2f} ms, "
        f"gateway p50 {clients.median(first_through):.2f} ms, added {added:.2f} ms (target < 2)"
    )
    processes.peak_rss_reset(workers)
    long_body = {**stream_body, "x_bench_chunks": STREAM_CHUNKS,
                 "x_bench_interval": STREAM_SECONDS / STREAM_CHUNKS}  # fmt: skip
    result, polled = clients.concurrent_streams(
        gateway, long_body, headers, streams=args.streams, chunks=STREAM_CHUNKS,
        poll_url=f"{url}/v1/models", poll_headers=headers,
    )  # fmt: skip
    lines.append(
        f"{args.streams} concurrent streams x {STREAM_CHUNKS} chunks over {STREAM_SECONDS:g} s: "
        f"{result.complete} complete in order, {len(result.broken)} not "
        f"{result.broken[:3] if result.broken else ''}; first byte p50 "
        f"{clients.median(result.first_byte_ms):.1f} ms"
    )
    lines.append(
        f"/v1/models during the streams: {len(polled)} calls, p50 "
        f"{clients.median(polled):.1f} ms, p99 {clients.p(polled, 99):.1f} ms (target < 50)"
    )
    peak = processes.peak_rss_mb(workers)
    lines.append(
        f"server memory: peak RSS {peak:.0f} MB per worker, {len(workers)} workers "
        f"(target < 300 MB)"
    )
    return lines


if __name__ == "__main__":
    main()
