"""In-process CPU per request of the hot routes, through the server's own WSGI wrapper.

    python -m benchmarks.routes_cpu [--rounds 15] [--calls 300] [--profile NAME]

Each request goes through `gateway_project.server.wrap` around Django's WSGI handler (every
middleware, DRF, the machine cache), with no HTTP server and no socket; the fake providers
run in their own processes on 127.0.0.1. Routes run in interleaved rounds and the figure is
the CPU time of this thread (time.thread_time) per request: the min, p25 and median of the
rounds. `--profile NAME` runs that route under pyinstrument instead and prints its tree (`--flat`:
cProfile's lists; `--plain`: no profiler, for py-spy from outside).
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import processes, seed
from benchmarks.rounds import interleaved_us

CHAT = b'{"model": "@bench-inference/bench-chat", "messages": [{"role": "user", "content": "Hi"}]}'


def environ_for(method: str, path: str, key: str, *, extra=None, body: bytes = b"") -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8787",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "HTTP_X_PORTKEY_API_KEY": key,
        "HTTP_ACCEPT_ENCODING": "gzip",
        "HTTP_USER_AGENT": "bench",
        **(extra or {}),
    }
    if body:
        environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    return environ


def caller(handler, environ: dict, body: bytes, *, want: str):
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append((status, dict(headers).get("x-portkey-cache-status", "")))

    def call():
        response = handler({**environ, "wsgi.input": io.BytesIO(body)}, start_response)
        b"".join(response)
        if hasattr(response, "close"):
            response.close()

    call()
    status, cache = statuses[-1]
    if not status.startswith("200") or (want and cache != want):
        raise SystemExit(f"{environ['PATH_INFO']}: {status} {cache!r}, expected 200 {want}")
    return call


def with_ttl(settings, ttl: int, call):
    def run():
        settings.GATEWAY_MODELS_CACHE_TTL = ttl
        call()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", default="", help="a route name: profile it instead")
    parser.add_argument("--flat", action="store_true", help="with --profile: cProfile's list")
    parser.add_argument("--plain", action="store_true", help="with --profile: no profiler (py-spy)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-routes-cpu-"))
    env = seed.environment(
        database_url=f"sqlite:///{work / 'bench.sqlite3'}",
        cache_url="",
        provider_hosts=[processes.HOST],
    )
    os.environ.update(processes.child_env(env))
    seed.django_start(env)

    from django.conf import settings
    from django.core.management import call_command

    from benchmarks.inference import start_fake
    from gateway_project.server import wrap
    from gateway_project.wsgi import application

    fake, fake_url = processes.fake_provider(models=50, latency_ms=0, logs=work)
    chat_fake, chat_url = start_fake(work)
    with fake, chat_fake:
        fixture = seed.table_fixture(provider_url=fake_url)
        inference = seed._virtual_key("bench-inference", chat_url)
        call_command("sync_models", verbosity=0, virtual_key=[inference.slug])
        chat_key = seed.api_key_scoped([inference])
        handler = wrap(application, inherited=tuple(os.environ), keepalive_requests=0)
        small = fixture.small_key
        routed = {"HTTP_X_PORTKEY_VIRTUAL_KEY": fixture.provider_slug}
        cells = {
            "GET /healthz (Django floor)": ("GET", "/healthz", small, {}, b"", ""),
            "catalog of 40 (cached)": ("GET", "/v1/models", small, {}, b"", ""),
            "provider list (cached)": ("GET", "/v1/models", small, routed, b"", "HIT"),
            "retrieve (catalog)": (
                "GET",
                f"/v1/models/{fixture.catalog_model}",
                small,
                {},
                b"",
                "",
            ),
            "provider list (uncached)": ("GET", "/v1/models", small, routed, b"", "DISABLED"),
            "chat, non-streamed": ("POST", "/v1/chat/completions", chat_key, {}, CHAT, ""),
        }
        functions = {}
        for name, (method, path, key, extra, body, want) in cells.items():
            environ = environ_for(method, path, key, extra=extra, body=body)
            # The provider route reads its TTL per request: 0 turns its cache off.
            ttl = 0 if want == "DISABLED" else 300
            settings.GATEWAY_MODELS_CACHE_TTL = ttl
            for _ in range(5):
                caller(handler, environ, body, want="")
            functions[name] = with_ttl(settings, ttl, caller(handler, environ, body, want=want))
        if args.profile:
            calls = args.calls * args.rounds
            if args.plain:  # for an outside sampler: py-spy record -- python -m ...
                for _ in range(calls):
                    functions[args.profile]()
                return
            profile(functions[args.profile], calls=calls, flat=args.flat)
            return
        figures = interleaved_us(functions, rounds=args.rounds, calls=args.calls, warm=args.calls)
    print(f"CPU per request, us ({args.rounds} interleaved rounds of {args.calls} requests):")
    print(f"  {'':28s} {'min':>6s} {'p25':>6s} {'median':>6s}")
    for name, values in figures.items():
        quarter, middle = values[len(values) // 4], values[len(values) // 2]
        print(f"  {name:28s} {values[0]:6.0f} {quarter:6.0f} {middle:6.0f}")


def profile(function, *, calls: int, flat: bool) -> None:
    if flat:
        import cProfile
        import pstats

        # Thread CPU, not wall time: a call's wait for the fake provider is no cost here.
        with cProfile.Profile(time.thread_time) as profiler:
            for _ in range(calls):
                function()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(70)
        stats.sort_stats("tottime").print_stats(40)
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(calls):
        function()
    profiler.stop()
    sys.stdout.write(profiler.output_text(unicode=False, color=False, show_all=True))


if __name__ == "__main__":
    main()
