"""The operations endpoints: liveness and readiness probes, and the Prometheus metrics."""

import hmac
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from keys.authentication import bearer_token
from models_api import metrics
from models_api.errors import AuthenticationError, error_response

log = logging.getLogger(__name__)


@require_GET
def liveness(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readiness(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        log.exception("Readiness: database check failed")
        checks["database"] = "unavailable"
    try:
        cache.set("readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("readyz") == "1" else "unavailable"
    except Exception:
        log.exception("Readiness: cache check failed")
        checks["cache"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


@require_GET
def metrics_view(request):
    """The samples, for a scraper presenting GATEWAY_METRICS_TOKEN when one is set."""
    token = settings.GATEWAY_METRICS_TOKEN
    presented = bearer_token(request) or ""
    # compare_digest on bytes: constant time whatever the length, and no error on non-ASCII.
    if token and not hmac.compare_digest(presented.encode(), token.encode()):
        return error_response(
            AuthenticationError(
                "GET /metrics needs the metrics token (GATEWAY_METRICS_TOKEN) as "
                "Authorization: Bearer <token>.",
                code="invalid_metrics_token",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        )
    return HttpResponse(generate_latest(metrics.registry()), content_type=CONTENT_TYPE_LATEST)
