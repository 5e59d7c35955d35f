"""cohere_chat and cohere_embeddings: golden cases, the fake Cohere v2 API end to end, faults."""

import pytest
import requests

from models_api.errors import BadGateway, InvalidRequest, UpstreamError
from models_api.providers import cohere_chat, cohere_embeddings
from tests.fakes.cohere import FakeCohere, answer, events
from tests.fakes.server import Reply, decode_sse, sse
from tests.providers.translations import golden

MODEL = "command-a-03-2025"
HEADERS = {"Authorization": "Bearer k"}
CALLS = [("call_1", "get_weather", {"city": "Oslo"}), ("call_2", "get_time", {})]
HI = {"messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.parametrize("case", golden.cases("cohere"))
def test_golden(case):
    module = cohere_embeddings if case["kind"].startswith("embeddings") else cohere_chat
    golden.run(module, case)


@pytest.fixture
def fake():
    with FakeCohere(api_key="k") as server:
        yield server


def post(fake, path, body, headers=HEADERS, **options):
    return requests.post(fake.url + path, json=body, headers=headers, timeout=5, **options)


def translate(response) -> dict | list:
    if response.headers["Content-Type"].startswith("text/event-stream"):
        return list(cohere_chat.chat_stream(decode_sse(response.iter_lines()), model=MODEL))
    return cohere_chat.chat_response(response.json(), model=MODEL)


@pytest.mark.parametrize("case", golden.request_cases("cohere"))
def test_the_fake_accepts_every_translated_request(fake, case):
    body = cohere_chat.chat_request(case["openai"], model=MODEL)
    response = post(fake, "/v2/chat", body, stream=bool(body.get("stream")))
    assert response.status_code == 200, response.text
    assert fake.requests[-1].json() == body
    completion = golden.completion_of(translate(response))
    assert completion.choices[0].message.content == "Hello from the fake."


def test_the_fake_refuses_an_untranslated_openai_body(fake):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "top_p": 0.5}
    response = post(fake, "/v2/chat", body)
    assert response.status_code == 400
    assert cohere_chat.error_message(400, response.json()) == (
        "invalid request: unknown field: parameter top_p is not a valid field"
    )
    assert post(fake, "/v2/chat", body, headers={}).status_code == 401


def test_streamed_tool_calls_assemble_to_the_non_streamed_answer(fake):
    reply = answer(text="", calls=CALLS)
    fake.queue(fake.reply(reply, stream=True), fake.reply(reply))
    body = cohere_chat.chat_request({**HI, "stream": True}, model=MODEL)
    chunks = translate(post(fake, "/v2/chat", body, stream=True))
    whole = translate(post(fake, "/v2/chat", cohere_chat.chat_request(HI, model=MODEL)))
    golden.check_stream(chunks)
    golden.same_answer(golden.assemble(chunks), whole)


def test_an_error_at_message_end_is_an_upstream_error(fake):
    end = ("message-end", {"type": "message-end", "delta": {"finish_reason": "ERROR"}})
    fake.queue(Reply.streamed(sse(events(answer(text="Hello"))[:3] + [end]), "text/event-stream"))
    body = cohere_chat.chat_request({**HI, "stream": True}, model=MODEL)
    with pytest.raises(UpstreamError) as raised:
        translate(post(fake, "/v2/chat", body, stream=True))
    assert (raised.value.status, raised.value.code) == (502, "generation_error")


def test_a_trailing_done_after_message_end_is_never_read():
    found = events(answer(text="Hi")) + [("", "[DONE]")]
    chunks = list(cohere_chat.chat_stream(iter(found), model=MODEL))
    golden.check_stream(chunks)


def test_a_connection_reset_mid_stream_fails_and_the_partial_stream_is_not_an_answer(fake):
    parts = sse(events(answer(text="Hello there")))[:4]
    fake.queue(Reply.streamed(parts, "text/event-stream", reset=True))
    body = cohere_chat.chat_request({**HI, "stream": True}, model=MODEL)
    received = []
    with pytest.raises(requests.exceptions.RequestException):
        received.extend(post(fake, "/v2/chat", body, stream=True).iter_lines())
    with pytest.raises(BadGateway):
        list(cohere_chat.chat_stream(decode_sse(received), model=MODEL))


def test_embeddings_through_the_fake(fake):
    openai_body = {"model": "embed-v4.0", "input": ["a", "bb"], "dimensions": 3}
    body = cohere_embeddings.embeddings_request(openai_body, model="embed-v4.0")
    response = post(fake, "/v2/embed", body)
    assert response.status_code == 200, response.text
    found = cohere_embeddings.embeddings_response(response.json(), model="embed-v4.0", inputs=2)
    parsed = golden.embeddings(found)
    assert [e.embedding for e in parsed.data] == [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]]
    assert parsed.usage.prompt_tokens == 4


def test_embeddings_refuse_what_cohere_cannot_take():
    with pytest.raises(InvalidRequest) as raised:
        cohere_embeddings.embeddings_request({"input": ["x"] * 97}, model="m")
    assert raised.value.param == "input"
    with pytest.raises(InvalidRequest) as raised:
        cohere_embeddings.embeddings_request({"input": "x", "input_type": "poetry"}, model="m")
    assert raised.value.param == "input_type"
