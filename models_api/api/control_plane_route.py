"""The control-plane client: GET {GATEWAY_CONTROL_PLANE_URL}/models, answered as it is."""

from collections.abc import Mapping
from urllib.parse import quote

from django.conf import settings

from keys.crypto import secret_digest
from models_api.api.routing import Route
from models_api.cache import cache_key, cached_fetch
from models_api.outbound import egress, http

NAME = "control-plane"


def _get(path: str, *, route: Route, query: Mapping[str, str]) -> tuple[object, dict]:
    # The configured control-plane key, else the caller's own gateway key.
    key = settings.GATEWAY_CONTROL_PLANE_API_KEY or route.gateway_key
    headers = {"x-portkey-api-key": key} if key else {}
    if route.trace_id:
        headers["x-portkey-trace-id"] = route.trace_id
    url = settings.GATEWAY_CONTROL_PLANE_URL + path
    body, status = cached_fetch(
        cache_key("control-plane", url, secret_digest(key), sorted(query.items())),
        # The URL comes from the operator's settings, so any address it names is trusted.
        lambda: http.get_json(
            url,
            provider=NAME,
            headers=headers,
            params=query,
            secrets=[key],
            policy=egress.OPERATOR,
        ),
        ttl=settings.GATEWAY_CONTROL_PLANE_CACHE_TTL,
        stale_ttl=settings.GATEWAY_MODELS_STALE_TTL,
        force_refresh=route.force_refresh,
        provider=NAME,
    )
    return body, {"x-portkey-cache-status": status}


def control_plane_list(*, route: Route, query: Mapping[str, str]) -> tuple[object, dict]:
    return _get("/models", route=route, query=query)


def control_plane_retrieve(*, route: Route, model_id: str) -> tuple[object, dict]:
    # Ids such as "@openai-prod/gpt-4o" keep their "@" and "/" as the control plane expects.
    return _get("/models/" + quote(model_id, safe="@/:"), route=route, query={})
