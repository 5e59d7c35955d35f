"""/metrics: request, cache and upstream series, and the server's multiprocess mode."""

import contextlib
import subprocess
import sys

import pytest
import responses
from prometheus_client import REGISTRY

from models_api import metrics
from models_api.errors import BadGateway, GatewayTimeout, UpstreamError
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_counted_by_route_and_status(client):
    before_ok = sample("gateway_requests_total", route="healthz", status="200")
    before_401 = sample("gateway_requests_total", route="models-list", status="401")
    before_404 = sample("gateway_requests_total", route="unresolved", status="404")
    timed = sample("gateway_request_duration_seconds_count", route="healthz")

    client.get("/healthz")
    client.get("/v1/models")
    client.get("/no/such/page")

    assert sample("gateway_requests_total", route="healthz", status="200") == before_ok + 1
    assert sample("gateway_requests_total", route="models-list", status="401") == before_401 + 1
    assert sample("gateway_requests_total", route="unresolved", status="404") == before_404 + 1
    assert sample("gateway_request_duration_seconds_count", route="healthz") == timed + 1


def test_admin_pages_share_one_label(client):
    before = sample("gateway_requests_total", route="admin", status="302")
    client.get("/admin/keys/apikey/")
    assert sample("gateway_requests_total", route="admin", status="302") == before + 1


@responses.activate
def test_cache_statuses_counted_by_provider(client):
    virtual_key = VirtualKeyFactory(base_url="https://api.openai.com/v1")
    _, raw = make_api_key(virtual_keys=[virtual_key])
    responses.get("https://api.openai.com/v1/models", json={"object": "list", "data": []})
    miss = sample("gateway_models_cache_total", provider="openai", status="MISS")
    hit = sample("gateway_models_cache_total", provider="openai", status="HIT")

    headers = {"x-portkey-api-key": raw, "x-portkey-virtual-key": virtual_key.slug}
    client.get("/v1/models", headers=headers)
    client.get("/v1/models", headers=headers)

    assert sample("gateway_models_cache_total", provider="openai", status="MISS") == miss + 1
    assert sample("gateway_models_cache_total", provider="openai", status="HIT") == hit + 1


def test_upstream_observe():
    before = sample("gateway_upstream_requests_total", provider="groq", outcome="timeout")
    metrics.upstream_observe("groq", "timeout", 10.0)
    assert sample("gateway_upstream_requests_total", provider="groq", outcome="timeout") == (
        before + 1
    )
    assert sample("gateway_upstream_duration_seconds_bucket", provider="groq", le="10.0") >= 1


def test_metrics_endpoint_is_prometheus_text(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert 'gateway_requests_total{route="healthz",status="200"}' in body
    assert "# TYPE gateway_request_duration_seconds histogram" in body
    assert client.post("/metrics").status_code == 405


def test_multiprocess_mode_sums_every_worker(tmp_path, monkeypatch, client):
    """Two processes (as two server workers) write samples; /metrics reports their sum."""
    worker = (
        "from models_api import metrics; "
        "metrics.request_observe('models-list', 200, 0.002); "
        "metrics.cache_observe('anthropic', 'STALE')"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], env=env, check=True, cwd=".")
    assert len(list(tmp_path.glob("*.db"))) >= 2

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body = client.get("/metrics").content.decode()
    assert 'gateway_requests_total{route="models-list",status="200"} 2.0' in body
    assert 'gateway_models_cache_total{provider="anthropic",status="STALE"} 2.0' in body


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, "ok"),
        (UpstreamError("no", status=401, provider="groq"), "client_error"),
        (BadGateway("down", provider="groq"), "bad_gateway"),
        (GatewayTimeout("slow", provider="groq"), "timeout"),
        (BadGateway("private", provider="groq", code="private_address_refused"), "refused"),
        (KeyError("bug"), "error"),
    ],
)
def test_upstream_timed_labels_the_outcome(error, outcome):
    before = sample("gateway_upstream_requests_total", provider="groq", outcome=outcome)
    with contextlib.suppress(Exception), metrics.upstream_timed("groq"):
        if error is not None:
            raise error
    after = sample("gateway_upstream_requests_total", provider="groq", outcome=outcome)
    assert after == before + 1


METRICS_TOKEN = "metrics-token-0123456789"


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer wrong-token", f"Basic {METRICS_TOKEN}", "Bearer", "Bearer métriques"],
)
def test_metrics_token_refuses_a_scraper_without_it(client, settings, authorization):
    settings.GATEWAY_METRICS_TOKEN = METRICS_TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == "invalid_metrics_token"
    assert "GATEWAY_METRICS_TOKEN" in error["message"]
    assert METRICS_TOKEN not in response.content.decode()


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_metrics_token_lets_the_scraper_in(client, settings, scheme):
    settings.GATEWAY_METRICS_TOKEN = METRICS_TOKEN
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"{scheme} {METRICS_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE gateway_requests_total counter" in response.content.decode()
