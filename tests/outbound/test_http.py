"""The one outbound HTTP module: retries, deadline, size cap, redirects, error translation."""

import json
import time

import pytest
import requests

from models_api.errors import BadGateway, GatewayTimeout, UpstreamError
from models_api.outbound import http, pool

URL = "https://api.example.test/v1/models"
OK = {"object": "list", "data": []}

pytestmark = pytest.mark.usefixtures("sleeps")  # retries record their waits, never sleep


def _get(**kwargs):
    return http.get_json(URL, provider="example", **kwargs)


def test_returns_decoded_json_with_headers_and_params(mocked):
    mocked.get(URL, json=OK)
    assert _get(headers={"Authorization": "Bearer k"}, params={"a": "1"}) == OK
    request = mocked.calls[0].request
    assert request.url == URL + "?a=1"
    assert request.headers["Authorization"] == "Bearer k"
    assert request.headers["Accept"] == "application/json"
    assert request.req_kwargs["stream"] is True


def test_timeouts_come_from_the_setting(mocked, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 6
    mocked.get(URL, json=OK)
    _get()
    connect, read = mocked.calls[0].request.req_kwargs["timeout"]
    assert connect == pytest.approx(2, abs=0.05)
    assert 5.9 < read <= 6


def test_one_pooled_session_that_keeps_no_cookies(mocked):
    assert pool.session() is pool.session()
    mocked.get(URL, json=OK, headers={"Set-Cookie": "tenant=a; Domain=api.example.test; Path=/"})
    mocked.get(URL, json=OK)
    _get()
    _get()
    assert "Cookie" not in mocked.calls[1].request.headers
    assert not pool.session().cookies


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(mocked, sleeps, status):
    mocked.get(URL, status=status, body="")
    mocked.get(URL, json=OK)
    assert _get() == OK
    assert len(mocked.calls) == 2
    assert sleeps == [0.25]


def test_retry_after_is_honoured_when_it_fits(mocked, sleeps):
    mocked.get(URL, status=429, headers={"Retry-After": "2"}, json={"error": "slow down"})
    mocked.get(URL, json=OK)
    assert _get() == OK
    assert sleeps == [2.0]


def test_retry_after_past_the_budget_returns_the_providers_429(mocked, sleeps, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 5
    mocked.get(URL, status=429, headers={"Retry-After": "30"}, json={"error": "Rate limited"})
    with pytest.raises(UpstreamError) as caught:
        _get()
    assert caught.value.status == 429
    assert caught.value.headers == {"Retry-After": "30"}
    assert "Rate limited" in caught.value.message
    assert sleeps == []
    assert len(mocked.calls) == 1


def test_retries_are_bounded(mocked, sleeps):
    mocked.get(URL, status=502, json={"error": {"message": "upstream down"}})
    with pytest.raises(BadGateway) as caught:
        _get()
    assert caught.value.status == 502
    assert "HTTP 502: upstream down" in caught.value.message
    assert len(mocked.calls) == http.MAX_RETRIES + 1
    assert sleeps == [0.25, 0.5]


def test_other_statuses_are_not_retried(mocked):
    mocked.get(URL, status=501, json={"message": "oops"})
    with pytest.raises(BadGateway, match="example failed with HTTP 501: oops"):
        _get()
    assert len(mocked.calls) == 1


def test_connection_errors_are_retried(mocked, sleeps):
    mocked.get(URL, body=requests.exceptions.ConnectionError("refused"))
    mocked.get(URL, json=OK)
    assert _get() == OK
    assert sleeps == [0.25]


def test_unreachable_names_only_the_origin(mocked):
    url = "https://api.example.test/v1/models?key=SECRETKEY"
    mocked.get(url, body=requests.exceptions.ConnectionError(f"failed for {url}"))
    with pytest.raises(BadGateway) as caught:
        http.get_json(url, provider="example")
    assert caught.value.message.startswith(
        "Could not connect to example at https://api.example.test"
    )
    assert "SECRETKEY" not in caught.value.message


def test_read_timeout_is_not_retried(mocked):
    mocked.get(URL, body=requests.exceptions.ReadTimeout())
    with pytest.raises(GatewayTimeout) as caught:
        _get()
    assert caught.value.status == 504
    assert "GATEWAY_UPSTREAM_TIMEOUT" in caught.value.message
    assert len(mocked.calls) == 1


def test_connect_timeouts_are_retried_then_a_timeout(mocked):
    mocked.get(URL, body=requests.exceptions.ConnectTimeout())
    with pytest.raises(GatewayTimeout):
        _get()
    assert len(mocked.calls) == 3


def test_a_spent_deadline_sends_nothing(mocked):
    with pytest.raises(GatewayTimeout):
        _get(deadline=time.monotonic() - 1)
    assert len(mocked.calls) == 0


def test_a_retry_that_does_not_fit_the_budget_is_skipped(mocked, sleeps):
    mocked.get(URL, status=503, body="")
    with pytest.raises(BadGateway):
        _get(deadline=time.monotonic() + 0.1)  # less than the first backoff
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_redirects_are_not_followed(mocked):
    mocked.get(URL, status=301, headers={"Location": "http://127.0.0.1:9/internal"})
    with pytest.raises(BadGateway, match=r"example redirected the request \(HTTP 301\)"):
        _get()
    assert len(mocked.calls) == 1


def test_body_over_the_cap_is_a_bad_gateway(mocked, settings):
    settings.GATEWAY_MAX_RESPONSE_BYTES = 1000
    mocked.get(URL, body=json.dumps({"data": ["x" * 2000]}))
    with pytest.raises(BadGateway, match="larger than 1000 bytes"):
        _get()


def test_declared_length_over_the_cap_is_refused_before_reading(mocked, settings):
    settings.GATEWAY_MAX_RESPONSE_BYTES = 10
    mocked.get(URL, body="{}", headers={"Content-Length": "50000"})
    with pytest.raises(BadGateway, match="larger than 10 bytes"):
        _get()


def test_body_at_the_cap_is_read(mocked, settings):
    body = json.dumps({"data": ["x" * 100]})
    settings.GATEWAY_MAX_RESPONSE_BYTES = len(body)
    mocked.get(URL, body=body)
    assert _get() == {"data": ["x" * 100]}


@pytest.mark.parametrize("body", ["not json", "", "\xff"])
def test_success_that_is_not_json_is_a_bad_gateway(mocked, body):
    mocked.get(URL, body=body)
    with pytest.raises(BadGateway, match="example answered HTTP 200 with a body that is not JSON"):
        _get()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "m1", "type": "t", "code": "c"}}, "m1"),  # OpenAI
        ({"error": "m2"}, "m2"),  # vLLM, Ollama, TGI
        ({"message": "m3", "request_id": "r"}, "m3"),  # Mistral, Cohere, AWS
        ({"detail": "m4"}, "m4"),  # Mistral, FastAPI
        ({"detail": [{"loc": ["query"], "msg": "m5a"}, {"msg": "m5b"}]}, "m5a; m5b"),
        ({"type": "error", "error": {"type": "authentication_error", "message": "m6"}}, "m6"),
        ({"error": {"code": 400, "message": "m7", "status": "INVALID_ARGUMENT"}}, "m7"),
        ({"code": "Client specified an invalid argument", "error": "m8"}, "m8"),  # xAI
        ({"object": "error", "message": "m9", "type": "t"}, "m9"),  # older vLLM
        ("plain text reason", "plain text reason"),
        ("", "HTTP 401 Unauthorized with no message"),  # TGI
        ("<html><body>401</body></html>", "HTTP 401 Unauthorized with no message"),
        ({"unknown": "shape"}, "HTTP 401 Unauthorized with no message"),
    ],
)
def test_provider_message_is_kept_from_every_error_shape(mocked, body, expected):
    kind = {"body": body} if isinstance(body, str) else {"json": body}
    mocked.get(URL, status=401, **kind)
    with pytest.raises(UpstreamError) as caught:
        _get()
    assert caught.value.status == 401
    assert caught.value.provider == "example"
    assert caught.value.message == f"example rejected the request (HTTP 401): {expected}"


def test_aws_error_type_header_names_the_error(mocked):
    mocked.get(
        URL,
        status=403,
        headers={"x-amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/"},
        json={"Message": "not authorized to perform bedrock:ListFoundationModels"},
    )
    with pytest.raises(UpstreamError) as caught:
        _get()
    assert caught.value.status == 403
    assert caught.value.message.endswith(
        "AccessDeniedException: not authorized to perform bedrock:ListFoundationModels"
    )


def test_credentials_are_scrubbed_from_provider_messages(mocked):
    echoed = "bad: sk-FULLSECRET0001 / hdr-SECRET-0002 / q-SECRET-0003 / extra-SECRET-0004"
    mocked.get(URL, status=401, json={"error": {"message": echoed}})
    with pytest.raises(UpstreamError) as caught:
        _get(
            headers={"Authorization": "Bearer sk-FULLSECRET0001", "x-api-key": "hdr-SECRET-0002"},
            params={"key": "q-SECRET-0003"},
            secrets=["extra-SECRET-0004"],
        )
    assert "SECRET" not in caught.value.message
    assert caught.value.message.count("[REDACTED]") == 4


def test_masked_keys_in_provider_messages_are_scrubbed(mocked):
    # A masked echo still gives away part of the key (issue 12, point 10).
    mocked.get(
        URL, status=401, json={"error": {"message": "Incorrect API key provided: sk-abc***"}}
    )
    with pytest.raises(UpstreamError, match=r"provided: \[REDACTED\]$"):
        _get(headers={"Authorization": "Bearer sk-abcdefghijklmnop"})


def test_server_errors_are_scrubbed_too(mocked):
    mocked.get(URL, status=500, json={"message": "crashed handling key tok-SECRET-9"})
    with pytest.raises(BadGateway) as caught:
        _get(headers={"api-key": "tok-SECRET-9"})
    assert "tok-SECRET-9" not in caught.value.message


def test_signing_auth_runs_on_every_attempt(mocked):
    signed = []

    def auth(request):
        signed.append(request.url)
        request.headers["Authorization"] = f"Signed {len(signed)}"
        return request

    mocked.get(URL, status=503, body="")
    mocked.get(URL, json=OK)
    _get(auth=auth)
    assert [c.request.headers["Authorization"] for c in mocked.calls] == ["Signed 1", "Signed 2"]


def test_settings_are_read_at_call_time(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.5
    assert http.new_deadline() - time.monotonic() == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"data": [{"id": "m", "created": 1715367049}]}',
            {"data": [{"id": "m", "created": 1715367049}]},
        ),
        # What orjson refuses but JSON parsers accept: the standard library still reads it.
        ('{"id": "m"}'.encode("utf-16"), {"id": "m"}),
        (
            b'{"id": "m", "score": NaN}',
            {"id": "m", "score": pytest.approx(float("nan"), nan_ok=True)},
        ),
    ],
)
def test_json_bodies_orjson_or_the_standard_library(mocked, body, expected):
    mocked.get(URL, body=body, content_type="application/json")
    assert _get() == expected


def test_a_body_neither_parser_reads_is_a_502(mocked):
    mocked.get(URL, body=b'{"data": [', content_type="application/json")
    with pytest.raises(BadGateway, match="not JSON"):
        _get()


@pytest.fixture
def proxies_unset(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_environment_is_read_once_without_a_proxy(monkeypatch, proxies_unset):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    session = requests.Session()
    pool._environment_read_once(session)
    assert session.trust_env is False  # no per-call scan of os.environ or ~/.netrc
    assert session.verify == "/etc/ssl/corporate.pem"


def test_no_proxy_alone_is_no_proxy(monkeypatch, proxies_unset):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    session = requests.Session()
    pool._environment_read_once(session)
    assert session.trust_env is False


def test_with_a_proxy_requests_keeps_reading_the_environment(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal.test:3128")
    session = requests.Session()
    pool._environment_read_once(session)
    assert session.trust_env is True  # so NO_PROXY is still honoured per host
    assert session.verify is True


@pytest.fixture
def fresh_sessions(monkeypatch):
    """Sessions built from this test's environment, not the ones the process already holds."""
    monkeypatch.setattr(pool, "_sessions", {})


def test_a_configured_proxy_carries_the_call(monkeypatch, mocked, fresh_sessions):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    mocked.get(URL, json=OK)
    assert _get() == OK
    sent = mocked.calls[0].request.req_kwargs
    assert sent["proxies"]["https"] == "http://proxy.internal.test:3128"
    assert sent["stream"] is True


def test_no_proxy_still_sends_that_host_direct(monkeypatch, mocked, fresh_sessions):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal.test:3128")
    monkeypatch.setenv("NO_PROXY", "api.example.test")
    mocked.get(URL, json=OK)
    assert _get() == OK
    assert "https" not in mocked.calls[0].request.req_kwargs["proxies"]


def test_without_a_proxy_the_ca_bundle_still_verifies(
    monkeypatch, mocked, fresh_sessions, proxies_unset
):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    mocked.get(URL, json=OK)
    assert _get() == OK
    sent = mocked.calls[0].request.req_kwargs
    assert sent["verify"] == "/etc/ssl/corporate.pem"
    assert sent["proxies"] == {}


@pytest.mark.parametrize(
    ("url", "error"), [("https://", "InvalidURL"), ("api.example.test/v1", "MissingSchema")]
)
def test_a_malformed_url_is_a_502_every_time(mocked, url, error):
    for _ in range(2):  # the second call must not come from a cache of prepared URLs
        with pytest.raises(BadGateway, match=f"Could not call example: {error}"):
            http.get_json(url, provider="example")
    assert len(mocked.calls) == 0


def test_a_url_with_a_query_is_never_kept(mocked):
    """Prepared URLs are memoised, but not one whose query might carry a key."""
    keyed = "https://api.example.test/v1/models?key=secret-0123456789"
    mocked.get(URL, json=OK)  # no query matcher: answers with or without one
    pool._prepared_url.cache_clear()
    assert _get() == OK  # a query-less URL is kept ...
    http.get_json(keyed, provider="example")
    _get(params={"key": "secret-0123456789"})
    assert pool._prepared_url.cache_info().currsize == 1  # ... the keyed ones are not
    assert [call.request.url for call in mocked.calls] == [URL, keyed, keyed]
