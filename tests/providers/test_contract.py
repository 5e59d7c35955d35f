"""One contract, run over every registered provider: the same normalised answers and errors."""

import pytest
import requests

from models_api.errors import BadGateway, GatewayTimeout, InvalidRequest, UpstreamError
from models_api.providers import PROVIDERS, get_client
from models_api.providers.base import Model
from models_api.redaction import scrub
from tests.providers.cases import CASES


def test_every_registered_provider_has_a_case():
    assert sorted(CASES) == sorted(PROVIDERS)


@pytest.fixture(params=sorted(PROVIDERS))
def case(request):
    return CASES[request.param]


def _list(case):
    return get_client(case.target.provider).list_models(case.target)


def test_success_is_normalised_to_openai_models(mocked, case):
    mocked.get(case.url, json=case.body)
    listing = _list(case)
    assert listing.models, "the fixture lists models"
    assert all(isinstance(model, Model) for model in listing.models)
    assert {k: v for k, v in listing.models[0].as_dict().items() if k in case.first} == case.first
    for model in listing.models:
        data = model.as_dict()
        assert data["object"] == "model"
        assert isinstance(data["id"], str) and data["id"]
        assert isinstance(data["created"], int) and data["created"] >= 0
        assert isinstance(data["owned_by"], str) and data["owned_by"]
    assert len(mocked.calls) == 1
    name, prefix = case.auth
    assert mocked.calls[0].request.headers[name].startswith(prefix)
    assert mocked.calls[0].request.url.split("?")[0] == case.url


def test_bad_key_keeps_the_providers_status_and_message(mocked, case):
    kind = {"body": case.bad_body} if isinstance(case.bad_body, str) else {"json": case.bad_body}
    mocked.get(case.url, status=case.bad_status, headers=case.bad_headers, **kind)
    with pytest.raises(UpstreamError) as caught:
        _list(case)
    error = caught.value
    assert error.status == case.bad_status
    assert error.provider == case.target.provider
    # The message is kept, less any piece of the key it quotes (DeepSeek quotes "****cdef").
    assert scrub(case.bad_message, [case.target.credential]) in error.message
    assert case.target.provider in error.message
    assert case.target.credential not in error.message
    assert error.body()["error"]["provider"] == case.target.provider


def test_server_error_is_a_bad_gateway(mocked, case):
    mocked.get(case.url, status=500, json={"error": {"message": "boom"}})
    with pytest.raises(BadGateway) as caught:
        _list(case)
    assert caught.value.status == 502
    assert case.target.provider in caught.value.message
    assert "HTTP 500" in caught.value.message


def test_unavailable_is_retried_then_a_bad_gateway(mocked, case, sleeps):
    mocked.get(case.url, status=503, body="")
    with pytest.raises(BadGateway):
        _list(case)
    assert len(mocked.calls) == 3
    assert sleeps == [0.25, 0.5]


def test_timeout_is_a_gateway_timeout(mocked, case):
    mocked.get(case.url, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(GatewayTimeout) as caught:
        _list(case)
    assert caught.value.status == 504
    assert case.target.provider in caught.value.message


def test_body_that_is_not_json_is_a_bad_gateway(mocked, case):
    mocked.get(case.url, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(BadGateway, match="not JSON"):
        _list(case)


@pytest.mark.parametrize("body", [{"unexpected": True}, "a string", [1, 2]])
def test_body_of_the_wrong_shape_is_a_bad_gateway(mocked, case, body):
    mocked.get(case.url, json=body)
    with pytest.raises(BadGateway) as caught:
        _list(case)
    assert case.target.provider in caught.value.message


def test_credential_is_never_in_the_url(mocked, case):
    mocked.get(case.url, json=case.body)
    _list(case)
    assert case.target.credential not in mocked.calls[0].request.url


def test_unreachable_is_a_bad_gateway(mocked, case):
    mocked.get(case.url, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(BadGateway, match="Could not connect"):
        _list(case)
    assert len(mocked.calls) == 3


def test_redirect_is_not_followed(mocked, case):
    mocked.get(case.url, status=302, headers={"Location": "http://169.254.169.254/"})
    with pytest.raises(BadGateway, match="not followed"):
        _list(case)
    assert len(mocked.calls) == 1


def test_credential_query_parameters_are_refused(case):
    with pytest.raises(InvalidRequest) as caught:
        get_client(case.target.provider).list_models(case.target, {"key": "other"})
    assert caught.value.param == "key"
