"""GuardedAdapter's shortcuts past requests' per-call work, on a real server on 127.0.0.1.

`responses` replaces HTTPAdapter.send, so the pool lookup and request line are only
exercised here.
"""

import pytest
import requests

from models_api.outbound import egress, http, pool, transport
from tests import fault_server as fs


@pytest.fixture
def server(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 2.0
    with fs.serve() as running:
        yield running


@pytest.fixture
def adapter(monkeypatch):
    """A fresh operator session, so the pools and keys seen are this test's alone."""
    monkeypatch.setattr(pool, "_sessions", {})
    return pool.session(egress.OPERATOR).get_adapter("http://")


def _get(url, **kwargs):
    return http.get_json(url, provider="example", policy=egress.OPERATOR, **kwargs)


def test_calls_to_one_origin_share_a_pool_key_and_a_connection(server, adapter):
    server.always(fs.answer(200, {"n": 1}, {"X-Tag": "a"}))
    assert _get(server.url + "/v1/models") == {"n": 1}
    assert _get(server.url + "/v1/models", params={"after": "m 1"}) == {"n": 1}
    assert _get(server.url + "/other?limit=5") == {"n": 1}
    assert [path for path, _ in server.requests] == [
        "/v1/models",
        "/v1/models?after=m+1",
        "/other?limit=5",
    ]
    assert server.requests[0][1]["host"] == server.host
    assert server.connections == 1  # the pooled connection was reused
    assert len(adapter._pool_keys) == 1


def test_the_answers_headers_and_status_are_requests_own(server, adapter):
    headers = {"Set-Cookie": "tenant=a; Path=/", "Content-Type": "application/json; charset=utf-8"}
    server.always(fs.answer(201, {"ok": True}, headers))
    url = server.url + "/v1/chat/completions"
    sent = pool.session(egress.OPERATOR).get_adapter(url)
    prepared = requests.Request("GET", url).prepare()
    with sent.send(prepared, stream=True, timeout=(1, 1)) as response:
        assert response.status_code == 201
        assert response.reason == "Status"
        assert response.headers["set-cookie"] == "tenant=a; Path=/"
        assert response.encoding == "utf-8"
        assert response.url == url
        assert response.request is prepared
        assert response.json() == {"ok": True}
        assert not response.cookies  # provider cookies are never kept
    assert not pool.session(egress.OPERATOR).cookies


def test_tls_settings_and_hosts_get_their_own_pools(adapter):
    url = "https://api.example.test/v1/models"
    prepared = requests.Request("GET", url).prepare()
    checked = adapter.get_connection_with_tls_context(prepared, True)
    unchecked = adapter.get_connection_with_tls_context(prepared, False)
    bundle = adapter.get_connection_with_tls_context(prepared, "/etc/ssl/corporate.pem")
    assert checked is adapter.get_connection_with_tls_context(prepared, True)
    assert len({id(checked), id(unchecked), id(bundle)}) == 3
    assert (checked.cert_reqs, unchecked.cert_reqs) == ("CERT_REQUIRED", "CERT_NONE")
    assert bundle.ca_certs == "/etc/ssl/corporate.pem"
    assert (checked.host, checked.port, checked.scheme) == ("api.example.test", 443, "https")
    assert isinstance(checked, transport._pool_classes(egress.OPERATOR)["https"])
    other = requests.Request("GET", "http://API.example.test:8080/x").prepare()
    plain = adapter.get_connection_with_tls_context(other, True)
    assert (plain.host, plain.port, plain.scheme) == ("api.example.test", 8080, "http")


def test_an_evicted_pool_is_never_handed_out_again(adapter):
    adapter.poolmanager.pools._maxsize = 1
    first = requests.Request("GET", "https://one.example.test/").prepare()
    second = requests.Request("GET", "https://two.example.test/").prepare()
    evicted = adapter.get_connection_with_tls_context(first, True)
    adapter.get_connection_with_tls_context(second, True)
    again = adapter.get_connection_with_tls_context(first, True)
    assert again is not evicted  # the manager made a fresh pool; the closed one is gone
    assert len(adapter.poolmanager.pools) == 1


def test_through_a_proxy_requests_own_path_is_taken(adapter):
    prepared = requests.Request("GET", "http://api.example.test/v1/models?a=1").prepare()
    proxies = {"http": "http://proxy.internal.test:3128"}
    assert adapter.request_url(prepared, proxies) == "http://api.example.test/v1/models?a=1"
    assert adapter.request_url(prepared, {}) == "/v1/models?a=1"
    through = adapter.get_connection_with_tls_context(prepared, True, proxies)
    assert (through.host, through.port) == ("proxy.internal.test", 3128)
    assert adapter._pool_keys == {}


def test_a_user_in_the_url_is_sent_as_basic_auth(server, adapter):
    """The shortcuts step aside for a URL with userinfo: requests' own handling applies."""
    url = server.url.replace("http://", "http://user:secret@") + "/v1/models"
    assert _get(url) == fs.MODELS
    assert _get(server.url + "/v1/models") == fs.MODELS
    first, second = (headers for _, headers in server.requests)
    assert first["authorization"] == "Basic dXNlcjpzZWNyZXQ="  # user:secret
    assert "authorization" not in second
    assert len(adapter._pool_keys) == 1  # only the URL without userinfo was kept
