"""Every outbound JSON call: GET with bounded retries, POST sent once, under one deadline.

Sessions and sending live in outbound.pool, reading answers in outbound.answers, streamed
POSTs in outbound.streaming; this module holds the two request shapes and their retry rules.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from time import monotonic, sleep, time

import requests
from django.conf import settings

from models_api import metrics
from models_api.outbound import answers, egress, pool, transport

log = logging.getLogger(__name__)

MAX_RETRIES = 2
BACKOFF = 0.25  # seconds before the first retry; doubled for each further one
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
JSON_BODY = {"Content-Type": "application/json"}


def new_deadline() -> float:
    """A monotonic-clock deadline GATEWAY_UPSTREAM_TIMEOUT from now, shared by pages and retries."""
    return monotonic() + settings.GATEWAY_UPSTREAM_TIMEOUT


def get_json(
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    auth: Callable | None = None,
    secrets: Iterable[str] = (),
    deadline: float | None = None,
    policy: egress.Policy = egress.PUBLIC,
) -> object:
    """GET `url` and return its decoded JSON body, or raise a GatewayError naming `provider`.

    `auth` is a requests auth callable (e.g. a SigV4 signer); `secrets` are extra values to
    scrub from messages, besides credential headers and query parameters. `deadline` (from
    new_deadline()) bounds this call with its retries; pass one deadline to every page.
    `policy` says which addresses the call may reach: egress.PUBLIC (public, or a host in
    GATEWAY_TRUSTED_CUSTOM_HOSTS) unless the URL comes from the operator's settings.
    Connect failures and 429/5xx answers are retried (MAX_RETRIES, within the deadline).
    """
    headers = dict(headers or {})
    params = dict(params or {})
    until = new_deadline() if deadline is None else deadline
    hidden = answers.secrets_of(headers, params, secrets)
    call = {"method": "GET", "provider": provider, "headers": headers, "params": params}
    with metrics.upstream_timed(provider), transport.deadline(until) as budget:
        attempt = 0
        while True:
            if until - monotonic() <= 0:
                raise answers.timeout(provider)
            last = attempt == MAX_RETRIES
            try:
                response = pool.send(url, **call, auth=auth, policy=policy, budget=budget)
            except pool.NotConnected as failed:
                wait = BACKOFF * 2**attempt
                if last or wait >= until - monotonic():
                    raise failed.error from None
            else:
                with response:
                    wait = None if last else _retry_wait(response, attempt)
                    if wait is None or wait >= until - monotonic():
                        return answers.read_json(response, provider, budget, hidden)
            log.info("retrying %s in %.2fs (attempt %d)", provider, wait, attempt + 1)
            sleep(wait)
            attempt += 1


def post_json(url: str, **options) -> object:
    """post_answer's decoded JSON, for the callers that need no header of the answer."""
    return post_answer(url, **options)[0]


def post_answer(
    url: str,
    *,
    provider: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    auth: Callable | None = None,
    secrets: Iterable[str] = (),
    deadline: float | None = None,
    policy: egress.Policy = egress.PUBLIC,
    idle_timeout: float | None = None,
    read_error: answers.ErrorReader | None = None,
) -> tuple[object, Mapping[str, str]]:
    """POST `body` (JSON bytes, sent exactly as given): (the decoded JSON answer, its headers).

    Errors, `auth`, `secrets`, `deadline` and `policy` are as for get_json: the deadline
    (GATEWAY_UPSTREAM_TIMEOUT by default) bounds connecting, the answer's first byte and
    reading all of it. With `idle_timeout`, for a model call, whose first byte comes only
    once the whole answer is generated (minutes, for a long one), the deadline bounds
    connecting only, and the wait for the answer and each gap while reading it are bounded
    by `idle_timeout` seconds of silence instead (GatewayTimeout code upstream_idle_timeout).
    A POST is retried only when no connection could be made (refused, name not found,
    connect timeout): never once the provider may have received it, so never on a 429, a
    5xx, a reset or a timeout after connecting. `read_error` reads a native API's error
    answers (answers.check_status).
    """
    headers = {**JSON_BODY, **(headers or {})}
    until = new_deadline() if deadline is None else deadline
    hidden = answers.secrets_of(headers, {}, secrets)
    timed = transport.deadline(until, idle=idle_timeout)
    with metrics.upstream_timed(provider), timed as budget:
        response = send_once(
            url,
            provider=provider,
            headers=headers,
            body=body,
            auth=auth,
            policy=policy,
            budget=budget,
        )
        with response:
            data = answers.read_json(response, provider, budget, hidden, read_error)
            return data, response.headers


def send_once(
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
    auth: Callable | None,
    policy: egress.Policy,
    budget: transport.Budget,
) -> requests.Response:
    """POST once, retrying only connections that were never made; the body is left unread."""
    attempt = 0
    while True:
        if budget.until - monotonic() <= 0:
            raise answers.timeout(provider)
        try:
            return pool.send(
                url,
                method="POST",
                provider=provider,
                headers=headers,
                body=body,
                auth=auth,
                policy=policy,
                budget=budget,
            )
        except pool.NotConnected as failed:
            wait = BACKOFF * 2**attempt
            if attempt == MAX_RETRIES or wait >= budget.until - monotonic():
                raise failed.error from None
        log.info("retrying %s in %.2fs (attempt %d, not connected)", provider, wait, attempt + 1)
        sleep(wait)
        attempt += 1


def _retry_wait(response: requests.Response, attempt: int) -> float | None:
    """Seconds to wait before retrying, or None when this answer is final."""
    if response.status_code not in RETRY_STATUSES:
        return None
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return BACKOFF * 2**attempt
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None
