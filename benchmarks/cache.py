"""What each cache backend costs, in-process: per operation, and per cached /v1/models answer.

    python -m benchmarks.cache [--rounds 9] [--calls 300] [--redis-db 12]

Backends: local memory (one per process: the default until the machine cache), the machine
cache (gateway_project/machine_cache.py, SQLite, the default), the candidates it was chosen
over (diskcache's Django backend when installed; Django's database cache), and Redis on
127.0.0.1:6379 (its own db, emptied before and after). Each backend fills all three aliases
(default, state, ratelimit) as `gateway_project.caches` lays them out.

Per operation: wall time of one call on the alias that holds that kind of value. Per request:
CPU time (time.thread_time) of a cached answer through Django's WSGI handler, with a seeded
key and catalog; the CPU time leaves out Redis's network wait, which the wall time keeps.
Backends take turns in interleaved rounds, so a slow phase of the machine hits all alike;
each figure is the lowest of the rounds' averages, so a slow moment of a machine shared with
other work does not pass for a backend's cost.
"""

import argparse
import functools
import io
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import processes, seed
from benchmarks.cache_backends import ALIASES, backends, redis_empty


def use(config: dict):
    """Make `config` the CACHES of this process (Django rebuilds its cache handlers)."""
    from django.test.utils import override_settings

    switch = override_settings(CACHES=config)
    switch.enable()
    return switch


def wsgi_call(query: str, headers: dict) -> tuple[str, dict]:
    """GET /v1/models?query through Django's WSGI handler, as the server calls it."""
    from django.core.handlers.wsgi import WSGIHandler

    global _handler
    _handler = _handler or WSGIHandler()
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/v1/models",
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8787",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_ENCODING": "gzip",  # as the SDKs send
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(response_headers)

    chunks = _handler(environ, start_response)
    b"".join(chunks)
    chunks.close()
    return answer["status"], answer["headers"]


_handler = None


def requests_cells(fixture, limited_key: str) -> dict:
    """name -> (query, headers) of a GET /v1/models answered from the cache."""
    small = {"x-portkey-api-key": fixture.small_key}
    return {
        "catalog 40 (14 KB)": ("", small),
        "catalog 1000 (366 KB)": ("limit=1000", {"x-portkey-api-key": fixture.large_key}),
        "provider route": ("", {**small, "x-portkey-virtual-key": fixture.provider_slug}),
        "catalog 40, rate-limited key": ("", {"x-portkey-api-key": limited_key}),
    }


def warm(cells: dict) -> None:
    """Ask each cell until it answers from the cache (HIT), so the timed loop measures hits."""
    for name, (query, headers) in cells.items():
        for _ in range(3):
            status, headers_out = wsgi_call(query, headers)
        if not status.startswith("200") or headers_out.get("x-portkey-cache-status") != "HIT":
            raise SystemExit(f"{name}: {status} {headers_out.get('x-portkey-cache-status')}")


OPERATIONS = {  # name -> (alias, call on that store), for the per-operation table
    "get snapshot": ("state", lambda c, v: c.get("bench:snapshot")),
    "get 14 KB": ("default", lambda c, v: c.get("bench:small")),
    "get 366 KB": ("default", lambda c, v: c.get("bench:large")),
    "set snapshot": ("state", lambda c, v: c.set("bench:snapshot", v["snapshot"], 300)),
    "incr": ("ratelimit", lambda c, v: c.incr("bench:counter")),
    "add (exists)": ("state", lambda c, v: c.add("bench:snapshot", v["snapshot"], 300)),
}


def fill(caches, values: dict) -> None:
    caches["state"].set("bench:snapshot", values["snapshot"], 300)
    caches["default"].set("bench:small", values["small"], 300)
    caches["default"].set("bench:large", values["large"], 300)
    caches["ratelimit"].set("bench:counter", 0, 300)


def timed(function, calls: int, clock) -> float:
    started = clock()
    for _ in range(calls):
        function()
    return (clock() - started) / calls * 1e6


def run_operations(configs: dict, values: dict, *, rounds: int, calls: int) -> dict:
    from django.core.cache import caches

    figures = {(b, op): [] for b in configs for op in OPERATIONS}
    for _ in range(rounds):
        for name, config in configs.items():
            switch = use(config)
            fill(caches, values)
            for op, (alias, function) in OPERATIONS.items():
                call = functools.partial(function, caches[alias], values)
                timed(call, calls // 10 or 1, time.perf_counter)
                figures[(name, op)].append(timed(call, calls, time.perf_counter))
            switch.disable()
    return {key: min(values) for key, values in figures.items()}


def run_requests(configs: dict, cells: dict, *, rounds: int, calls: int) -> dict:
    figures = {(b, c, clock): [] for b in configs for c in cells for clock in ("cpu", "wall")}
    for _ in range(rounds):
        for name, config in configs.items():
            switch = use(config)
            warm(cells)
            for cell, (query, headers) in cells.items():
                call = functools.partial(wsgi_call, query, headers)
                started_cpu, started_wall = time.thread_time(), time.perf_counter()
                for _ in range(calls):
                    call()
                cpu = (time.thread_time() - started_cpu) / calls * 1e6
                wall = (time.perf_counter() - started_wall) / calls * 1e6
                figures[(name, cell, "cpu")].append(cpu)
                figures[(name, cell, "wall")].append(wall)
            switch.disable()
    return {key: min(values) for key, values in figures.items()}


def seed_world(provider_url: str):
    from django.core.management import call_command

    from keys.services import api_key_create

    fixture = seed.table_fixture(provider_url=provider_url)
    _, limited_raw = api_key_create(
        name="bench limited",
        rate_limit_per_minute=10**9,
        virtual_key_slugs=["bench-fast", "bench-40"],
    )
    for alias in ALIASES:
        call_command("createcachetable", f"bench_cache_{alias}", verbosity=0)
    return fixture, limited_raw


def pages_of(fixture) -> dict:
    """The rendered pages a catalog hit reads: 40 entries, and 1,000 of the 10,000."""
    from keys.access import access_resolve
    from keys.lookup import api_key_find
    from models_api.api.rendering import RenderedJSON
    from models_api.catalog.query import catalog_list

    def page(raw, params):
        access = access_resolve(api_key=api_key_find(raw_key=raw))
        return RenderedJSON.of(catalog_list(access=access, params=params)).with_gzip()

    return {
        "small": page(fixture.small_key, {}),
        "large": page(fixture.large_key, {"limit": "1000"}),
    }


def print_table(title: str, rows: list[str], columns: list[str], cell) -> None:
    print(f"\n{title}")
    width = max(len(c) for c in columns) + 2
    print(f"  {'':16s}" + "".join(f"{c:>{width}s}" for c in columns))
    for row in rows:
        print(f"  {row:16s}" + "".join(f"{cell(row, c):>{width}s}" for c in columns))


def _against(figures: dict, base: str, backend: str, cell: str, clock: str) -> str:
    value = figures[(backend, cell, clock)]
    return f"{value:.0f} ({(value / figures[(base, cell, clock)] - 1) * 100:+.0f}%)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--backends", help="comma-separated names, e.g. 'local memory,redis'")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-cache-bench-"))
    env = seed.environment(
        database_url=f"sqlite:///{work / 'gateway.sqlite3'}",
        cache_url="",
        provider_hosts=[processes.HOST],
    )
    env["GATEWAY_CACHE_DIR"] = str(work / "machine")
    os.environ.update(processes.child_env(env))
    seed.django_start(env)
    process, provider_url = processes.fake_provider(models=50, latency_ms=0, logs=work)
    with process:
        fixture, limited_raw = seed_world(provider_url)
        configs = backends(work, args.redis_db)
        if args.backends:
            configs = {name: configs[name] for name in args.backends.split(",")}
        from keys.lookup import api_key_find

        values = {"snapshot": api_key_find(raw_key=fixture.small_key), **pages_of(fixture)}
        cells = requests_cells(fixture, limited_raw)
        op_figures = run_operations(configs, values, rounds=args.rounds, calls=args.calls)
        request_figures = run_requests(configs, cells, rounds=args.rounds, calls=args.calls)
    if "redis" in configs:
        redis_empty(args.redis_db)
    print_table(
        f"Per operation, wall us (lowest of {args.rounds} rounds of {args.calls} calls)",
        list(configs),
        list(OPERATIONS),
        lambda b, op: f"{op_figures[(b, op)]:.1f}",
    )
    base = "local memory"
    for clock, what in (("cpu", "CPU"), ("wall", "wall")):
        print_table(
            f"Per cached request through Django's WSGI handler, {what} us "
            f"(lowest of {args.rounds} rounds of {args.calls}; vs local memory)",
            list(configs),
            list(cells),
            lambda b, c, clock=clock: _against(request_figures, base, b, c, clock),
        )


if __name__ == "__main__":
    main()
