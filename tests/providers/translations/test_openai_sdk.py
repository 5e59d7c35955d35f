"""The OpenAI SDK, over HTTP, reads every translated golden answer and stream as OpenAI's own."""

import json

import openai
import pytest

from tests.fakes.server import FakeServer, Reply, sse
from tests.providers.translations import golden

CASES = [
    case
    for provider in ("anthropic", "google", "bedrock", "cohere")
    for case in golden.cases(provider)
    if case.values[0]["kind"] in ("response", "stream")
]


@pytest.fixture(scope="module")
def server():
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize("case", CASES)
def test_the_sdk_reads_the_translation(server, case):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="k", max_retries=0, timeout=5)
    expected = case["expected"]
    request = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    if case["kind"] == "response":
        server.queue(Reply.json(200, expected))
        found = client.chat.completions.create(**request)
        assert found.model_dump(exclude_unset=True) == expected
        return
    events = [("", chunk) for chunk in expected] + [("", "[DONE]")]
    server.queue(Reply.streamed(sse(events, named=False), "text/event-stream"))
    stream = client.chat.completions.create(**request, stream=True)
    found = [chunk.model_dump(exclude_unset=True) for chunk in stream]
    assert found == expected
    assert json.loads(server.requests[-1].body)["stream"] is True
