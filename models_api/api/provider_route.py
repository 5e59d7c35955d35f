"""The provider route: a provider's list, fetched through its client, cached, filtered by access."""

from collections.abc import Mapping
from types import MappingProxyType

from django.conf import settings

from keys.access import Access
from keys.crypto import secret_digest
from keys.lookup import virtual_key_find
from keys.models import VirtualKey
from keys.targets import DESTINATION_OPTIONS, target_for_virtual_key
from models_api.api.rendering import RenderedJSON
from models_api.api.routing import OPTION_HEADERS, Route
from models_api.cache import cache_key, cached_fetch
from models_api.errors import InvalidRequest, NotFound, PermissionDenied
from models_api.providers import get_client
from models_api.providers.base import Target

OPTION_HEADER_NAMES = {option: header for header, option in OPTION_HEADERS.items()}


def virtual_key_for_use(*, access: Access, slug: str) -> VirtualKey:
    """The virtual key `slug` if this key may use it: 404 unknown, 403 disabled or out of scope."""
    virtual_key = virtual_key_find(slug=slug)
    if virtual_key is None:
        raise NotFound(f"Virtual key {slug!r} does not exist.", param="x-portkey-virtual-key")
    if not virtual_key.is_active:
        raise PermissionDenied(
            f"Virtual key {slug!r} is disabled; an admin can enable it.",
            param="x-portkey-virtual-key",
        )
    if not access.allows_virtual_key(virtual_key):
        raise PermissionDenied(
            f"This API key may not use virtual key {slug!r}; ask an admin to add it to its scope.",
            param="x-portkey-virtual-key",
        )
    return virtual_key


def route_virtual_key(*, access: Access, route: Route) -> VirtualKey:
    """The route's virtual key, if this key may use it and the provider header agrees."""
    virtual_key = virtual_key_for_use(access=access, slug=route.virtual_key)
    if route.provider and route.provider != virtual_key.provider:
        raise InvalidRequest(
            f"x-portkey-provider is {route.provider!r} but virtual key "
            f"{virtual_key.slug!r} is for {virtual_key.provider!r}; send one of them.",
            param="x-portkey-provider",
        )
    return virtual_key


def route_target(*, access: Access, route: Route) -> Target:
    """The Target a provider route calls: a virtual key's stored settings or the caller's."""
    return route_target_and_key(access=access, route=route)[0]


def route_target_and_key(*, access: Access, route: Route) -> tuple[Target, VirtualKey | None]:
    """route_target, and the virtual key it uses (None for the caller's own credential)."""
    if route.virtual_key:
        virtual_key = route_virtual_key(access=access, route=route)
        target = target_for_virtual_key(virtual_key)
        _destination_unchanged(virtual_key, target, route)
        # Caller headers fill only what the virtual key leaves unset.
        options = {**route.options, **target.options}
        found = Target(
            target.provider, target.credential, target.base_url, MappingProxyType(options)
        )
        return found, virtual_key
    return Target(route.provider, route.credential, route.custom_host, route.options), None


def _destination_unchanged(virtual_key: VirtualKey, target: Target, route: Route) -> None:
    """400 when a caller's option header would send the stored credential elsewhere."""
    for option in DESTINATION_OPTIONS:
        asked = route.options.get(option)
        if asked and asked != target.options.get(option):
            header = f"x-portkey-{OPTION_HEADER_NAMES[option]}"
            raise InvalidRequest(
                f"{header} cannot change where virtual key {virtual_key.slug!r} sends its "
                "credential: the virtual key's own settings apply. Drop the header, or send "
                "your own provider credential with x-portkey-provider instead.",
                param=header,
            )


def _key(operation: str, target: Target, extra) -> str:
    return cache_key(
        operation,
        target.provider,
        target.base_url,
        secret_digest(target.credential),
        sorted(target.options.items()),
        extra,
    )


def _fetch(operation: str, target: Target, extra, fetch, route: Route):
    ttl = settings.GATEWAY_MODELS_CACHE_TTL
    return cached_fetch(
        _key(operation, target, extra) if ttl > 0 else "",  # with the cache off, no key is read
        fetch,
        ttl=ttl,
        stale_ttl=settings.GATEWAY_MODELS_STALE_TTL,
        force_refresh=route.force_refresh,
        provider=target.provider,
    )


def provider_models_list(
    *, access: Access, route: Route, query: Mapping[str, str]
) -> tuple[dict | RenderedJSON, dict]:
    """(body, headers) for GET /v1/models on a provider route."""
    target = route_target(access=access, route=route)
    client = get_client(target.provider)

    def fetch():
        listing = client.list_models(target, query)
        models = [m.as_dict() for m in listing.models]
        body = {"object": "list", "provider": target.provider, "data": models}
        return RenderedJSON.of({**body, **listing.paging}).with_gzip()

    body, status = _fetch("list", target, sorted(query.items()), fetch, route)
    if access.model_patterns:
        body = body.data()
        body["data"] = [m for m in body["data"] if access.allows_model(m["id"])]
    return body, {"x-portkey-provider": target.provider, "x-portkey-cache-status": status}


def provider_model_retrieve(
    *, access: Access, route: Route, model_id: str
) -> tuple[RenderedJSON, dict]:
    """(body, headers) for GET /v1/models/{id} on a provider route."""
    target = route_target(access=access, route=route)
    if not access.allows_model(model_id):
        raise NotFound(f"Model {model_id!r} does not exist or this key may not use it.")
    client = get_client(target.provider)
    body, status = _fetch(
        "retrieve",
        target,
        model_id,
        lambda: RenderedJSON.of(client.retrieve_model(target, model_id).as_dict()).with_gzip(),
        route,
    )
    return body, {"x-portkey-provider": target.provider, "x-portkey-cache-status": status}
