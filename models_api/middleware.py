"""Every request: the trace id and processing-time headers, and its Prometheus metrics."""

import time
import uuid

from models_api import metrics
from models_api.routing import valid_trace_id


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
        request.trace_id = trace_id if valid_trace_id(trace_id) else uuid.uuid4().hex
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["x-portkey-trace-id"] = request.trace_id
        response["x-gateway-processing-ms"] = f"{seconds * 1000:.2f}"
        metrics.request_observe(route_name(request), response.status_code, seconds)
        return response
