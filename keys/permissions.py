"""Who may call the API: a gateway key, or in open mode the caller's own provider credential."""

from typing import Protocol

from django.conf import settings
from rest_framework.permissions import BasePermission

from models_api.errors import AuthenticationError

MISSING_KEY = (
    "Missing gateway API key: pass it in the x-portkey-api-key header "
    "or as Authorization: Bearer <key>."
)


class ProviderCall(Protocol):
    """What open mode reads of a request's route (models_api.api.routing.Route)."""

    provider: str
    virtual_key: str
    credential: str


class GatewayKeyRequired(BasePermission):
    """A gateway key is required, except in open mode (GATEWAY_REQUIRE_API_KEY=false) for a
    provider route called with the caller's own provider credential and no virtual key.

    Outside open mode a request without a key is refused before its route is read. In open
    mode the route comes from the view's `route()`, which reads it once for the permission
    and the handler both; a view without one needs a key in either mode.
    """

    def has_permission(self, request, view) -> bool:
        if request.auth is not None:
            return True
        if settings.GATEWAY_REQUIRE_API_KEY or not hasattr(view, "route"):
            raise AuthenticationError(MISSING_KEY)
        route: ProviderCall = view.route()
        if not route.provider or route.virtual_key:
            raise AuthenticationError(MISSING_KEY)  # the catalog and stored credentials
        if not route.credential:
            raise AuthenticationError(
                MISSING_KEY + " Without one, send the provider's own key as Authorization: Bearer."
            )
        return True
