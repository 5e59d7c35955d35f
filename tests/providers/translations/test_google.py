"""google_chat and google_embeddings: golden cases, the fake Gemini API end to end, faults."""

import base64
import struct

import pytest
import requests

from models_api.errors import BadGateway, InvalidRequest, UpstreamError
from models_api.providers import google_chat, google_embeddings
from tests.fakes.google import FakeGemini, answer, events
from tests.fakes.server import Reply, decode_sse, sse, vector
from tests.providers.translations import golden

MODEL = "gemini-2.5-flash"
HEADERS = {"x-goog-api-key": "k"}


@pytest.mark.parametrize("case", golden.cases("google"))
def test_golden(case):
    module = google_embeddings if case["kind"].startswith("embeddings") else google_chat
    golden.run(module, case)


@pytest.fixture
def fake():
    with FakeGemini(api_key="k") as server:
        yield server


def generate(fake, body, *, stream=False, model=MODEL, headers=HEADERS):
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    url = f"{fake.url}/v1beta/models/{model}:{method}"
    return requests.post(url, json=body, headers=headers, timeout=5, stream=stream)


def translate(response) -> dict | list:
    if response.headers["Content-Type"].startswith("text/event-stream"):
        return list(google_chat.chat_stream(decode_sse(response.iter_lines()), model=MODEL))
    return google_chat.chat_response(response.json(), model=MODEL)


@pytest.mark.parametrize("case", golden.request_cases("google"))
def test_the_fake_accepts_every_translated_request(fake, case):
    body = google_chat.chat_request(case["openai"], model=MODEL)
    response = generate(fake, body, stream=bool(case["openai"].get("stream")))
    assert response.status_code == 200, response.text
    assert fake.requests[-1].json() == body
    completion = golden.completion_of(translate(response))
    assert completion.choices[0].message.content == "Hello from the fake."


def test_the_fake_refuses_an_untranslated_openai_body(fake):
    body = {"contents": [{"role": "assistant", "parts": [{"text": "x"}]}], "max_tokens": 5}
    response = generate(fake, body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert google_chat.error_message(400, response.json()) == (
        'Invalid JSON payload received. Unknown name "max_tokens"'
    )
    assert generate(fake, {"contents": []}, headers={"x-goog-api-key": "bad"}).status_code == 400


def test_streamed_function_calls_assemble_to_the_non_streamed_answer(fake):
    reply = answer(text="Ok.", calls=[("get_weather", {"city": "Oslo"})])
    reply["candidates"][0]["content"]["parts"][1]["functionCall"]["id"] = "fc-1"
    fake.queue(fake.reply(reply, stream=True), fake.reply(reply))
    body = google_chat.chat_request({"messages": [{"role": "user", "content": "Hi"}]}, model=MODEL)
    chunks = translate(generate(fake, body, stream=True))
    whole = translate(generate(fake, body))
    golden.check_stream(chunks)
    golden.same_answer(golden.assemble(chunks), whole)
    assert whole["choices"][0]["message"]["tool_calls"][0]["id"] == "fc-1"


def test_a_blocked_prompt_is_a_400_naming_the_reason(fake):
    fake.queue(Reply.json(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}))
    body = google_chat.chat_request({"messages": [{"role": "user", "content": "x"}]}, model=MODEL)
    with pytest.raises(InvalidRequest) as raised:
        translate(generate(fake, body))
    assert raised.value.status == 400 and raised.value.code == "content_filter"
    assert "PROHIBITED_CONTENT" in raised.value.message


def test_an_error_mid_stream_is_an_upstream_error(fake):
    error = (
        "",
        {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
    )
    parts = sse(events(answer(text="Hello there"))[:1] + [error], named=False, newline="\r\n")
    fake.queue(Reply.streamed(parts, "text/event-stream"))
    body = google_chat.chat_request({"messages": [{"role": "user", "content": "x"}]}, model=MODEL)
    with pytest.raises(UpstreamError) as raised:
        translate(generate(fake, body, stream=True))
    assert (raised.value.status, raised.value.code) == (503, "UNAVAILABLE")
    assert raised.value.message == "The model is overloaded."


def test_a_connection_reset_mid_stream_fails_and_the_partial_stream_is_not_an_answer(fake):
    parts = sse(events(answer(text="Hello there")), named=False)[:2]
    fake.queue(Reply.streamed(parts, "text/event-stream", reset=True))
    body = google_chat.chat_request({"messages": [{"role": "user", "content": "x"}]}, model=MODEL)
    received = []
    with pytest.raises(requests.exceptions.RequestException):
        received.extend(generate(fake, body, stream=True).iter_lines())
    with pytest.raises(BadGateway):
        list(google_chat.chat_stream(decode_sse(received), model=MODEL))


def test_embeddings_one_per_input_through_the_fake(fake):
    openai_body = {"model": "gemini-embedding-001", "input": ["one", "three"], "dimensions": 2}
    body = google_embeddings.embeddings_request(openai_body, model="gemini-embedding-001")
    url = f"{fake.url}/v1beta/models/gemini-embedding-001:batchEmbedContents"
    response = requests.post(url, json=body, headers=HEADERS, timeout=5)
    assert response.status_code == 200, response.text
    found = google_embeddings.embeddings_response(
        response.json(), model="gemini-embedding-001", inputs=2, encoding_format="base64"
    )
    decoded = [struct.unpack("<2f", base64.b64decode(e["embedding"])) for e in found["data"]]
    assert decoded == [tuple(vector("one", 2)), tuple(vector("three", 2))]
    assert [e.index for e in golden.embeddings(found).data] == [0, 1]


def test_embeddings_refuse_token_arrays_and_a_short_answer():
    with pytest.raises(InvalidRequest) as raised:
        google_embeddings.embeddings_request({"input": [[1, 2, 3]]}, model="m")
    assert raised.value.param == "input"
    with pytest.raises(BadGateway):
        google_embeddings.embeddings_response(
            {"embeddings": [{"values": [1]}]}, model="m", inputs=2
        )
