"""The operations endpoints: liveness and readiness probes, and the Prometheus metrics."""

import hmac
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from keys.authentication import bearer_token
from models_api import metrics
from models_api.errors import AuthenticationError, InvalidRequest, error_response

log = logging.getLogger(__name__)
ALLOW = "GET, HEAD, OPTIONS"


def read_only(view):
    """GET and HEAD run the view (the server drops HEAD's body); OPTIONS names them; any
    other method is a JSON 405. No CSRF check: these endpoints change nothing and take no
    cookie, and a probe or a scraper must never get Django's HTML CSRF page."""

    @csrf_exempt
    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if request.method == "OPTIONS":
            return HttpResponse(headers={"Allow": ALLOW, "Content-Length": "0"})
        return error_response(
            InvalidRequest(
                f"{request.path} answers GET and HEAD, not {request.method[:20]}.",
                status=405,
                code="method_not_allowed",
                headers={"Allow": ALLOW},
            )
        )

    return checked


@read_only
def liveness(request):
    return JsonResponse({"status": "ok"})


@read_only
def readiness(request):
    """Ready when the database answers and every cache store (settings.CACHES) keeps a value:
    revocation and rate limits live in stores other than `default`."""
    checks = {
        "database": _database_ready(),
        "caches": {alias: _cache_ready(alias) for alias in settings.CACHES},
    }
    ready = checks["database"] == "ok" and all(v == "ok" for v in checks["caches"].values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _database_ready() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        log.exception("Readiness: database check failed")
        return "unavailable"
    return "ok"


def _cache_ready(alias: str) -> str:
    try:
        store = caches[alias]
        store.set("readyz", "1", 5)
        found = store.get("readyz")
    except Exception:
        log.exception("Readiness: cache %s check failed", alias)
        return "unavailable"
    return "ok" if found == "1" else "unavailable"


@read_only
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
