"""Every request: the trace id and processing-time headers, and its Prometheus metrics.

And the API's short way through: /v1/ requests skip the middleware that serves the admin.
"""

import secrets
import time

from django.urls import resolve

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
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["x-portkey-trace-id"] = request.trace_id
        response["x-gateway-processing-ms"] = f"{seconds * 1000:.2f}"
        metrics.request_observe(route_name(request), response.status_code, seconds)
        return response


API_PREFIX = "/v1/"


class ApiRequestMiddleware:
    """Sends /v1/ requests straight to their view, past the middleware listed after this one.

    Those (sessions, CSRF, the admin user, messages, django-axes) serve the admin console. An
    API request authenticates by key and carries no cookie; running them for it cost about a
    quarter of a cached /v1/models answer. The middleware above this one (security headers,
    ALLOWED_HOSTS, gzip, metrics) runs for every request. What this does is what Django's own
    handler would do next: resolve the URL (a miss raises Http404, which Django turns into
    the JSON 404), call the view, and render a DRF response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        if callable(getattr(response, "render", None)):
            response = response.render()  # DRF's Response is a SimpleTemplateResponse
        return response
