"""Which provider, credential and provider model id a model call goes to (DESIGN section 11).

The access rules are those of the list routes, applied before any provider is contacted: a
provider route calls what its list would show (the virtual key's scope, then the key's model
patterns on the provider's id, as provider_route filters its list); the catalog calls what
the catalog lists (catalog_callable, cached as the catalog pages are). With
GATEWAY_CONTROL_PLANE_URL set, the control plane answers the list routes only: a call is
always made from this gateway's own virtual keys and catalog, which hold the credentials.
"""

from dataclasses import dataclass

from keys.access import Access
from keys.models import VIRTUAL_KEY_SLUG, VirtualKey
from keys.targets import target_for_virtual_key
from models_api.api.catalog_route import catalog_callable_cached
from models_api.api.provider_route import route_target_and_key, virtual_key_for_use
from models_api.api.routing import Route
from models_api.catalog.query import model_not_found
from models_api.errors import InvalidRequest, NotFound, PermissionDenied
from models_api.providers.base import Target

MAX_CHOICES = 20  # catalog ids named in the message of an ambiguous plain id


@dataclass(frozen=True)
class CallTarget:
    """`target` is called with `model`, the provider's own id; `virtual_key_id` is for usage."""

    target: Target
    model: str
    virtual_key_id: int | None = None


def call_target(*, access: Access, route: Route, model: str) -> CallTarget:
    """The CallTarget for a body's `model` on `route`.

    Raises InvalidRequest (400) for a malformed catalog id or a plain id several virtual keys
    list, NotFound (404 model_not_found) for an id this key cannot see, PermissionDenied (403)
    for a virtual key outside the key's scope or a model its patterns exclude.
    """
    if route.names_provider:
        target, virtual_key = route_target_and_key(access=access, route=route)
        if not access.allows_model(model):  # the provider route's list filter
            raise PermissionDenied(
                f"This API key may not use model {model[:200]!r}; its model patterns exclude "
                "it. GET /v1/models lists the models it may use.",
                param="model",
                code="model_not_allowed",
            )
        return CallTarget(target, model, virtual_key.pk if virtual_key else None)
    checked = _virtual_key_of(access, model) if model.startswith("@") else None
    rows = catalog_callable_cached(access=access, model=model)
    if not rows:
        raise model_not_found(model)
    if len(rows) > 1:
        ids = [row["public_id"] for row in rows]
        shown = ", ".join(ids[:MAX_CHOICES]) + (" ..." if len(ids) > MAX_CHOICES else "")
        raise InvalidRequest(
            f"Model {model[:200]!r} is offered by {len(ids)} virtual keys; name one with its "
            f"catalog id: {shown}.",
            param="model",
            code="ambiguous_model",
        )
    row = rows[0]
    virtual_key = checked or virtual_key_for_use(access=access, slug=row["virtual_key_slug"])
    return CallTarget(target_for_virtual_key(virtual_key), row["model_id"], virtual_key.pk)


def _virtual_key_of(access: Access, model: str) -> VirtualKey:
    """A catalog id names its virtual key: 400 malformed, 404 unknown, 403 out of scope."""
    slug, slash, rest = model[1:].partition("/")
    if not slash or not rest or not VIRTUAL_KEY_SLUG.fullmatch(slug):
        raise InvalidRequest(
            f"Model {model[:200]!r} is not a catalog id; they look like @<virtual-key>/<model>.",
            param="model",
            code="invalid_model",
        )
    try:
        return virtual_key_for_use(access=access, slug=slug)
    except (NotFound, PermissionDenied) as error:
        error.param = "model"
        raise
