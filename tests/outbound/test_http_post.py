"""POST with a JSON body: sent as given, never retried once the provider may have it."""

import socket
import time

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from models_api.errors import BadGateway, GatewayTimeout, UpstreamError
from models_api.outbound import egress, http
from tests import fault_server as fs

URL = "https://api.example.test/v1/chat/completions"
BODY = b'{"model":"gpt-4o",  "messages":[{"role":"user","content":"hi"}],"zeta":1,"alpha":2}'
ANSWER = {"id": "chatcmpl-1", "object": "chat.completion", "choices": []}


def _post(**kwargs):
    kwargs.setdefault("body", BODY)
    return http.post_json(URL, provider="example", **kwargs)


def _refused():
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, URL, reason))


def _unresolved():
    reason = NameResolutionError("api.example.test", None, socket.gaierror(-2, "not known"))
    return requests.exceptions.ConnectionError(MaxRetryError(None, URL, reason))


def test_the_body_goes_byte_for_byte_with_json_headers(mocked):
    mocked.post(URL, json=ANSWER)
    assert _post(headers={"Authorization": "Bearer sk-1"}) == ANSWER
    request = mocked.calls[0].request
    assert request.method == "POST"
    assert request.body == BODY  # not re-serialised: spacing and key order kept
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(BODY))
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "Bearer sk-1"
    assert "Cookie" not in request.headers


def test_timeouts_come_from_the_setting(mocked, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 9
    mocked.post(URL, json=ANSWER)
    _post()
    connect, read = mocked.calls[0].request.req_kwargs["timeout"]
    assert connect == pytest.approx(3, abs=0.05)
    assert 8.9 < read <= 9


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_not_retried(mocked, sleeps, status):
    mocked.post(URL, status=status, json={"error": {"message": f"said {status}"}})
    with pytest.raises((UpstreamError, BadGateway)) as caught:
        _post()
    assert caught.value.status == (429 if status == 429 else 502)
    assert f"said {status}" in caught.value.message
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_a_429_keeps_its_retry_after_for_the_client(mocked):
    mocked.post(URL, status=429, headers={"Retry-After": "7"}, json={"error": "slow down"})
    with pytest.raises(UpstreamError) as caught:
        _post()
    assert caught.value.headers == {"Retry-After": "7"}


def test_a_rejection_keeps_the_providers_status_and_message(mocked):
    mocked.post(
        URL,
        status=400,
        json={"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}},
    )
    with pytest.raises(UpstreamError) as caught:
        _post()
    assert caught.value.status == 400
    assert caught.value.provider == "example"
    assert caught.value.message == (
        "example rejected the request (HTTP 400): max_tokens is too large"
    )


@pytest.mark.parametrize("failure", [_refused, _unresolved], ids=["refused", "no-such-name"])
def test_a_connection_never_made_is_retried(mocked, sleeps, failure):
    mocked.post(URL, body=failure())
    mocked.post(URL, json=ANSWER)
    assert _post() == ANSWER
    assert len(mocked.calls) == 2
    assert sleeps == [0.25]


def test_retries_of_refused_connections_are_bounded(mocked, sleeps):
    mocked.post(URL, body=_refused())
    with pytest.raises(
        BadGateway, match="Could not connect to example at https://api.example.test"
    ):
        _post()
    assert len(mocked.calls) == http.MAX_RETRIES + 1
    assert sleeps == [0.25, 0.5]


def test_connect_timeouts_are_retried_then_a_timeout(mocked):
    mocked.post(URL, body=requests.exceptions.ConnectTimeout())
    with pytest.raises(GatewayTimeout):
        _post()
    assert len(mocked.calls) == http.MAX_RETRIES + 1


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"),
        requests.exceptions.ChunkedEncodingError("Connection broken"),
    ],
    ids=["reset-after-sending", "broken-answer"],
)
def test_a_failure_after_sending_is_not_retried(mocked, sleeps, failure):
    mocked.post(URL, body=failure)
    with pytest.raises(BadGateway):
        _post()
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_a_read_timeout_is_a_504_and_not_retried(mocked):
    mocked.post(URL, body=requests.exceptions.ReadTimeout())
    with pytest.raises(GatewayTimeout, match="GATEWAY_UPSTREAM_TIMEOUT"):
        _post()
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("body", ["not json", "", '{"id": '])
def test_a_success_that_is_not_json_is_a_502(mocked, body):
    mocked.post(URL, body=body)
    with pytest.raises(BadGateway, match="example answered HTTP 200 with a body that is not JSON"):
        _post()


def test_an_answer_over_the_cap_is_a_502(mocked, settings):
    settings.GATEWAY_MAX_RESPONSE_BYTES = 1000
    mocked.post(URL, json={"choices": ["x" * 2000]})
    with pytest.raises(BadGateway, match="larger than 1000 bytes"):
        _post()


def test_credentials_are_scrubbed_from_messages(mocked):
    mocked.post(URL, status=401, json={"error": {"message": "bad key sk-SECRET-1 / az-SECRET-2"}})
    with pytest.raises(UpstreamError) as caught:
        _post(headers={"Authorization": "Bearer sk-SECRET-1"}, secrets=["az-SECRET-2"])
    assert "SECRET" not in caught.value.message
    assert caught.value.message.count("[REDACTED]") == 2


def test_signing_auth_sees_the_body(mocked):
    seen = []

    def auth(request):
        seen.append(request.body)
        request.headers["Authorization"] = "Signed"
        return request

    mocked.post(URL, json=ANSWER)
    _post(auth=auth)
    assert seen == [BODY]
    assert mocked.calls[0].request.headers["Authorization"] == "Signed"


def test_a_spent_deadline_sends_nothing(mocked):
    with pytest.raises(GatewayTimeout):
        _post(deadline=time.monotonic() - 1)
    assert len(mocked.calls) == 0


def test_a_private_address_is_refused_before_connecting():
    with fs.serve() as server, pytest.raises(BadGateway) as caught:
        http.post_json(server.url + "/v1/chat/completions", provider="example", body=BODY)
    assert caught.value.code == "private_address_refused"
    assert server.connections == 0


@pytest.fixture
def server(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 1.0
    with fs.serve() as running:
        yield running


def _real_post(server):
    url = server.url + "/v1/chat/completions"
    return http.post_json(url, provider="example", body=BODY, policy=egress.OPERATOR)


def test_a_real_post_reaches_the_server_once(server):
    server.always(fs.answer(200, ANSWER))
    assert _real_post(server) == ANSWER
    assert [path for path, _ in server.requests] == ["/v1/chat/completions"]
    assert server.requests[0][1]["content-length"] == str(len(BODY))


def hang_up(server, conn) -> bool:
    """Read the request, then close without answering: the provider may have acted on it."""
    return False


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [(hang_up, BadGateway), (fs.silent, GatewayTimeout), (fs.failure(503), BadGateway)],
    ids=["hang-up", "silent", "503"],
)
def test_a_real_post_that_reached_the_server_is_sent_once(server, sleeps, behaviour, error):
    server.always(behaviour)
    started = time.monotonic()
    with pytest.raises(error):
        _real_post(server)
    assert time.monotonic() - started < 2.0
    assert len(server.requests) == 1
    assert sleeps == []


def test_a_real_refused_connection_is_retried(sleeps):
    url = f"http://127.0.0.1:{fs.closed_port()}/v1/chat/completions"
    with pytest.raises(BadGateway, match="Could not connect"):
        http.post_json(url, provider="example", body=BODY, policy=egress.OPERATOR)
    assert sleeps == [0.25, 0.5]


def _late(seconds: float, body: dict):
    """Answer `body` after `seconds` of silence: a model generating its whole answer."""

    def behaviour(server, conn) -> bool:
        time.sleep(seconds)
        return fs.answer(200, body)(server, conn)

    return behaviour


def _model_call(server, idle: float):
    url = server.url + "/v1/chat/completions"
    return http.post_json(
        url, provider="example", body=BODY, policy=egress.OPERATOR, idle_timeout=idle
    )


def test_with_idle_timeout_an_answer_later_than_the_deadline_arrives(server, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.3
    server.always(_late(0.8, ANSWER))
    assert _model_call(server, idle=3) == ANSWER
    # The same call without idle_timeout is bounded as a whole by the deadline.
    with pytest.raises(GatewayTimeout, match="GATEWAY_UPSTREAM_TIMEOUT"):
        _real_post(server)


def test_with_idle_timeout_a_silence_past_it_is_a_504_not_retried(server, settings, sleeps):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 5
    server.always(_late(2.0, ANSWER))
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        _model_call(server, idle=0.3)
    assert info.value.code == "upstream_idle_timeout"
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 1 and sleeps == []


def _drip_json(server, conn) -> bool:
    body = b'{"done": true}'
    conn.sendall(fs._head(200, {"Content-Type": "application/json", "Content-Length": "14"}))
    for byte in body:
        time.sleep(0.07)
        conn.sendall(bytes([byte]))
    return False


def test_with_idle_timeout_a_slow_drip_is_read_to_its_end(server, settings):
    # Each gap is short; the whole answer takes about a second, past the deadline.
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.4
    server.always(_drip_json)
    assert _model_call(server, idle=2) == {"done": True}
