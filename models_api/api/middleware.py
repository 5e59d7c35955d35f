"""Every request: the trace id and processing-time headers, and its Prometheus metrics.

And the admin console's middleware, wrapped so that /v1/ requests pass it by (console_only).
"""

import secrets
import time

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from keys import generations
from models_api import metrics
from models_api.api.routing import valid_trace_id


def route_name(request) -> str:
    """A bounded label: the URL pattern's name, the admin as one, "unresolved" for the rest."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"  # 404s and WhiteNoise's static files, which skip URL resolution
    if match.namespaces:
        return match.namespaces[0]
    return match.url_name or "unnamed"


class GatewayHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        trace_id = request.META.get("HTTP_X_PORTKEY_TRACE_ID", "").strip()
        request.trace_id = trace_id if valid_trace_id(trace_id) else secrets.token_hex(16)
        with generations.one_view():  # one read of each generation for the whole request
            response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["x-portkey-trace-id"] = request.trace_id
        response["x-gateway-processing-ms"] = f"{seconds * 1000:.2f}"
        metrics.request_observe(route_name(request), response.status_code, seconds)
        return response


API_PREFIX = "/v1/"
VIEW_HOOKS = ("process_view", "process_exception", "process_template_response")


def console_only(path: str) -> type:
    """The middleware class at `path`, subclassed so that /v1/ requests pass straight by it.

    For the admin console's own middleware: an API request authenticates by key and carries
    no cookie, so sessions, the admin user and messages are no use to it. As a subclass it
    still meets the admin's checks that the middleware is installed. A middleware with view
    hooks is refused, since the hooks would still run for /v1/.
    """
    base = import_string(path)
    if any(hasattr(base, hook) for hook in VIEW_HOOKS):
        raise ImproperlyConfigured(f"console_only({path!r}): its view hooks would run for /v1/.")

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return base.__call__(self, request)

    namespace = {"__call__": __call__, "__module__": __name__, "__doc__": f"{path}, off /v1/."}
    return type(base.__name__, (base,), namespace)


SessionMiddleware = console_only("django.contrib.sessions.middleware.SessionMiddleware")
AuthenticationMiddleware = console_only("django.contrib.auth.middleware.AuthenticationMiddleware")
MessageMiddleware = console_only("django.contrib.messages.middleware.MessageMiddleware")
