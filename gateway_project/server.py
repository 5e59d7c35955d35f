"""The production HTTP server: Granian's WSGI workers around the gateway, and their lifecycle.

python -m gateway_project.server [--host 127.0.0.1] [--port 8787]   (settings: README, Settings)
(--app module:callable serves another WSGI app under the same server, for the benchmarks.)

Granian (a Rust HTTP server) parses HTTP and streams responses; each request runs on one of a
worker's blocking threads, created when needed and reaped when idle. This module owns what
gunicorn's hooks used to do: the Prometheus multiprocess directory (created before any worker
starts, emptied at start, removed at exit, dead workers' live-gauge files removed) and the
worker start-up (the app loaded, its objects frozen out of the collector's reach).
"""

import argparse
import copy
import gc
import importlib
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import environ
from granian import _signals
from granian._granian import WorkerSignal
from granian.constants import Interfaces
from granian.log import LOGGING_CONFIG
from granian.server import Server

from gateway_project.env_file import read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
# What Granian puts in a WSGI environ from the request itself (PEP 3333's CGI variables).
_REQUEST_KEYS = frozenset(
    [
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "REMOTE_ADDR",
        "GATEWAY_INTERFACE",
        "SERVER_SOFTWARE",
    ]
)


@dataclass(frozen=True)
class ServerSettings:
    """The server's settings, read once from the environment or .env (README, Settings)."""

    workers: int
    threads: int
    access_log: str
    keepalive_requests: int
    graceful_timeout: int
    worker_lifetime: int
    worker_max_rss_mb: int

    @classmethod
    def read(cls) -> "ServerSettings":
        env = environ.Env()
        read_env_file(BASE_DIR)
        return cls(
            workers=env.int("WEB_CONCURRENCY", default=2),
            threads=env.int("GATEWAY_THREADS", default=512),
            access_log=env.str("GATEWAY_ACCESS_LOG", default=""),
            keepalive_requests=env.int("GATEWAY_KEEPALIVE_REQUESTS", default=0),
            graceful_timeout=env.int("GATEWAY_GRACEFUL_TIMEOUT", default=10),
            worker_lifetime=env.int("GATEWAY_WORKER_LIFETIME", default=0),
            worker_max_rss_mb=env.int("GATEWAY_WORKER_MAX_RSS_MB", default=1024),
        )


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _worker_signals_once() -> WorkerSignal:
    """Granian's worker stop signal, set on the first SIGTERM or SIGINT only.

    Granian's own handler calls WorkerSignal.set() on every signal, and set() blocks once its
    one-slot channel is full: a stop sent to the whole process group (systemd's default)
    followed by the master's own SIGTERM could block the worker's main thread in the handler,
    and the worker was killed at the graceful timeout instead of stopping. Seen in about one
    group stop in three with granian 2.8.9.
    """
    stop = WorkerSignal()
    fired = threading.Event()

    def handler(signum, frame):
        if not fired.is_set():
            fired.set()
            stop.set()

    _signals.set_main_signals(handler)
    return stop


def load_application(target: str, keepalive_requests: int):
    """In each worker, after the fork: the WSGI app (the gateway's), wrapped for Granian."""
    # Until Granian installs its own handlers, a stop signal ends this worker at once (the
    # handler inherited from the master would only set a flag in this process's copy).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    module, _, name = target.partition(":")
    application = getattr(importlib.import_module(module), name)

    # Django, the URL conf and the models are loaded: move them out of the collector's reach,
    # so the collections that requests trigger do not walk them each time.
    gc.freeze()
    return wrap(application, inherited=tuple(os.environ), keepalive_requests=keepalive_requests)


def _closing(start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("Connection", "close")], exc_info)

    return start


def wrap(application, *, inherited: tuple[str, ...], keepalive_requests: int):
    """The WSGI app as Granian calls it: without the process environment in its environ, and
    closing one keep-alive connection in `keepalive_requests` (0: never)."""
    # Granian starts every WSGI environ from a copy of os.environ (CGI's habit), so the
    # gateway's secrets and the operator's variables would reach request.META, and a variable
    # named HTTP_* would pass for a request header. Those names are removed (a header that
    # shares a variable's name goes too); the request's CGI keys are kept.
    dropped = tuple(name for name in inherited if name not in _REQUEST_KEYS)
    close_chance = 1 / keepalive_requests if keepalive_requests > 0 else 0.0

    def gateway(environ, start_response):
        for name in dropped:
            environ.pop(name, None)
        # Every worker has its own listening socket (SO_REUSEPORT): the kernel spreads new
        # connections by hash, never by load, and a keep-alive connection stays where it
        # landed. Closing one in `keepalive_requests` at random makes clients reconnect, so
        # an uneven spread does not last (README, Performance).
        if close_chance and random.random() < close_chance:  # noqa: S311 (not security)
            start_response = _closing(start_response)
        return application(environ, start_response)

    return gateway


class MetricsDirectory:
    """prometheus_client's multiprocess directory for the life of the server."""

    def __init__(self):
        given = os.environ.get(METRICS_ENV, "")
        self.owned = not given
        self.path = Path(given or tempfile.mkdtemp(prefix="gateway-metrics-"))
        self.path.mkdir(parents=True, exist_ok=True)
        # Files left by an earlier run would be summed into this run's counters.
        for stale in self.path.glob("*.db"):
            stale.unlink()
        os.environ[METRICS_ENV] = str(self.path)
        self.stopped = threading.Event()

    def reap_dead_workers(self, mark_process_dead, *, every: float = 1.0) -> None:
        """Remove the live-gauge files of workers that are gone (Granian has no exit hook)."""
        while not self.stopped.wait(every):
            for pid in self.dead_pids():
                mark_process_dead(pid, str(self.path))

    def dead_pids(self) -> set[int]:
        pids = set()
        for live in self.path.glob("gauge_live*_*.db"):
            pid = live.stem.rsplit("_", 1)[-1]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                pids.add(int(pid))
        return pids

    def close(self) -> None:
        self.stopped.set()
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)


def reserve_port(host: str, port: int) -> tuple[socket.socket, int]:
    """A socket bound (not listening) to the port, so port 0 names one no other server gets."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # Granian's workers each bind the same port with SO_REUSEPORT; a socket that does not
    # listen joins no accept queue, it only keeps the port this server's.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock, sock.getsockname()[1]


def log_config(access_log: str) -> dict:
    """Granian's logging, with the access log to stderr (`-`) or to a file."""
    config = copy.deepcopy(LOGGING_CONFIG)
    if access_log and access_log != "-":
        config["handlers"]["access"] = {
            "formatter": "access",
            "class": "logging.FileHandler",
            "filename": access_log,
        }
    elif access_log:
        config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


GATEWAY_APP = "gateway_project.wsgi:application"


def build(settings: ServerSettings, *, host: str, port: int, app: str = GATEWAY_APP) -> Server:
    return Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=settings.workers,
        blocking_threads=settings.threads,
        # A request waits for a free thread rather than being refused.
        backpressure=max(settings.threads, 1),
        log_dictconfig=log_config(settings.access_log),
        log_access=bool(settings.access_log),
        respawn_failed_workers=True,
        workers_kill_timeout=settings.graceful_timeout,
        workers_lifetime=settings.worker_lifetime or None,
        workers_max_rss=settings.worker_max_rss_mb or None,
        rss_sample_interval=5,
        working_dir=BASE_DIR,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0: any free port")
    parser.add_argument("--app", default=GATEWAY_APP, help="module:callable (benchmarks)")
    args = parser.parse_args(argv)
    # Until Granian takes the signals over, a stop still passes through the `finally` below.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    metrics_dir = None
    try:
        settings = ServerSettings.read()
        # Held back while the directory is made, so a stop cannot leave it unrecorded; one
        # that came meanwhile is handled on unblocking, inside this `try`.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            metrics_dir = MetricsDirectory()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        # Imported once the directory is in the environment: prometheus_client picks its
        # file-backed values at import, and the workers inherit this import when forked.
        from prometheus_client.multiprocess import mark_process_dead

        threading.Thread(
            target=metrics_dir.reap_dead_workers, args=(mark_process_dead,), daemon=True
        ).start()
        # The workers, forked from here, import this from granian._signals when they start.
        _signals.set_sync_signals = _worker_signals_once
        reserved, port = reserve_port(args.host, args.port)
        with reserved:
            server = build(settings, host=args.host, port=port, app=args.app)
            server.serve(
                target_loader=lambda: load_application(args.app, settings.keepalive_requests),
                wrap_loader=False,
            )
    finally:
        # A second signal must not interrupt the clean-up.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if metrics_dir is not None:
            metrics_dir.close()


if __name__ == "__main__":
    sys.exit(main())
