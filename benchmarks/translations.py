"""In-process CPU cost of the native translations: no network, no server, no database.

    python -m benchmarks.translations [--rounds 15] [--calls 300]

For each family (the adapters in models_api.api.adapters, fed by the test fakes' answers):
- request: the client's OpenAI body to the provider's body bytes;
- answer: the provider's answer bytes decoded, translated and encoded as the client's JSON;
- stream chunk: the provider's stream bytes (SSE, or Bedrock's eventstream frames) through
  the family's events reader, its chat_stream and the relay's SSE encoding, per chunk the
  client gets (the [DONE] left out).
The last row, openai, is a forwarded (OpenAI-compatible) call under the same measure.
Each figure is the median of `rounds` rounds of `calls` calls (time.thread_time), the
families interleaved so a slow phase of the machine hits all of them alike.
"""

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from benchmarks import processes, seed
from benchmarks.rounds import interleaved_us

TEXT = "The quick brown fox jumps over the lazy dog. " * 12  # ~540 characters, 108 words
PIECES = 40  # stream events carrying the text
REQUEST = {
    "model": "m",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Tell me about foxes."},
        {"role": "assistant", "content": "Foxes are small canids."},
        {"role": "user", "content": "More, please."},
    ],
    "max_tokens": 512,
    "temperature": 0.3,
    "stream_options": {"include_usage": True},
}


class _Stream:
    """What the relay needs of outbound.streaming.Stream: its bytes, provider, close()."""

    hidden = ()

    def __init__(self, provider: str, parts: list[bytes]):
        self.provider, self.parts = provider, parts

    def __iter__(self):
        return iter(self.parts)

    def close(self) -> None:
        pass


def _wire() -> dict[str, tuple[bytes, list[bytes]]]:
    """(answer bytes, stream pieces) per family, as each fake sends them."""
    import json

    from tests.fakes import anthropic, bedrock, cohere, google
    from tests.fakes.openai import FakeOpenAI
    from tests.fakes.server import sse

    answers = {
        "anthropic": (anthropic, anthropic.message(text=TEXT)),
        "google": (google, google.answer(text=TEXT)),
        "bedrock": (bedrock, bedrock.answer(text=TEXT)),
        "cohere": (cohere, cohere.answer(text=TEXT)),
    }
    found = {}
    for family, (module, answer) in answers.items():
        events = module.events(answer, pieces=PIECES)
        if family == "bedrock":
            pieces = bedrock.frames(events)
        else:  # Gemini sends unnamed events with CRLF
            pieces = sse(
                events, named=family != "google", newline="\r\n" if family == "google" else "\n"
            )
        found[family] = (json.dumps(answer).encode(), pieces)
    fake = FakeOpenAI()
    reply = fake.chat(TEXT, pieces=PIECES, stream=True)
    found["openai"] = (fake.chat(TEXT).parts[0], reply.parts)  # forwarded, for comparison
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-translations-"))
    env = seed.environment(
        database_url=f"sqlite:///{work / 'unused.sqlite3'}", cache_url="", provider_hosts=[]
    )
    os.environ.update(processes.child_env(env))
    os.environ["DJANGO_SETTINGS_MODULE"] = "gateway_project.settings"
    import django

    django.setup()
    import orjson

    from models_api.api.adapters import FORWARD_WITH_USAGE, NATIVE

    functions, chunks = {}, {}
    for family, (answer, pieces) in _wire().items():
        adapter = NATIVE.get((family, "chat"), FORWARD_WITH_USAGE)

        def stream(adapter=adapter, family=family, pieces=pieces):
            out = adapter.chunks(_Stream(family, pieces), model="m", drop_usage=False,
                                 on_finish=None)  # fmt: skip
            return list(out)

        sent = stream()
        assert sent[-1] == b"data: [DONE]\n\n", (family, sent[-1][:200])
        chunks[family] = len(sent) - 1
        functions[(family, "request")] = lambda a=adapter: a.request(
            REQUEST, model="m", stream=True
        )
        functions[(family, "answer")] = lambda a=adapter, raw=answer: orjson.dumps(
            a.answer(orjson.loads(raw), model="m", body=REQUEST)
        )
        functions[(family, "stream")] = stream
    rounds = interleaved_us(
        functions, rounds=args.rounds, calls=args.calls, warm=max(1, args.calls // 5)
    )
    figures = {name: statistics.median(values) for name, values in rounds.items()}
    print(f"CPU per native translation, in process (median of {args.rounds} rounds of "
          f"{args.calls} calls, us; a {len(TEXT)}-character answer, streamed in {PIECES} "
          "events)")  # fmt: skip
    print(f"{'family':<10} {'request':>8} {'answer':>8} {'stream chunk':>13} {'chunks':>7}")
    for family in chunks:
        per_chunk = figures[(family, "stream")] / chunks[family]
        print(
            f"{family:<10} {figures[(family, 'request')]:>8.1f} "
            f"{figures[(family, 'answer')]:>8.1f} {per_chunk:>13.1f} {chunks[family]:>7}"
        )


if __name__ == "__main__":
    main()
