"""bedrock_chat and bedrock_embeddings: golden cases, event-stream frames, the fake Bedrock."""

from urllib.parse import quote

import pytest
import requests

from models_api.errors import BadGateway, InvalidRequest, UpstreamError
from models_api.providers import bedrock_chat, bedrock_embeddings
from models_api.providers.bedrock import SigV4Signer
from tests.fakes import eventstream
from tests.fakes.bedrock import EVENTSTREAM, FakeBedrock, answer, events, frames
from tests.fakes.server import Reply
from tests.providers.translations import golden

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
TOOLS = [("tooluse_1", "get_weather", {"city": "Oslo"}), ("tooluse_2", "get_time", {})]
HI = {"messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.parametrize("case", golden.cases("bedrock"))
def test_golden(case):
    module = bedrock_embeddings if case["kind"].startswith("embeddings") else bedrock_chat
    golden.run(module, case)


@pytest.fixture
def fake():
    with FakeBedrock(access_key="AKIDTEST", secret_key="secret", region="eu-west-1") as server:
        yield server


def call(fake, body, operation="converse", *, model=MODEL, secret="secret", stream=False):
    """POST as the gateway does: the model id percent-encoded in the path, SigV4-signed."""
    url = f"{fake.url}/model/{quote(model, safe='')}/{operation}"
    signer = SigV4Signer("AKIDTEST", secret, None, "eu-west-1")
    return requests.post(url, json=body, auth=signer, timeout=5, stream=stream)


def translate(response) -> dict | list:
    if response.headers["Content-Type"] == EVENTSTREAM:
        pieces = response.iter_content(chunk_size=7)  # frames split across reads
        return list(bedrock_chat.chat_stream(bedrock_chat.bedrock_events(pieces), model=MODEL))
    return bedrock_chat.chat_response(response.json(), model=MODEL)


@pytest.mark.parametrize("case", golden.request_cases("bedrock"))
def test_the_fake_accepts_every_translated_request(fake, case):
    body = bedrock_chat.chat_request(case["openai"], model=MODEL)
    streamed = bool(case["openai"].get("stream"))
    response = call(fake, body, "converse-stream" if streamed else "converse", stream=streamed)
    assert response.status_code == 200, response.text
    assert fake.requests[-1].json() == body
    assert (
        fake.requests[-1].path == f"/model/{MODEL}/{'converse-stream' if streamed else 'converse'}"
    )
    completion = golden.completion_of(translate(response))
    assert completion.choices[0].message.content == "Hello from the fake."


def test_the_fake_checks_the_signature_and_the_service_model(fake):
    body = bedrock_chat.chat_request(HI, model=MODEL)
    response = call(fake, body, secret="wrong")
    assert response.status_code == 403
    assert bedrock_chat.error_message(403, response.json()).startswith("The request signature")
    assert bedrock_chat.error_type(response.headers, response.json()) == "AccessDeniedException"
    response = call(fake, {**body, "inferenceConfig": {"max_tokens": 5}})
    assert response.status_code == 400
    assert response.json() == {"message": "Unknown parameter 'inferenceConfig.max_tokens'"}
    assert bedrock_chat.error_type(response.headers, response.json()) == "ValidationException"


def test_streamed_tool_calls_assemble_to_the_non_streamed_answer(fake):
    reply = answer(text="Checking.", tools=TOOLS)
    fake.queue(fake.reply(reply, stream=True), fake.reply(reply))
    body = bedrock_chat.chat_request(HI, model=MODEL)
    chunks = translate(call(fake, body, "converse-stream", stream=True))
    whole = translate(call(fake, body))
    golden.check_stream(chunks)
    golden.same_answer(golden.assemble(chunks), whole)


def test_a_corrupted_frame_is_a_bad_gateway_not_garbage():
    parts = frames(events(answer(text="Hello")))
    parts[2] = eventstream.corrupt(parts[2])
    found = []
    with pytest.raises(BadGateway) as raised:
        found.extend(bedrock_chat.chat_stream(bedrock_chat.bedrock_events(parts), model=MODEL))
    assert "corrupt" in raised.value.message
    assert len(found) == 2  # the role and the first text delta, before the bad frame


def test_an_exception_frame_is_the_upstream_error_it_names():
    parts = frames(events(answer(text="Hello"))[:2])
    parts.append(eventstream.exception("throttlingException", "Too many tokens, slow down."))
    with pytest.raises(UpstreamError) as raised:
        list(bedrock_chat.chat_stream(bedrock_chat.bedrock_events(parts), model=MODEL))
    error = raised.value
    assert (error.status, error.code, error.message) == (
        429,
        "throttlingException",
        "Too many tokens, slow down.",
    )


def test_a_stream_cut_inside_a_frame_or_of_no_known_type_is_a_bad_gateway():
    whole = b"".join(frames(events(answer(text="Hello"))))
    with pytest.raises(BadGateway, match="inside a frame"):
        list(bedrock_chat.bedrock_events([whole[:-3]]))
    odd = eventstream.frame({":message-type": "surprise"}, b"{}")
    with pytest.raises(BadGateway, match="no known type"):
        list(bedrock_chat.bedrock_events([odd]))
    not_json = eventstream.frame({":message-type": "event", ":event-type": "metadata"}, b"{oops")
    with pytest.raises(BadGateway, match="not JSON"):
        list(bedrock_chat.bedrock_events([not_json]))


def test_an_exception_frame_from_the_fake_mid_stream(fake):
    parts = frames(events(answer(text="Hello"))[:3])
    parts.append(eventstream.exception("modelStreamErrorException", "The model stopped."))
    fake.queue(Reply.streamed(parts, EVENTSTREAM))
    response = call(
        fake, bedrock_chat.chat_request(HI, model=MODEL), "converse-stream", stream=True
    )
    with pytest.raises(UpstreamError) as raised:
        translate(response)
    assert raised.value.status == 424


def test_a_connection_reset_mid_stream_fails(fake):
    fake.queue(Reply.streamed(frames(events(answer(text="Hello")))[:3], EVENTSTREAM, reset=True))
    response = call(
        fake, bedrock_chat.chat_request(HI, model=MODEL), "converse-stream", stream=True
    )
    with pytest.raises(requests.exceptions.RequestException):
        translate(response)


@pytest.mark.parametrize(
    ("model", "calls"),
    [("amazon.titan-embed-text-v2:0", 3), ("eu.cohere.embed-multilingual-v3", 1)],
)
def test_embeddings_through_the_fake_one_call_per_body(fake, model, calls):
    openai_body = {"model": "x", "input": ["a", "bb", "ccc"], "dimensions": 256}
    if "cohere" in model:
        openai_body.pop("dimensions")
    bodies = bedrock_embeddings.embeddings_request(openai_body, model=model)
    assert len(bodies) == calls
    responses = [call(fake, body, "invoke", model=model) for body in bodies]
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    counts = [int(r.headers.get("X-Amzn-Bedrock-Input-Token-Count", 0)) for r in responses]
    found = bedrock_embeddings.embeddings_response(
        [r.json() for r in responses], model=model, inputs=3, token_counts=counts
    )
    parsed = golden.embeddings(found)
    assert [len(e.embedding) for e in parsed.data] == [256 if calls == 3 else 4] * 3
    assert parsed.data[2].embedding[0] == 3.0  # the third text, "ccc", in its place
    assert parsed.usage.prompt_tokens == (9 if calls == 3 else 6)


def test_embeddings_refuse_a_model_of_no_known_family():
    with pytest.raises(InvalidRequest) as raised:
        bedrock_embeddings.embeddings_request({"input": "x"}, model="meta.llama3-8b-instruct-v1:0")
    assert raised.value.param == "model"
