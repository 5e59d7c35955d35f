"""gunicorn settings for `make run` and `make bench`: gthread workers, Prometheus metrics dir."""

import os
import shutil
import tempfile
from pathlib import Path

wsgi_app = "gateway_project.wsgi:application"
bind = "127.0.0.1:8787"  # `make run` passes --bind $(HOST):$(PORT)

# /v1/models is short CPU work (auth, routing, JSON) plus waits on providers, the database or
# the cache. One process per core runs the CPU work in parallel despite the GIL; a few threads
# per process overlap the waits (a cold provider call can take seconds) and keep-alive
# connections. More threads than this only queue on the GIL and raise tail latency.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
keepalive = 5  # seconds; clients (SDKs, load balancers) reuse connections
graceful_timeout = 10
timeout = 60  # above GATEWAY_UPSTREAM_TIMEOUT, so a slow provider is a 504, not a killed worker
accesslog = "-"

# prometheus_client's multiprocess mode: each worker writes its samples to files in this
# directory and /metrics sums them, so counters survive across workers and restarts.
# The directory is created here, before any worker imports prometheus_client.
_OWNED = "GATEWAY_METRICS_DIR_OWNED"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gateway-metrics-")
    os.environ[_OWNED] = "1"  # survives a config reload (HUP), which runs this file again
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_starting(server):
    # Files left by an earlier run would be summed into this run's counters.
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get(_OWNED):
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
