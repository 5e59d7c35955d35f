"""The requests adapter behind outbound.pool: guarded pools, and less of requests' per-call work."""

from requests.adapters import HTTPAdapter
from requests.exceptions import InvalidURL
from requests.models import Response
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connectionpool import port_by_scheme

from models_api.outbound import egress, transport


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose pooled connections obey `policy`.

    send() is requests' own, so `responses` (which patches HTTPAdapter.send) still works; the
    steps send() calls are shortened, for the same result (tests/outbound/test_adapter.py,
    on a real server, since `responses` skips them). Through an HTTP(S)_PROXY the proxy
    resolves and connects, so it must enforce egress.
    """

    def __init__(self, policy: egress.Policy, **kwargs):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = transport._pool_classes(self.policy)
        self._pool_keys: dict[tuple, tuple] = {}

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """requests' pool for `request`, its pool key worked out once per origin and TLS setting.

        requests re-parses the URL, looks for proxies, stats the CA bundle and normalises the
        pool key on every call (benchmarks/README.md); the pool itself still comes from the
        pool manager each time, so an evicted pool is never reused.
        """
        origin = request.url.split("/", 3)[:3]
        if proxies or len(origin) < 3 or "@" in origin[2]:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        key = (origin[0], origin[2], verify, cert)
        found = self._pool_keys.get(key)
        if found is None:
            found = self._pool_key(request, verify, cert)
            if found is None:  # no host: requests' own path raises its error
                return super().get_connection_with_tls_context(request, verify, proxies, cert)
            if len(self._pool_keys) >= 1024:  # many custom hosts: start again, never grow
                self._pool_keys = {}
            self._pool_keys[key] = found
        pool_key, context = found
        return self.poolmanager.connection_from_pool_key(pool_key, request_context=dict(context))

    def _pool_key(self, request, verify, cert) -> tuple | None:
        # The steps of PoolManager.connection_from_host, stopping before the pool is taken.
        try:
            host, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        except ValueError as exc:
            raise InvalidURL(exc, request=request) from None
        if not host["host"]:
            return None
        manager = self.poolmanager
        context = manager._merge_pool_kwargs(pool_kwargs)
        context["scheme"] = scheme = host["scheme"] or "http"
        context["port"] = host["port"] or port_by_scheme.get(scheme, 80)
        context["host"] = host["host"]
        return manager.key_fn_by_scheme[scheme](context), context

    def build_response(self, req, resp):
        """requests' Response, without storing the answer's cookies in a jar nothing reads.

        Provider cookies are refused (outbound.pool) and the session's jar is never given
        them, as Session.send is not used; parsing them was most of requests' build_response.
        """
        response = Response()
        response.status_code = getattr(resp, "status", None)
        response.headers = CaseInsensitiveDict(getattr(resp, "headers", {}))
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url.decode() if isinstance(req.url, bytes) else req.url
        response.request = req
        response.connection = self
        return response

    def request_url(self, request, proxies):
        # Without a proxy, requests' answer is always the path and query.
        return super().request_url(request, proxies) if proxies else request.path_url
