"""One contract, run over every registered provider: the same normalised answers and errors,
and endpoints that carry the provider's credential and nothing of the gateway's."""

import pytest
import requests

from models_api.errors import BadGateway, GatewayTimeout, InvalidRequest, NotFound, UpstreamError
from models_api.providers import PROVIDERS, get_client
from models_api.providers.base import Endpoint, Model
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


ROUTES = {"chat": "/v1/chat/completions", "completions": "/v1/completions",
          "embeddings": "/v1/embeddings"}  # fmt: skip


def _endpoint(case, capability, model=None, **kw):
    model = case.chat[0] if model is None else model
    return get_client(case.target.provider).endpoint(case.target, capability, model, **kw)


def test_chat_is_offered_at_the_providers_documented_url(mocked, case):
    endpoint = _endpoint(case, "chat")
    assert isinstance(endpoint, Endpoint)
    assert endpoint.url == case.chat[1]
    assert len(mocked.calls) == 0  # an endpoint is a description; nothing is sent


@pytest.mark.parametrize("capability", sorted(ROUTES))
@pytest.mark.parametrize("stream", [False, True])
def test_an_endpoint_carries_the_providers_credential_and_no_gateway_header(
    case, capability, stream
):
    client = get_client(case.target.provider)
    offered = [ROUTES[name] for name in ROUTES if name in client.calls]
    try:
        endpoint = _endpoint(case, capability, stream=stream)
    except InvalidRequest as refused:
        assert capability not in client.calls
        assert refused.status == 400
        assert refused.provider == case.target.provider
        assert refused.message == (
            f"{case.target.provider} does not offer {ROUTES[capability]}; "
            f"it offers: {', '.join(offered)}."
        )
        return
    assert capability in client.calls
    assert endpoint.url.startswith(("https://", "http://127.0.0.1"))
    assert not any(name.lower().startswith("x-portkey") for name in endpoint.headers)
    credential = case.target.credential
    carried = any(credential in value for value in endpoint.headers.values())
    assert carried or endpoint.auth is not None
    assert credential in endpoint.secrets
    assert credential not in endpoint.url
    assert all(credential not in value for value in endpoint.params.values())
    assert credential not in repr(endpoint)
    assert isinstance(endpoint.translated, bool)


def test_every_provider_offers_chat_and_says_whether_it_translates(case):
    client = get_client(case.target.provider)
    assert "chat" in client.calls
    assert _endpoint(case, "chat").translated is client.translated


@pytest.mark.parametrize("model", ["..", "../../v1/files"])
def test_a_model_id_never_moves_the_endpoint_off_its_path(case, model):
    try:
        endpoint = _endpoint(case, "chat", model)
    except NotFound:
        return
    # Where the id is in the path it is one segment, its slashes encoded; else it is not there.
    assert not {".", ".."} & set(endpoint.url.split("?")[0].split("/"))
    assert endpoint.url.split("/")[:3] == _endpoint(case, "chat").url.split("/")[:3]


@pytest.mark.parametrize("slug", sorted(s for s, client in PROVIDERS.items() if client.option_keys))
def test_an_endpoint_for_unusable_options_is_refused(mocked, slug):
    target = CASES[slug].target
    options = {key: "x\r\nX-Injected: 1" for key in get_client(slug).option_keys}
    broken = type(target)(slug, target.credential, target.base_url, options)
    with pytest.raises(InvalidRequest, match="must be printable ASCII"):
        get_client(slug).endpoint(broken, "chat", CASES[slug].chat[0])
    assert len(mocked.calls) == 0
