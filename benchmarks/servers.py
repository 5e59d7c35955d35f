"""`make bench`: the catalog route under each candidate HTTP server, beside a hello-world floor.

python -m benchmarks.servers [--seconds 8] [--connections 16]   (127.0.0.1 only; needs wrk)
Each server runs the gateway (the catalog route, 40 entries, gzip) and then benchmarks/hello.py
with the same workers: the floor is what the server alone costs. CPU is user + system time of
the server's whole process tree, from /proc, divided by the requests wrk completed.
"""

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import processes, seed
from benchmarks.load import fetch, wrk
from benchmarks.measure import Measured, measured

BIN = Path(sys.executable).parent
HOST = processes.HOST
WSGI, ASGI = "gateway_project.wsgi:application", "gateway_project.asgi:application"


def gunicorn(app: str) -> list[str]:
    return [str(BIN / "gunicorn"), "-k", "gthread", "-w", "2", "--threads", "4"] + [
        "--bind",
        f"{HOST}:{{port}}",
        app,
    ]


def granian(interface: str, app: str, *extra: str) -> list[str]:
    return [str(BIN / "granian"), "--interface", interface, "--workers", "2", "--no-ws"] + [
        "--host",
        HOST,
        "--port",
        "{port}",
        *extra,
        app,
    ]


def uvicorn(app: str) -> list[str]:
    return [str(BIN / "uvicorn"), "--workers", "2", "--no-access-log", "--lifespan", "off"] + [
        "--host",
        HOST,
        "--port",
        "{port}",
        app,
    ]


@dataclass(frozen=True)
class Candidate:
    label: str
    gateway: list[str]
    floor: list[str] | None
    env: dict = field(default_factory=dict)


CANDIDATES = [
    Candidate("gunicorn gthread 2x4", gunicorn(WSGI), gunicorn("benchmarks.hello:wsgi")),
    Candidate(
        "granian wsgi 2 workers (production)",
        processes.GATEWAY_COMMAND,
        [*processes.GATEWAY_COMMAND, "--app", "benchmarks.hello:wsgi"],
    ),
    Candidate(
        "  the same, GATEWAY_KEEPALIVE_REQUESTS=25",
        processes.GATEWAY_COMMAND,
        None,
        {"GATEWAY_KEEPALIVE_REQUESTS": "25"},
    ),
    Candidate(
        "granian asgi 2 workers", granian("asgi", ASGI), granian("asgi", "benchmarks.hello:asgi")
    ),
    Candidate(
        "uvicorn 2 workers (uvloop, httptools)", uvicorn(ASGI), uvicorn("benchmarks.hello:asgi")
    ),
]


def run(command: list[str], *, path: str, headers: dict, env: dict, args, work: Path, name: str):
    process, url = processes.serve(
        command, env=env, logs=work, name=name, ready=path if not headers else "/healthz"
    )
    with process:
        status = fetch(url + path, headers)[0]
        if status != 200:
            raise SystemExit(f"{name}: {path} answered {status}; see {work}")
        wrk(url + path, connections=args.connections, seconds=1, headers=headers)  # warm-up
        return measured(
            url + path,
            server_pid=process.pid,
            connections=args.connections,
            seconds=args.seconds,
            headers=headers,
        )


ROW = "{:<38} {:<8} {:>8} {:>7} {:>7} {:>6} {:>8} {:>8}  {}"


def line(label: str, app: str, m: Measured, floor: Measured | None) -> str:
    r = m.result
    ratio = f"{m.cpu_us / floor.cpu_us:.1f}x" if floor and floor.cpu_us else ""
    split = ""
    if len(m.connections) > 1:
        conns = "/".join(str(n) for n in m.connections)
        shares = "/".join(f"{share * 100:.0f}" for share in m.cpu_shares)
        split = f"conns {conns}, CPU % {shares}"
    return ROW.format(
        label,
        app,
        f"{r.rps:,.0f}",
        f"{r.p50_ms:.2f}",
        f"{r.p99_ms:.2f}",
        r.errors,
        f"{m.cpu_us:,.0f}",
        ratio,
        split,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-servers-"))
    metrics_dir = work / "metrics"
    metrics_dir.mkdir()
    env = seed.environment(
        database_url=f"sqlite:///{work / 'bench.sqlite3'}", cache_url="", provider_hosts=[HOST]
    )
    seed.django_start(env)
    fixture = seed.table_fixture(provider_url=f"http://{HOST}:9")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)  # every server writes its samples to files
    headers = {"Accept-Encoding": "gzip", "x-portkey-api-key": fixture.small_key}
    print(f"logs in {work}", flush=True)
    lines = []
    for n, candidate in enumerate(CANDIDATES):
        floor = None
        if candidate.floor:
            floor = run(
                candidate.floor,
                path="/",
                headers={},
                env=env,
                args=args,
                work=work,
                name=f"{n}-floor",
            )
            lines.append(line(candidate.label, "hello", floor, None))
            print(lines[-1], flush=True)
        gateway = run(
            candidate.gateway,
            path="/v1/models",
            headers=headers,
            env={**env, **candidate.env},
            args=args,
            work=work,
            name=f"{n}-gateway",
        )
        lines.append(line("" if candidate.floor else candidate.label, "gateway", gateway, floor))
        print(lines[-1], flush=True)
    print()
    print(
        ROW.format(
            "server",
            "app",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "CPU us",
            "x floor",
            "worker split",
        )
    )
    print("\n".join(lines))
    print(
        f"\ngateway: GET /v1/models, catalog of 40 entries, gzip; wrk -t1 -c{args.connections}, "
        f"{args.seconds} s per run, {HOST} only. CPU us: server CPU per request; x floor: that "
        "against hello-world under the same server."
    )


if __name__ == "__main__":
    main()
