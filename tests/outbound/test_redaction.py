"""scrub(): any run or masked form of a secret goes, the rest of the message stays readable."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models_api.redaction import REDACTED, scrub

KEY = "sk-echo-4f9Qm2LxV7bT0rWz8NcY-K3pA"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f"Incorrect API key provided: {KEY}.", f"Incorrect API key provided: {REDACTED}."),
        (
            "Incorrect API key provided: sk-echo-...K3pA.",
            f"Incorrect API key provided: {REDACTED}.",
        ),
        ("key sk-ec***pA is invalid", f"key {REDACTED} is invalid"),
        ("key sk-echo-****************...K3pA expired", f"key {REDACTED} expired"),
        ("key ****K3pA expired", f"key {REDACTED} expired"),
        ("key=…0rWz8NcY-K3pA bad", f"key={REDACTED} bad"),
        (f"prefix {KEY[:12]} only", f"prefix {REDACTED} only"),
        (f"suffix {KEY[-10:]} only", f"suffix {REDACTED} only"),
        (f"inner '{KEY[10:19]}' run", f"inner '{REDACTED}' run"),
        (f"two {KEY[:9]} and {KEY[-9:]}", f"two {REDACTED} and {REDACTED}"),
    ],
)
def test_runs_and_masked_forms_of_the_secret_are_removed(message, expected):
    assert scrub(message, [KEY]) == expected


@pytest.mark.parametrize(
    "message",
    [
        "Incorrect API key provided. You can find your API key at https://platform.openai.com.",
        "Loading... please wait *** or ... not a key",
        "Use keys like sk-... from the dashboard",
        "model gpt-4o does not exist",
    ],
)
def test_messages_without_the_secret_are_left_alone(message):
    assert scrub(message, [KEY]) == message


def test_short_or_missing_secrets_are_ignored():
    assert scrub("abc is fine", ["abc", "", None]) == "abc is fine"


@given(
    st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=16, max_size=80),
    st.data(),
)
def test_no_run_of_eight_survives(secret, data):
    start = data.draw(st.integers(0, len(secret) - 8))
    end = data.draw(st.integers(start + 8, len(secret)))
    left = data.draw(st.text(alphabet=" .:-'", max_size=5))
    text = f"error{left}{secret[start:end]}{left}end"
    scrubbed = scrub(text, [secret])
    assert not any(secret[i : i + 8] in scrubbed for i in range(len(secret) - 7))
