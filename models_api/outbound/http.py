"""Every outbound HTTP call: pooled sessions, deadline, retries, size cap, egress, error mapping."""

import http.cookiejar
import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from functools import lru_cache
from time import monotonic, sleep, time
from urllib.parse import urlsplit

import orjson
import requests
from django.conf import settings

from models_api import metrics
from models_api.errors import BadGateway, GatewayTimeout, UpstreamError
from models_api.outbound import egress, messages, transport

log = logging.getLogger(__name__)

MAX_RETRIES = 2
BACKOFF = 0.25  # seconds before the first retry; doubled for each further one
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 64 * 1024
CONNECT_SHARE = 1 / 3  # of GATEWAY_UPSTREAM_TIMEOUT, so a failed connect leaves time to retry

_sessions: dict[egress.Policy, requests.Session] = {}
_session_lock = threading.Lock()


def session(policy: egress.Policy = egress.PUBLIC) -> requests.Session:
    """The process-wide pooled session for `policy`, created on first use.

    One pool per policy: a connection opened under a laxer policy is never reused by a call
    that the stricter one would have refused.
    """
    found = _sessions.get(policy)
    if found is not None:
        return found
    with _session_lock:
        if policy not in _sessions:
            new = requests.Session()
            # Provider cookies must never travel from one tenant's call to another's.
            new.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            adapter = transport.GuardedAdapter(policy, pool_connections=32, pool_maxsize=32)
            new.mount("https://", adapter)
            new.mount("http://", adapter)
            new.headers.update({"User-Agent": "ai-gateway", "Accept": "application/json"})
            _environment_read_once(new)
            _sessions[policy] = new
        return _sessions[policy]


def _environment_read_once(new: requests.Session) -> None:
    """With no proxy configured, stop requests re-reading the environment on every call.

    requests scans os.environ for proxy variables and looks for ~/.netrc on each request, a
    cost worth avoiding (benchmarks/README.md). When the process starts with no proxy set,
    the only other things it would find are a CA bundle, read here once, and ~/.netrc
    credentials, which must never reach a provider anyway. With a proxy set, requests keeps
    reading the environment, so NO_PROXY is honoured per host.
    """
    # getproxies() also lists NO_PROXY (as "no"), which alone configures no proxy.
    if any(scheme != "no" for scheme in urllib.request.getproxies()):
        return
    new.trust_env = False
    new.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


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
    """
    headers = dict(headers or {})
    params = dict(params or {})
    until = new_deadline() if deadline is None else deadline
    hidden = messages.call_secrets(headers, params, secrets)
    with metrics.upstream_timed(provider), transport.deadline(until) as budget:
        return _get_with_retries(url, provider, headers, params, auth, policy, budget, hidden)


def _get_with_retries(url, provider, headers, params, auth, policy, budget, hidden):
    until = budget.until
    attempt = 0
    while True:
        remaining = until - monotonic()
        if remaining <= 0:
            raise _timeout(provider)
        response, failure = _send(url, provider, headers, params, auth, policy, budget)
        last = attempt == MAX_RETRIES
        if response is None:
            wait = BACKOFF * 2**attempt
            if last or wait >= until - monotonic():
                raise failure
        else:
            with response:
                wait = None if last else _retry_wait(response, attempt)
                if wait is None or wait >= until - monotonic():
                    return _read(response, provider, budget, hidden)
        log.info("retrying %s in %.2fs (attempt %d)", provider, wait, attempt + 1)
        sleep(wait)
        attempt += 1


def _send(url, provider, headers, params, auth, policy, budget):
    """The response, or (None, the error to raise if no retry is left) for a connect failure."""
    remaining = budget.until - monotonic()
    connect = min(remaining, settings.GATEWAY_UPSTREAM_TIMEOUT * CONNECT_SHARE)
    pooled = session(policy)
    try:
        request = _prepare(pooled, url, headers, params, auth)
        response = pooled.get_adapter(request.url).send(
            request,
            stream=True,
            timeout=(connect, remaining),
            **_connection_settings(pooled, request),
        )
    except egress.Refused as refused:
        raise _refused(provider, refused.host) from None
    except requests.exceptions.ConnectTimeout:
        return None, _timeout(provider)
    except requests.exceptions.Timeout:
        raise _timeout(provider) from None
    except requests.exceptions.ConnectionError:
        if budget.expired:  # the deadline cut a server still sending its headers
            raise _timeout(provider) from None
        log.info("connection to %s at %s failed", provider, _origin(url))
        return None, BadGateway(
            f"Could not connect to {provider} at {_origin(url)}; check the base URL or retry.",
            provider=provider,
        )
    except requests.exceptions.RequestException as exc:
        # A malformed URL or header; str(exc) may quote the URL, so only the type is kept.
        raise BadGateway(
            f"Could not call {provider}: {type(exc).__name__}; check the base URL.",
            provider=provider,
        ) from None
    return response, None


def _prepare(pooled: requests.Session, url, headers, params, auth) -> requests.PreparedRequest:
    """The GET that Session.get would send, without its per-call merging of cookies and hooks.

    Session.request re-merges every setting, cookie jar and hook on each call and then
    dispatches hooks and stores cookies on the way back, much of a forwarded call's CPU
    (benchmarks/README.md) for features no provider call uses (cookies are refused and
    redirects are not followed). The URL, its query and the auth still go through
    requests' own preparation.
    """
    request = requests.PreparedRequest()
    request.prepare_method("GET")
    if params or "?" in url:
        request.prepare_url(url, params)
    else:
        request.url = _prepared_url(url)
    request.prepare_headers({**pooled.headers, **headers})
    request.prepare_body(None, None)
    request.prepare_auth(auth, url)
    request.prepare_hooks({})
    return request


@lru_cache(maxsize=1024)
def _prepared_url(url: str) -> str:
    """requests' validated, quoted form of a URL without a query: the same few provider
    URLs come back on every call. Calls with a query (which may carry a key) are not kept."""
    request = requests.PreparedRequest()
    request.prepare_url(url, None)
    return request.url


def _connection_settings(pooled: requests.Session, request: requests.PreparedRequest) -> dict:
    """Proxies and TLS verification for `request`, read from the environment only when
    a proxy is configured (see _environment_read_once)."""
    if pooled.trust_env:
        merged = pooled.merge_environment_settings(request.url, {}, True, None, None)
        return {name: merged[name] for name in ("proxies", "verify", "cert")}
    return {"proxies": pooled.proxies, "verify": pooled.verify, "cert": pooled.cert}


def _read(
    response: requests.Response, provider: str, budget: transport.Budget, hidden: list[str]
) -> object:
    status = response.status_code
    if 300 <= status < 400:
        raise BadGateway(
            f"{provider} redirected the request (HTTP {status}); redirects are not followed. "
            "Check the provider's base URL.",
            provider=provider,
        )
    body = _body(response, provider, budget)
    if status >= 400:
        message = messages.error_message(body, response, hidden)
        if status >= 500:
            raise BadGateway(f"{provider} failed with HTTP {status}: {message}", provider=provider)
        retry = response.headers.get("Retry-After")
        raise UpstreamError(
            f"{provider} rejected the request (HTTP {status}): {message}",
            status=status,
            provider=provider,
            headers={"Retry-After": retry} if status == 429 and retry else None,
        )
    try:
        return _json(body)
    except (ValueError, RecursionError):
        raise BadGateway(
            f"{provider} answered HTTP {status} with a body that is not JSON.", provider=provider
        ) from None


def _json(body: bytes) -> object:
    """orjson (the faster parser), or the standard library for what orjson
    refuses but Python's parser allows: UTF-16 bodies, NaN, nesting over 1,024 levels.
    (orjson reads an integer beyond 64 bits as a float; no model field holds one.)"""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _body(response: requests.Response, provider: str, budget: transport.Budget) -> bytes:
    limit = settings.GATEWAY_MAX_RESPONSE_BYTES
    too_large = BadGateway(
        f"{provider} sent a response larger than {limit} bytes (GATEWAY_MAX_RESPONSE_BYTES).",
        provider=provider,
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large
            if monotonic() > budget.until:
                raise _timeout(provider)
            chunks.append(chunk)
    except requests.exceptions.Timeout:
        raise _timeout(provider) from None
    except requests.exceptions.RequestException:
        if budget.expired:
            raise _timeout(provider) from None
        raise BadGateway(
            f"The connection to {provider} broke while reading its answer; try again.",
            provider=provider,
        ) from None
    if budget.expired:  # a body without Content-Length ends, cut short, at the deadline
        raise _timeout(provider)
    return b"".join(chunks)


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


def _timeout(provider: str) -> GatewayTimeout:
    return GatewayTimeout(
        f"{provider} did not answer within {settings.GATEWAY_UPSTREAM_TIMEOUT:g} seconds "
        "(GATEWAY_UPSTREAM_TIMEOUT); try again later.",
        provider=provider,
    )


def _refused(provider: str, host: str) -> BadGateway:
    return BadGateway(
        f"The {provider} base URL host {host[:100]!r} resolves to a private address (loopback, "
        "private, link-local or metadata), which virtual key base URLs may not reach; an admin "
        "must add the host to GATEWAY_TRUSTED_CUSTOM_HOSTS.",
        provider=provider,
        code="private_address_refused",
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
