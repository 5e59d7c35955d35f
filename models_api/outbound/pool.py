"""Pooled sessions and the one way a request is sent: egress policy, proxies, error mapping."""

import http.cookiejar
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Mapping
from functools import lru_cache
from time import monotonic

import requests
from django.conf import settings
from urllib3.exceptions import ConnectTimeoutError

from models_api.errors import BadGateway
from models_api.outbound import adapter, answers, egress, transport

log = logging.getLogger(__name__)

CONNECT_SHARE = 1 / 3  # of GATEWAY_UPSTREAM_TIMEOUT, so a failed connect leaves time to retry

_sessions: dict[egress.Policy, requests.Session] = {}
_session_lock = threading.Lock()


class NotConnected(Exception):
    """No connection was made, so the provider cannot have received anything.

    `error` is the GatewayError to raise when no retry is left. Any call may be retried
    after this, a POST included.
    """

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


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
            guarded = adapter.GuardedAdapter(policy, pool_connections=32, pool_maxsize=32)
            new.mount("https://", guarded)
            new.mount("http://", guarded)
            new.headers.update({"User-Agent": "ai-gateway", "Accept": "application/json"})
            _environment_read_once(new)
            _sessions[policy] = new
        return _sessions[policy]


def _environment_read_once(new: requests.Session) -> None:
    """With no proxy configured, stop requests re-reading the environment on every call.

    requests scans os.environ for proxy variables and looks for ~/.netrc on each request
    (about a tenth of a forwarded call, in a profile). When the process starts with no proxy
    set, the only other things it would find are a CA bundle, read here once, and ~/.netrc
    credentials, which must never reach a provider anyway. With a proxy set, requests keeps
    reading the environment, so NO_PROXY is honoured per host.
    """
    # getproxies() also lists NO_PROXY (as "no"), which alone configures no proxy.
    if any(scheme != "no" for scheme in urllib.request.getproxies()):
        return
    new.trust_env = False
    new.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def send(
    url: str,
    *,
    method: str,
    provider: str,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
    body: bytes | None = None,
    auth: Callable | None = None,
    policy: egress.Policy,
    budget: transport.Budget,
) -> requests.Response:
    """Send one request and return the response with its body unread (stream=True).

    Raises NotConnected when no connection could be made (refused, name not found, connect
    timeout), and a GatewayError for anything else: the caller decides whether to retry.
    Each read waits at most what is left of the budget, or `budget.idle` when it is set.
    """
    remaining = budget.until - monotonic()
    connect = min(remaining, settings.GATEWAY_UPSTREAM_TIMEOUT * CONNECT_SHARE)
    read = remaining if budget.idle is None else budget.idle
    pooled = session(policy)
    try:
        request = _prepare(pooled, method, url, headers, params, body, auth)
        return pooled.get_adapter(request.url).send(
            request,
            stream=True,
            timeout=(connect, read),
            **_connection_settings(pooled, request),
        )
    except egress.Refused as refused:
        raise answers.refused(provider, refused.host) from None
    except requests.exceptions.ConnectTimeout:
        raise NotConnected(answers.timeout(provider)) from None
    except requests.exceptions.Timeout:
        raise answers.timeout(provider, idle=budget.idle) from None
    except requests.exceptions.ConnectionError as exc:
        if budget.expired:  # the deadline cut a server still sending its headers
            raise answers.timeout(provider) from None
        log.info("connection to %s at %s failed", provider, answers.origin(url))
        error = BadGateway(
            f"Could not connect to {provider} at {answers.origin(url)}; check the base URL or "
            "retry.",
            provider=provider,
        )
        if method == "GET" or _never_connected(exc):
            raise NotConnected(error) from None
        raise error from None
    except requests.exceptions.RequestException as exc:
        # A malformed URL or header; str(exc) may quote the URL, so only the type is kept.
        raise BadGateway(
            f"Could not call {provider}: {type(exc).__name__}; check the base URL.",
            provider=provider,
        ) from None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """The connection was refused or its name did not resolve: nothing was sent.

    urllib3 raises those (NewConnectionError, NameResolutionError, both ConnectTimeoutErrors)
    only while opening the connection. A reset or a closed keep-alive connection comes after
    the request may have gone out.
    """
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)


def _prepare(pooled, method, url, headers, params, body, auth) -> requests.PreparedRequest:
    """The request Session.request would send, without its per-call merging of cookies and hooks.

    Session.request re-merges every setting, cookie jar and hook on each call and then
    dispatches hooks and stores cookies on the way back: about a third of a forwarded call's
    CPU, for features no provider call uses (cookies are refused and redirects are not
    followed). The URL, its query, the body and the auth still go through requests' own
    preparation.
    """
    request = requests.PreparedRequest()
    request.prepare_method(method)
    if params or "?" in url:
        request.prepare_url(url, params)
    else:
        request.url = _prepared_url(url)
    request.prepare_headers({**pooled.headers, **headers})
    request.prepare_body(body, None)
    if auth is not None or "@" in url:  # else requests' search of the URL for a user finds none
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
