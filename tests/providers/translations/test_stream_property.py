"""Property: a translated stream adds up to the non-streamed translation of the same answer.

For generated provider answers (text, tool calls, finish reasons, usage), the provider's own
stream of that answer is built as the provider sends it; the OpenAI SDK's accumulation of the
translated chunks must give the same message, tool calls, finish reason and usage.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models_api.providers import anthropic_chat, bedrock_chat, cohere_chat, google_chat
from tests.fakes import anthropic as fake_anthropic
from tests.fakes import bedrock as fake_bedrock
from tests.fakes import cohere as fake_cohere
from tests.fakes import google as fake_google
from tests.providers.translations import golden

names = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
values = st.one_of(st.integers(-1000, 1000), st.text(max_size=8), st.booleans(), st.none())
arguments = st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), values, max_size=3)
calls = st.lists(st.tuples(names, arguments), max_size=3)
tokens = st.integers(0, 10**6)
optional = st.one_of(st.none(), tokens)


def _drop_none(found: dict) -> dict:
    return {k: v for k, v in found.items() if v is not None}


@st.composite
def anthropic(draw):
    usage = {"input_tokens": draw(tokens), "output_tokens": draw(tokens)}
    usage["cache_read_input_tokens"] = draw(optional)
    usage["cache_creation_input_tokens"] = draw(optional)
    tools = [(f"toolu_{i}", name, args) for i, (name, args) in enumerate(draw(calls))]
    stop = draw(st.sampled_from(sorted(anthropic_chat.FINISH)))
    found = fake_anthropic.message(
        draw(st.text(max_size=30)), tools=tools, stop_reason=stop, usage=_drop_none(usage)
    )
    return found, fake_anthropic.events(found, pieces=draw(st.integers(1, 4)))


@st.composite
def google(draw):
    usage = {"promptTokenCount": draw(tokens), "candidatesTokenCount": draw(tokens)}
    usage["thoughtsTokenCount"] = draw(optional)
    usage["cachedContentTokenCount"] = draw(optional)
    found = fake_google.answer(
        draw(st.text(max_size=30)),
        calls=draw(calls),
        finish=draw(st.sampled_from(sorted(google_chat.FINISH))),
        usage=_drop_none(usage),
        candidates=draw(st.integers(1, 2)),
    )
    for candidate in found["candidates"]:
        for i, part in enumerate(candidate["content"]["parts"]):
            if "functionCall" in part:
                part["functionCall"]["id"] = f"fc-{candidate['index']}-{i}"
    return found, fake_google.events(found, pieces=draw(st.integers(1, 4)))


@st.composite
def bedrock(draw):
    given, output = draw(tokens), draw(tokens)
    read, write = draw(tokens), draw(tokens)
    inclusive = draw(st.booleans())
    total = (given + output) if inclusive else given + output + read + write
    usage = {"inputTokens": given, "outputTokens": output, "totalTokens": total}
    usage |= {"cacheReadInputTokens": read, "cacheWriteInputTokens": write}
    tools = [(f"tooluse_{i}", name, args) for i, (name, args) in enumerate(draw(calls))]
    stop = draw(st.sampled_from(sorted(bedrock_chat.FINISH)))
    found = fake_bedrock.answer(draw(st.text(max_size=30)), tools=tools, stop=stop, usage=usage)
    return found, fake_bedrock.events(found, pieces=draw(st.integers(1, 4)))


@st.composite
def cohere(draw):
    usage = {"input_tokens": draw(tokens), "output_tokens": draw(tokens)}
    tools = [(f"call_{i}", name, args) for i, (name, args) in enumerate(draw(calls))]
    finish = draw(st.sampled_from(sorted(cohere_chat.FINISH)))
    found = fake_cohere.answer(draw(st.text(max_size=30)), calls=tools, finish=finish, usage=usage)
    return found, fake_cohere.events(found, pieces=draw(st.integers(1, 4)))


FAMILIES = [
    (anthropic_chat, anthropic()),
    (google_chat, google()),
    (bedrock_chat, bedrock()),
    (cohere_chat, cohere()),
]


@pytest.mark.parametrize(("module", "answers"), FAMILIES, ids=lambda v: getattr(v, "PROVIDER", ""))
def test_a_stream_adds_up_to_the_whole_answer(module, answers):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(answers)
    def check(case):
        found, stream = case
        whole = module.chat_response(found, model="m")
        chunks = list(module.chat_stream(iter(stream), model="m"))
        golden.check_stream(chunks)
        golden.same_answer(golden.assemble(chunks), whole)

    check()
