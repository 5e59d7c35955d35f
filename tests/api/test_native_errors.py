"""A native provider's error answer, through the route: each family's own error body read for
its message and code, its status mapped (overloaded and not-ready a 503 with Retry-After),
the credential never echoed; the same before the first byte of a stream."""

import pytest

from models_api.usage.models import Usage
from tests.api.conftest import FAMILIES, native_client, post
from tests.fakes.server import Reply

pytestmark = pytest.mark.django_db
HELLO = {"model": "the-model", "messages": [{"role": "user", "content": "Hi"}]}
AWS_TYPE = "x-amzn-ErrorType"


def anthropic_error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}


def google_error(code: int, status: str, message: str, reason: str | None = None) -> dict:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    error = {"code": code, "message": message, "status": status}
    return {"error": {**error, "details": details if reason else []}}


def bedrock_error(status: int, kind: str, message: str, **headers) -> Reply:
    return Reply.json(
        status, {"message": message}, {AWS_TYPE: f"{kind}:http://internal/", **headers}
    )


# (provider, the fake's reply, status, code or None, words of the message, Retry-After or None)
CASES = [
    ("anthropic", Reply.json(529, anthropic_error("overloaded_error", "Overloaded")),
     503, "overloaded_error", "Overloaded", "10"),
    ("anthropic", Reply.json(529, anthropic_error("overloaded_error", "Overloaded"),
                             {"Retry-After": "3"}), 503, "overloaded_error", "Overloaded", "3"),
    ("anthropic", Reply.json(400, anthropic_error("invalid_request_error", "max_tokens: too big")),
     400, "invalid_request_error", "max_tokens: too big", None),
    ("anthropic", Reply.json(429, anthropic_error("rate_limit_error", "Slow down"),
                             {"Retry-After": "7"}), 429, "rate_limit_error", "Slow down", "7"),
    ("anthropic", Reply.json(500, anthropic_error("api_error", "Internal")), 502, None,
     "Internal", None),
    ("bedrock", bedrock_error(429, "ThrottlingException", "Too many requests"), 429,
     "ThrottlingException", "ThrottlingException: Too many requests", None),
    ("bedrock", bedrock_error(400, "ValidationException", "Malformed input"), 400,
     "ValidationException", "Malformed input", None),
    ("bedrock", bedrock_error(403, "AccessDeniedException", "No access to this model"), 403,
     "AccessDeniedException", "No access to this model", None),
    ("bedrock", bedrock_error(404, "ResourceNotFoundException", "No such model"), 404,
     "ResourceNotFoundException", "No such model", None),
    ("bedrock", bedrock_error(429, "ModelNotReadyException", "Model is loading"), 503,
     "ModelNotReadyException", "Model is loading", "10"),
    ("bedrock", bedrock_error(503, "ServiceUnavailableException", "Unavailable",
                              **{"Retry-After": "2"}), 503, "ServiceUnavailableException",
     "Unavailable", "2"),
    ("bedrock", bedrock_error(408, "ModelTimeoutException", "Model timed out"), 504,
     "ModelTimeoutException", "Model timed out", None),
    ("bedrock", bedrock_error(424, "ModelErrorException", "Model failed"), 502, None,
     "Model failed", None),
    ("bedrock", bedrock_error(500, "InternalServerException", "Oops"), 502, None, "Oops", None),
    ("google", Reply.json(400, google_error(400, "INVALID_ARGUMENT", "API key not valid.",
                                            "API_KEY_INVALID")), 401, "INVALID_ARGUMENT",
     "API key not valid.", None),
    ("google", Reply.json(400, google_error(400, "INVALID_ARGUMENT", "Bad field")), 400,
     "INVALID_ARGUMENT", "Bad field", None),
    ("google", Reply.json(429, google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded")), 429,
     "RESOURCE_EXHAUSTED", "Quota exceeded", None),
    ("google", Reply.json(503, google_error(503, "UNAVAILABLE", "The model is overloaded.")),
     503, "UNAVAILABLE", "The model is overloaded.", "10"),
    ("google", Reply.json(504, google_error(504, "DEADLINE_EXCEEDED", "Deadline expired")),
     504, "DEADLINE_EXCEEDED", "Deadline expired", None),
    ("cohere", Reply.json(498, {"id": "e1", "message": "invalid api token"}), 401, None,
     "invalid api token", None),
    ("cohere", Reply.json(422, {"id": "e2", "message": "temperature must be <= 1"}), 422, None,
     "temperature must be <= 1", None),
    ("cohere", Reply.json(429, {"message": "trial key limit"}, {"Retry-After": "5"}), 429, None,
     "trial key limit", "5"),
    ("cohere", Reply.json(503, {"message": "overloaded"}), 503, None, "overloaded", "10"),
]  # fmt: skip


@pytest.fixture
def call(db, settings):
    """call(provider, reply, stream) -> the gateway's response, the fake answering `reply`."""
    fakes = []

    def calling(provider: str, reply: Reply, *, stream: bool = False, body: dict = HELLO):
        fake = FAMILIES[provider][0]().start()
        fakes.append(fake)
        fake.queue(reply)
        client = native_client(provider, fake, settings, slug=f"native-{len(fakes)}")
        return post(client, "chat/completions", {**body, "stream": stream})

    yield calling
    for fake in fakes:
        fake.stop()


@pytest.mark.parametrize("stream", [False, True], ids=["answer", "stream-head"])
@pytest.mark.parametrize(("provider", "reply", "status", "code", "words", "retry"), CASES)
def test_each_family_error_is_mapped(call, provider, reply, status, code, words, retry, stream):
    response = call(provider, reply, stream=stream)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert words in error["message"] and error["provider"] == provider
    if code is not None:
        assert error["code"] == code
    assert response.get("Retry-After") == retry
    assert Usage.objects.get().status == status


@pytest.mark.parametrize(
    ("provider", "reply"),
    [
        ("anthropic", lambda key: Reply.json(401, anthropic_error("authentication_error", key))),
        ("google", lambda key: Reply.json(400, google_error(400, "INVALID_ARGUMENT", key))),
        ("bedrock", lambda key: bedrock_error(403, "AccessDeniedException", f"secret {key}")),
        ("cohere", lambda key: Reply.json(401, {"message": f"bad token {key}"})),
    ],
)
def test_the_credential_is_scrubbed_from_each_family_message(call, provider, reply):
    credential = FAMILIES[provider][1]
    response = call(provider, reply(f"invalid key {credential}"))
    assert response.status_code in (400, 401, 403)
    assert credential not in response.content.decode()
    assert "[REDACTED]" in response.json()["error"]["message"]


@pytest.mark.parametrize("reason", ["SAFETY", "PROHIBITED_CONTENT"])
def test_a_gemini_blocked_prompt_is_a_400_naming_the_reason(call, reason):
    feedback = {"promptFeedback": {"blockReason": reason}, "usageMetadata": {}}
    response = call("google", Reply.json(200, feedback))
    assert response.status_code == 400
    error = response.json()["error"]
    assert reason in error["message"] and error["code"] == "content_filter"
    assert error["param"] == "messages"


def test_a_gemini_blocked_prompt_in_a_stream_is_its_error_event(call):
    feedback = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {}}
    reply = Reply.streamed([b"data: " + Reply.json(200, feedback).parts[0] + b"\r\n\r\n"],
                           "text/event-stream")  # fmt: skip
    response = call("google", reply, stream=True)
    assert response.status_code == 200
    events = b"".join(response.streaming_content).split(b"\n\n")
    assert events[0].startswith(b'data: {"error":') and b"SAFETY" in events[0]
    assert b"content_filter" in events[0] and events[1:] == [b""]
    assert Usage.objects.get().status == 400
