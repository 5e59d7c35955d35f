"""Prometheus metrics: requests by route and status, upstream calls, cache outcomes, tokens."""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)

MODEL_LABELS = 200
_models_seen: set[tuple[str, str]] = set()
_models_lock = threading.Lock()

# From a cached answer (~1 ms) to a slow provider walked page by page (seconds).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

REQUESTS = Counter(
    "gateway_requests", "Requests answered, by URL route name and HTTP status.", ["route", "status"]
)
REQUEST_SECONDS = Histogram(
    "gateway_request_duration_seconds",
    "Time from the gateway's first middleware to its response, by URL route name.",
    ["route"],
    buckets=BUCKETS,
)
UPSTREAM = Counter(
    "gateway_upstream_requests",
    "Calls to providers and the control plane, by provider and outcome "
    "(ok, client_error, bad_gateway, timeout, refused, error).",
    ["provider", "outcome"],
)
UPSTREAM_SECONDS = Histogram(
    "gateway_upstream_duration_seconds",
    "Time of one upstream call with its retries and pages, by provider.",
    ["provider"],
    buckets=BUCKETS,
)
TOKENS = Counter(
    "gateway_tokens",
    "Tokens of model calls as the provider reported them, by provider, model and kind "
    '(prompt, completion). Past MODEL_LABELS models per process, the model is "other".',
    ["provider", "model", "kind"],
)
USAGE_DROPPED = Counter(
    "gateway_usage_dropped",
    "Usage records dropped because the recorder's queue was full (the database too slow or down).",
)
CACHE = Counter(
    "gateway_models_cache",
    "Provider-route lookups of the models cache, by provider and x-portkey-cache-status.",
    ["provider", "status"],
)


_children: dict[tuple, object] = {}


def _child(metric, *labels):
    """metric.labels(*labels), remembered: prometheus_client's lookup takes a lock and
    validates the labels on every call (2-3% of a cached answer's CPU). Every label here is
    bounded (route names, statuses, providers, MODEL_LABELS models), and so is this table."""
    child = _children.get((metric, labels))
    if child is None:
        child = _children[(metric, labels)] = metric.labels(*labels)
    return child


def request_observe(route: str, status: int, seconds: float) -> None:
    _child(REQUESTS, route, str(status)).inc()
    _child(REQUEST_SECONDS, route).observe(seconds)


def upstream_observe(provider: str, outcome: str, seconds: float) -> None:
    """One upstream call: `outcome` is "ok" or a failure kind (see upstream_outcome)."""
    _child(UPSTREAM, provider, outcome).inc()
    _child(UPSTREAM_SECONDS, provider).observe(seconds)


def upstream_outcome(error: BaseException | None) -> str:
    """The outcome label of a finished upstream call, from the error it raised (None: ok)."""
    if error is None:
        return "ok"
    status = getattr(error, "status", None)
    if status is None:
        return "error"  # not a GatewayError: a bug, logged where it is handled
    if status == 504:
        return "timeout"
    if getattr(error, "code", "") == "private_address_refused":
        return "refused"
    # 4xx: the provider rejected the credential or request; 5xx, unreachable, or a bad body.
    return "client_error" if status < 500 else "bad_gateway"


@contextmanager
def upstream_timed(provider: str) -> Iterator[None]:
    """Count and time the upstream call in the block, with the outcome its exception implies."""
    started, error = time.perf_counter(), None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        upstream_observe(provider, upstream_outcome(error), time.perf_counter() - started)


def tokens_observe(provider: str, model: str, *, prompt: int, completion: int) -> None:
    label = model_label(provider, model)
    _child(TOKENS, provider, label, "prompt").inc(prompt)
    _child(TOKENS, provider, label, "completion").inc(completion)


def model_label(provider: str, model: str) -> str:
    """`model` while this process has seen fewer than MODEL_LABELS (provider, model) pairs.

    Every label value is a time series kept forever, and a model name comes from the
    client; so the first MODEL_LABELS pairs keep their name (a deployment uses a few dozen
    models) and the rest are counted together as "other". Names are cut to 100 characters.
    Only tokens a provider reported reach this, so unknown names rarely do.
    """
    key = (provider, model[:100])
    if key in _models_seen:
        return key[1]
    with _models_lock:
        if key in _models_seen or len(_models_seen) < MODEL_LABELS:
            _models_seen.add(key)
            return key[1]
    return "other"


def usage_dropped(count: int) -> None:
    USAGE_DROPPED.inc(count)


def cache_observe(provider: str, status: str) -> None:
    _child(CACHE, provider, status).inc()


def registry() -> CollectorRegistry:
    """Every worker's samples under the server (multiprocess mode), else this process's own."""
    # prometheus_client's own switch, set by gateway_project/server.py before any worker starts.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)
    return collected
