"""Upstream faults through the real view: a misbehaving server on 127.0.0.1, DESIGN section 6."""

import socket
import threading
import time

import pytest

import models_api.cache as cache_module
from models_api.outbound import http, transport
from tests import fault_server as fs
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db
TIMEOUT = 1.0  # GATEWAY_UPSTREAM_TIMEOUT in these tests
MARGIN = 0.5  # request handling around the upstream call
CAP = 256 * 1024  # GATEWAY_MAX_RESPONSE_BYTES in these tests

# (id, behaviour, status, error code): each fault answered by the gateway as DESIGN section 6.
FAULTS = [
    ("reset-mid-body", fs.reset_mid_body, 502, "bad_gateway"),
    ("no-answer", fs.silent, 504, "upstream_timeout"),
    ("slow-drip-body", fs.drip_body, 504, "upstream_timeout"),
    ("slow-drip-headers", fs.drip_headers, 504, "upstream_timeout"),
    ("huge-with-length", fs.huge(declared=True), 502, "bad_gateway"),
    ("huge-without-length", fs.huge(declared=False), 502, "bad_gateway"),
    ("invalid-json", fs.answer(200, b'{"object": "list", "data": ['), 502, "bad_gateway"),
    ("wrong-shape", fs.answer(200, {"object": "list", "data": "none"}), 502, "bad_gateway"),
    ("json-array", fs.answer(200, [1, 2, 3]), 502, "bad_gateway"),
    ("429-retry-after", fs.failure(429, {"Retry-After": "30"}), 429, "provider_error"),
    ("429-no-retry-after", fs.failure(429), 429, "provider_error"),
    ("500", fs.failure(500), 502, "bad_gateway"),
    ("502", fs.failure(502), 502, "bad_gateway"),
    ("503", fs.failure(503), 502, "bad_gateway"),
    ("redirect", fs.redirect("http://169.254.169.254/latest/meta-data/"), 502, "bad_gateway"),
]
IDS = [fault[0] for fault in FAULTS]


@pytest.fixture(autouse=True)
def budget(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = TIMEOUT
    settings.GATEWAY_MAX_RESPONSE_BYTES = CAP
    settings.GATEWAY_MODELS_CACHE_TTL = 60
    settings.GATEWAY_CONTROL_PLANE_CACHE_TTL = 60
    settings.GATEWAY_MODELS_STALE_TTL = 3600


@pytest.fixture
def server():
    with fs.serve() as running:
        yield running


@pytest.fixture
def gateway_key():
    return make_api_key()[1]


@pytest.fixture
def call(client, settings, server, gateway_key):
    """GET /v1/models on the openai route, its custom host the fault server: (response, secs)."""
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [server.host]

    def call(base_url=server.url, **extra):
        headers = {
            "x-portkey-api-key": gateway_key,
            "x-portkey-provider": "openai",
            "authorization": "Bearer sk-fault-test-0001",
            "x-portkey-custom-host": base_url + "/v1",
            **extra,
        }
        started = time.monotonic()
        response = client.get("/v1/models", headers=headers)
        return response, time.monotonic() - started

    return call


@pytest.fixture
def control_plane(client, settings, server, gateway_key):
    """GET /v1/models with no provider, the control plane being the fault server."""
    settings.GATEWAY_CONTROL_PLANE_URL = server.url
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = []  # the operator's URL needs no listing

    def call():
        started = time.monotonic()
        response = client.get("/v1/models", headers={"x-portkey-api-key": gateway_key})
        return response, time.monotonic() - started

    return call


@pytest.fixture
def later(monkeypatch):
    """Move the cache's clock past the fresh TTL, still inside the stale window."""
    monkeypatch.setattr(http, "BACKOFF", 0.05)  # the retry timing is tested without a cache

    def move():
        moved = time.time() + 120
        monkeypatch.setattr(cache_module.time, "time", lambda: moved)

    return move


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert error["code"] == code
    assert "sk-fault-test-0001" not in response.content.decode()
    return error


def assert_fresh_answer(response):
    assert response.status_code == 200, response.content
    assert [m["id"] for m in response.json()["data"]] == ["fault-model"]


@pytest.mark.parametrize(("name", "fault", "status", "code"), FAULTS, ids=IDS)
def test_fault_gives_design_status_within_budget(call, server, name, fault, status, code):
    server.always(fault)
    response, elapsed = call()
    error = assert_error(response, status, code)
    assert error["provider"] == "openai"
    assert elapsed < TIMEOUT + MARGIN
    if name == "429-retry-after":
        assert response["Retry-After"] == "30"
    if name == "redirect":
        assert "redirect" in error["message"]

    server.always(fs.ok())
    assert_fresh_answer(call()[0])  # the worker and the connection pool are usable again


@pytest.mark.parametrize(("name", "fault", "status", "code"), FAULTS, ids=IDS)
def test_fault_serves_a_cached_answer_as_stale(call, server, later, name, fault, status, code):
    first, _ = call()
    assert first["x-portkey-cache-status"] == "MISS"
    later()
    server.always(fault)
    response, elapsed = call()
    assert_fresh_answer(response)
    assert response["x-portkey-cache-status"] == "STALE"
    assert elapsed < TIMEOUT + MARGIN


def test_connection_refused_is_502_after_bounded_retries(call, settings):
    closed = f"127.0.0.1:{fs.closed_port()}"
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [closed]
    response, elapsed = call(base_url="http://" + closed)
    assert "Could not connect" in assert_error(response, 502, "bad_gateway")["message"]
    assert elapsed < TIMEOUT + MARGIN


def test_connection_refused_serves_stale(call, server, later):
    assert call()[0]["x-portkey-cache-status"] == "MISS"
    later()
    server.refuse()
    response, elapsed = call()
    assert response["x-portkey-cache-status"] == "STALE"
    assert elapsed < TIMEOUT + MARGIN


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_burst_of_5xx_is_recovered_by_the_retries(call, server, status):
    server.queue(fs.failure(status), fs.failure(503))
    response, elapsed = call()
    assert_fresh_answer(response)
    assert len(server.requests) == 3
    assert elapsed < TIMEOUT + MARGIN


def test_a_429_with_a_short_retry_after_is_retried(call, server):
    server.queue(fs.failure(429, {"Retry-After": "0"}))
    assert_fresh_answer(call()[0])
    assert len(server.requests) == 2


def test_redirect_is_not_followed(call, server):
    server.always(fs.redirect("http://10.0.0.5/v1/models"))
    assert_error(call()[0], 502, "bad_gateway")
    assert len(server.requests) == 1  # the conftest guard would also fail a followed redirect


CONTROL_PLANE_FAULTS = [
    ("no-answer", fs.silent, 504, "upstream_timeout"),
    ("slow-drip-body", fs.drip_body, 504, "upstream_timeout"),
    ("invalid-json", fs.answer(200, b"<html>oops</html>"), 502, "bad_gateway"),
    ("503", fs.failure(503), 502, "bad_gateway"),
    ("huge-without-length", fs.huge(declared=False), 502, "bad_gateway"),
]


@pytest.mark.parametrize(
    ("name", "fault", "status", "code"),
    CONTROL_PLANE_FAULTS,
    ids=[f[0] for f in CONTROL_PLANE_FAULTS],
)
def test_control_plane_faults(control_plane, server, later, name, fault, status, code):
    server.always(fault)
    response, elapsed = control_plane()
    assert assert_error(response, status, code)["provider"] == "control-plane"
    assert elapsed < TIMEOUT + MARGIN

    server.always(fs.ok())
    fresh, _ = control_plane()
    assert_fresh_answer(fresh)
    later()
    server.always(fault)
    stale, elapsed = control_plane()
    assert stale["x-portkey-cache-status"] == "STALE"
    assert stale.json()["data"] == fresh.json()["data"]
    assert elapsed < TIMEOUT + MARGIN


def test_control_plane_refused(control_plane, server, later):
    assert_fresh_answer(control_plane()[0])
    later()
    server.refuse()
    response, elapsed = control_plane()
    assert response["x-portkey-cache-status"] == "STALE"
    assert elapsed < TIMEOUT + MARGIN
    from django.core.cache import cache

    cache.clear()
    response, elapsed = control_plane()
    assert_error(response, 502, "bad_gateway")
    assert elapsed < TIMEOUT + MARGIN


def test_kept_alive_connections_outlive_the_call_that_opened_them(call, server, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.2
    assert_fresh_answer(call()[0])
    time.sleep(0.3)  # past the first call's deadline
    assert_fresh_answer(call(x_portkey_cache_force_refresh="true")[0])
    assert server.connections == 1


def test_the_deadline_shuts_down_only_sockets_still_being_read():
    busy, busy_peer = socket.socketpair()
    pooled, pooled_peer = socket.socketpair()
    with busy, busy_peer, pooled, pooled_peer:
        budget = transport.Budget(time.monotonic() + 0.05)
        budget.watch(busy)
        budget.watch(pooled)
        budget.unwatch(pooled)  # released to the pool before the deadline
        time.sleep(0.1)
        assert budget.expired
        assert busy.recv(1) == b""  # the blocked read ends at once
        pooled_peer.sendall(b"x")
        assert pooled.recv(1) == b"x"
        budget.close()


def test_the_watchdog_sleeps_past_budgets_already_closed():
    """Calls that finished in time must not wake the deadline thread: one wake per timeout."""
    watchdog = transport._Watchdog()
    waits = []

    class CountingCondition(threading.Condition):
        def wait(self, timeout=None):
            waits.append(timeout)
            return super().wait(timeout)

    watchdog._wakeup = CountingCondition()
    now = time.monotonic()
    finished = [transport.Budget(now + 0.05 + n * 0.002) for n in range(50)]
    for budget in finished:
        watchdog.schedule(budget)
        budget.close()  # the call ended well before its deadline
    open_budget = transport.Budget(now + 60)
    watchdog.schedule(open_budget)
    busy, busy_peer = socket.socketpair()
    with busy, busy_peer:
        late = transport.Budget(now + 0.25)
        watchdog.schedule(late)
        late.watch(busy)  # watch() schedules on the shared watchdog too: check ours directly
        time.sleep(0.4)
        # A wake per finished call would be ~50 waits; sleeping to the earliest open budget
        # is a handful.
        assert len(waits) <= 6, waits
        assert late.expired  # an open budget is still enforced on time
        assert not open_budget.expired
    open_budget.close()
    with watchdog._wakeup:
        watchdog._wakeup.notify()  # let the thread drop the rest and idle
