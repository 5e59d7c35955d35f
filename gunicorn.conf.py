"""gunicorn settings for `make run` and `make bench`: gthread workers, Prometheus metrics dir."""

import gc
import os
import shutil
import tempfile
from pathlib import Path

wsgi_app = "gateway_project.wsgi:application"
bind = "127.0.0.1:8787"  # `make run` passes --bind $(HOST):$(PORT)

# /v1/models is short CPU work (auth, routing, JSON) plus waits on providers, the database or
# the cache. One process per core runs the CPU work in parallel despite the GIL; a few threads
# per process overlap the waits (a cold provider call can take seconds) and keep-alive
# connections. More threads only queue on the GIL: at 16 connections on this 2-core machine,
# 8 threads gave ~2,000 req/s with p99 25-45 ms, 4 threads ~2,400 with p99 18-27 ms, and each
# busy thread holds a page being built, so fewer threads also lower peak memory. Raise
# GATEWAY_THREADS when many callers wait on slow providers at once.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "4"))
keepalive = 5  # seconds; clients (SDKs, load balancers) reuse connections

# Workers share one listening socket, and whichever is awake first accepts a new connection:
# a burst of connections can land on one worker while the other idles, halving throughput for
# as long as those connections live (seen in `make bench`: 16 connections on one worker gave
# ~950 req/s, spread over two ~2,100). So, like Apache's MaxKeepAliveRequests and nginx's
# keepalive_requests, a connection is closed (with `Connection: close`) after this many
# requests; the client reconnects, and the idle worker is the one that accepts.
# 25 rather than Apache's 100: wrk's 16 connections often all start on one worker (seen with
# `ss`: 16/0), and at 100 requests each they stayed uneven for most of a 5 s run. In paired
# runs at 16 connections, 25 gave a lower p99 than 100 in 15 of 16 pairs (by 2-3 ms) and no
# less throughput; 10 was no better than 25. A reconnect every 25 requests is ~4% of requests.
MAX_KEEPALIVE_REQUESTS = int(os.environ.get("GATEWAY_KEEPALIVE_REQUESTS", "25"))


def pre_request(worker, req):
    if req.req_number >= MAX_KEEPALIVE_REQUESTS:
        req.must_close = True  # gunicorn then answers with Connection: close and closes


graceful_timeout = 10
timeout = 60  # above GATEWAY_UPSTREAM_TIMEOUT, so a slow provider is a 504, not a killed worker
# gunicorn's default: no access log. /metrics counts requests by route and status, and a
# log line per request costs about a tenth of a cached /v1/models answer. Set
# GATEWAY_ACCESS_LOG=- to log each request to stderr (or a file path).
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None

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


def post_worker_init(worker):
    # The application is loaded: move its startup objects (Django, the URL conf, models) out of
    # the collector's reach, so the collections that requests trigger do not walk them each time.
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get(_OWNED):
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
