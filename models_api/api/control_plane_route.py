"""The control-plane client: GET {GATEWAY_CONTROL_PLANE_URL}/models, answered as it is."""

from collections.abc import Mapping
from urllib.parse import quote

from django.conf import settings

from keys.access import Access
from keys.crypto import secret_digest
from models_api.api.routing import Route
from models_api.cache import cache_key, cached_fetch
from models_api.catalog.query import paging_parse
from models_api.errors import BadGateway, NotFound
from models_api.outbound import egress, http
from models_api.providers.fields import mapping

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


def control_plane_list(
    *, access: Access, route: Route, query: Mapping[str, str]
) -> tuple[object, dict]:
    """The control plane's list, less what this key's scope excludes.

    A key limited to some virtual keys or models gets the whole list asked for, filtered
    here and then paged by its own `limit`/`offset`, so pages and total_count are its own.
    """
    if access.unrestricted:
        return _get("/models", route=route, query=query)
    limit, offset = paging_parse(params=query)
    slugs = access.virtual_key_slugs()
    if slugs is not None and not slugs:  # deny by default: no virtual key, nothing to ask for
        body, headers = {"object": "list", "data": []}, {"x-portkey-cache-status": "DISABLED"}
    else:
        rest = {k: v for k, v in query.items() if k not in ("limit", "offset")}
        body, headers = _get("/models", route=route, query=rest)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise BadGateway("The control plane answered without a list of models.", provider=NAME)
    visible = [item for item in body["data"] if access.allows_listed(item, slugs)]
    page = visible[offset : None if limit is None else offset + limit]
    return {
        **body,
        "data": page,
        "total_count": len(visible),
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(page) < len(visible),
    }, headers


def control_plane_retrieve(*, access: Access, route: Route, model_id: str) -> tuple[object, dict]:
    """One model from the control plane, 404 when this key's scope excludes it."""
    slugs = None if access.unrestricted else access.virtual_key_slugs()
    names_virtual_key = model_id.startswith("@") and "/" in model_id
    # Refused by the id alone (its virtual key, or the patterns): no need to ask.
    if not access.allows_listed({"id": model_id}, slugs if names_virtual_key else None):
        raise _out_of_scope(model_id)
    # Ids such as "@openai-prod/gpt-4o" keep their "@" and "/" as the control plane expects.
    body, headers = _get("/models/" + quote(model_id, safe="@/:"), route=route, query={})
    listed = {"id": model_id, **mapping(body)}
    if not access.unrestricted and not access.allows_listed(listed, slugs):
        raise _out_of_scope(model_id)
    return body, headers


def _out_of_scope(model_id: str) -> NotFound:
    return NotFound(
        f"Model {model_id!r} does not exist or this API key may not use it.",
        param="model",
        code="model_not_found",
    )
