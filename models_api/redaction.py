"""Keeping secrets out of what people read: provider messages, logs, error reports."""

import re
import traceback

from django.views.debug import SafeExceptionReporterFilter


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """Hides secrets in error pages and reports in every mode, DEBUG included.

    Django cleanses frame variables and POST data only when DEBUG is off; a developer's
    debug page would otherwise show a decrypted credential held in a local variable or
    posted in the virtual key form. Locals are cleansed by name, as settings are.
    """

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|CREDENTIAL|HTTP_COOKIE", flags=re.IGNORECASE
    )

    def is_active(self, request):
        return True

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleanse_setting(name, value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


REDACTED = "[REDACTED]"
MIN_RUN = 8  # a run of a secret this long is taken for the secret
MIN_SHOWN = 4  # a masked form showing this many of a secret's end characters is taken for it
# How providers mask a key they quote: sk-...abcd, sk-ab***cd, sk-proj-****...abcd, ••••abcd.
_MASK = re.compile(r"(?:\*|…|•|\.{3,})+")


def scrub(text: str, secrets) -> str:
    """`text` with every trace of `secrets` replaced by [REDACTED], the rest left readable.

    A trace is the whole secret, any run of MIN_RUN characters of it (a prefix, a suffix or
    an inner part), or a mask with the secret's own first and last characters around it.
    The one function every message that may quote a credential goes through.
    """
    secrets = [s for s in secrets if isinstance(s, str) and len(s) >= MIN_SHOWN]
    if not text or not secrets:
        return text
    hidden = bytearray(len(text))  # 1 where a character belongs to a secret
    for secret in secrets:
        _mark_runs(text, secret, hidden)
        _mark_masked(text, secret, hidden)
    return _replace(text, hidden)


def _mark(hidden: bytearray, start: int, end: int) -> None:
    hidden[start:end] = b"\1" * (end - start)


def _mark_runs(text: str, secret: str, hidden: bytearray) -> None:
    size = min(MIN_RUN, len(secret))
    grams = {secret[i : i + size] for i in range(len(secret) - size + 1)}
    for i in range(len(text) - size + 1):
        if text[i : i + size] in grams:
            _mark(hidden, i, i + size)


def _mark_masked(text: str, secret: str, hidden: bytearray) -> None:
    for mask in _MASK.finditer(text):
        start, end = mask.span()
        before = max(
            (
                k
                for k in range(1, min(len(secret), start) + 1)
                if text[start - k : start] == secret[:k]
            ),
            default=0,
        )
        after = max(
            (
                j
                for j in range(1, min(len(secret), len(text) - end) + 1)
                if text[end : end + j] == secret[-j:]
            ),
            default=0,
        )
        if before + after >= MIN_SHOWN:
            _mark(hidden, start - before, end + after)


def _replace(text: str, hidden: bytearray) -> str:
    out, i = [], 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append(REDACTED)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def exception_text(exc: BaseException, secrets) -> str:
    """A traceback for the log, scrubbed like a message: an exception may quote a secret."""
    return scrub("".join(traceback.format_exception(exc)).rstrip(), secrets)
