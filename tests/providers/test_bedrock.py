"""Bedrock: SigV4 signing (checked against an independent computation), Bearer keys, mapping."""

import hashlib
import hmac
from datetime import UTC, datetime
from types import MappingProxyType

import pytest
import requests
from responses import matchers

from models_api.errors import InvalidRequest, NotFound, UpstreamError
from models_api.providers import get_client, validate_target_options
from models_api.providers.base import Target
from tests.providers.fixtures import BEDROCK_LIST

HOST = "bedrock.us-east-1.amazonaws.com"
URL = f"https://{HOST}/foundation-models"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
client = get_client("bedrock")


def _target(credential=SECRET, **options):
    options = {"aws_region": "us-east-1", "aws_access_key_id": "AKIDEXAMPLE", **options}
    return Target("bedrock", credential, "", MappingProxyType(options))


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _expected_authorization(
    path: str, query: str, amz_date: str, *, method="GET", body=b"", host=HOST
) -> str:
    """SigV4 written out from the AWS spec, independent of botocore."""
    canonical = "\n".join(
        [method, path, query, f"host:{host}", f"x-amz-date:{amz_date}", "", "host;x-amz-date",
         hashlib.sha256(body).hexdigest()]
    )  # fmt: skip
    scope = f"{amz_date[:8]}/us-east-1/bedrock/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + SECRET).encode(), amz_date[:8])
    for part in ("us-east-1", "bedrock", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )


@pytest.fixture
def frozen_clock(monkeypatch):
    moment = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: moment)
    return "20250601T120000Z"


def test_sigv4_signature_covers_the_final_url(mocked, frozen_clock):
    match = matchers.query_param_matcher({"byOutputModality": "TEXT", "byProvider": "Anthropic"})
    mocked.get(URL, match=[match], json=BEDROCK_LIST)
    client.list_models(_target(), {"byProvider": "Anthropic", "byOutputModality": "TEXT"})
    headers = mocked.calls[0].request.headers
    assert headers["X-Amz-Date"] == frozen_clock
    assert headers["Authorization"] == _expected_authorization(
        "/foundation-models", "byOutputModality=TEXT&byProvider=Anthropic", frozen_clock
    )
    assert "X-Amz-Security-Token" not in headers
    assert all(SECRET not in value for value in headers.values())


def test_session_token_is_sent_and_signed(mocked):
    mocked.get(URL, json=BEDROCK_LIST)
    client.list_models(_target(aws_session_token="FwoGZXIvYXdzSESSION"))
    headers = mocked.calls[0].request.headers
    assert headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzSESSION"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in headers["Authorization"]


def test_a_bedrock_api_key_is_sent_as_bearer(mocked):
    mocked.get(URL, json=BEDROCK_LIST)
    target = Target(
        "bedrock", "ABSKbedrockapikey", "", MappingProxyType({"aws_region": "us-east-1"})
    )
    client.list_models(target)
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer ABSKbedrockapikey"


def test_maps_model_summaries(mocked):
    mocked.get(URL, json=BEDROCK_LIST)
    claude, nova = client.list_models(_target()).models
    assert claude.as_dict() == {
        "id": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "object": "model",
        "created": 0,
        "owned_by": "Anthropic",
        "name": "Claude 3.5 Sonnet",
        "input_modalities": ["text", "image"],
        "output_modalities": ["text"],
        "capabilities": ["on_demand"],
    }
    assert nova.capabilities == ("on_demand", "provisioned")


def test_the_secret_is_scrubbed_even_when_echoed(mocked):
    mocked.get(
        URL,
        status=403,
        headers={"x-amzn-ErrorType": "InvalidSignatureException"},
        json={"message": f"The request signature we calculated does not match ({SECRET})"},
    )
    with pytest.raises(UpstreamError) as caught:
        client.list_models(_target())
    assert caught.value.status == 403
    assert SECRET not in caught.value.message
    assert caught.value.message.startswith(
        "bedrock rejected the request (HTTP 403): InvalidSignatureException: The request"
    )


@pytest.mark.parametrize("name", ["X-Amz-Signature", "x-amz-credential", "X-Amz-Security-Token"])
def test_presigning_parameters_are_refused(mocked, name):
    with pytest.raises(InvalidRequest):
        client.list_models(_target(), {name: "x"})


def test_a_missing_or_odd_region_is_refused_before_any_call(mocked):
    for options in ({}, {"aws_region": "us-east-1.evil.example#"}):
        target = Target("bedrock", "k-0123", "", MappingProxyType(options))
        with pytest.raises(InvalidRequest, match="aws_region"):
            client.list_models(target)
    assert len(mocked.calls) == 0


def test_retrieve_encodes_the_model_id(mocked):
    url = URL + "/amazon.nova-pro-v1%3A0"
    mocked.get(url, json={"modelDetails": BEDROCK_LIST["modelSummaries"][1]})
    assert client.retrieve_model(_target(), "amazon.nova-pro-v1:0").owned_by == "Amazon"
    assert mocked.calls[0].request.url == url


def test_retrieve_unknown_is_not_found(mocked):
    mocked.get(
        URL + "/nope",
        status=404,
        headers={"x-amzn-ErrorType": "ResourceNotFoundException"},
        json={"message": "The model nope does not exist."},
    )
    with pytest.raises(NotFound):
        client.retrieve_model(_target(), "nope")


def test_options_are_validated():
    assert validate_target_options("bedrock", {"aws_region": "eu-central-1"}) == []
    assert validate_target_options("bedrock", {"aws_session_token": "t"}) == [
        "bedrock needs the aws_region option (e.g. us-east-1).",
        "aws_session_token needs aws_access_key_id as well.",
    ]


RUNTIME = "bedrock-runtime.us-east-1.amazonaws.com"
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def _signed_post(endpoint, body: bytes) -> requests.PreparedRequest:
    """The request as the outbound layer prepares it, auth applied at preparation."""
    request = requests.Request(
        "POST", endpoint.url, params=dict(endpoint.params), headers=dict(endpoint.headers),
        data=body, auth=endpoint.auth,
    )  # fmt: skip
    return request.prepare()


@pytest.mark.parametrize(
    ("capability", "stream", "operation"),
    [
        ("chat", False, "converse"),
        ("chat", True, "converse-stream"),
        ("embeddings", False, "invoke"),
        ("embeddings", True, "invoke"),
    ],
)
def test_calls_go_to_the_regions_runtime_host(capability, stream, operation):
    endpoint = client.endpoint(_target(), capability, CLAUDE, stream=stream)
    # The id is one path segment, its colon percent-encoded.
    assert endpoint.url == (
        f"https://{RUNTIME}/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/{operation}"
    )
    assert endpoint.params == {}
    assert endpoint.headers == {}  # SigV4 goes on with the auth callable
    assert endpoint.auth is not None
    assert endpoint.translated is True
    assert endpoint.secrets == (SECRET,)


def test_another_region_is_another_host():
    endpoint = client.endpoint(_target(aws_region="eu-central-1"), "chat", CLAUDE)
    assert endpoint.url.startswith("https://bedrock-runtime.eu-central-1.amazonaws.com/model/")


def test_an_inference_profile_arn_is_one_path_segment():
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-x"
    endpoint = client.endpoint(_target(), "chat", arn)
    assert endpoint.url == (
        f"https://{RUNTIME}/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A"
        "inference-profile%2Fus.anthropic.claude-x/converse"
    )


def test_sigv4_signs_the_post_body(frozen_clock):
    body = b'{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}'
    endpoint = client.endpoint(_target(), "chat", CLAUDE)
    prepared = _signed_post(endpoint, body)
    assert prepared.headers["X-Amz-Date"] == frozen_clock
    # For every service but S3 the canonical path encodes the encoded path again: %3A -> %253A.
    assert prepared.headers["Authorization"] == _expected_authorization(
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse",
        "",
        frozen_clock,
        method="POST",
        body=body,
        host=RUNTIME,
    )
    other = _signed_post(endpoint, body.replace(b"Hello", b"Hullo"))
    assert other.headers["Authorization"] != prepared.headers["Authorization"]
    assert all(SECRET not in value for value in prepared.headers.values())


def test_each_attempt_is_signed_at_its_own_time(monkeypatch):
    endpoint = client.endpoint(_target(), "chat", CLAUDE)
    signatures = []
    for second in (0, 1):
        moment = datetime(2025, 6, 1, 12, 0, second, tzinfo=UTC)
        monkeypatch.setattr("botocore.auth.get_current_datetime", lambda m=moment: m)
        prepared = _signed_post(endpoint, b"{}")
        signatures.append((prepared.headers["X-Amz-Date"], prepared.headers["Authorization"]))
    assert signatures[0][0] == "20250601T120000Z"
    assert signatures[1][0] == "20250601T120001Z"
    assert signatures[0][1] != signatures[1][1]


def test_a_call_with_a_session_token_signs_it_and_scrubs_it():
    endpoint = client.endpoint(_target(aws_session_token="FwoGZXIvYXdzSESSION"), "chat", CLAUDE)
    assert endpoint.secrets == (SECRET, "FwoGZXIvYXdzSESSION")
    prepared = _signed_post(endpoint, b"{}")
    assert prepared.headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzSESSION"
    assert "x-amz-security-token" in prepared.headers["Authorization"]


def test_a_call_with_a_bedrock_api_key_is_a_bearer():
    target = Target(
        "bedrock", "ABSKbedrockapikey", "", MappingProxyType({"aws_region": "us-east-1"})
    )
    endpoint = client.endpoint(target, "embeddings", "amazon.titan-embed-text-v2:0")
    assert endpoint.url == f"https://{RUNTIME}/model/amazon.titan-embed-text-v2%3A0/invoke"
    assert endpoint.headers == {"Authorization": "Bearer ABSKbedrockapikey"}
    assert endpoint.auth is None


def test_legacy_completions_are_a_400_naming_chat():
    with pytest.raises(InvalidRequest) as caught:
        client.endpoint(_target(), "completions", CLAUDE)
    assert caught.value.message == (
        "bedrock does not offer /v1/completions; it offers: /v1/chat/completions, /v1/embeddings."
    )
