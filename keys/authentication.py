"""DRF authentication: a gateway key from x-portkey-api-key or a Bearer token with our prefix."""

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from keys.lookup import api_key_find
from keys.models import KEY_PREFIX

# The Portkey SDK sends this literal when the caller gave no Authorization.
PLACEHOLDER_BEARER = "OPENAI_API_KEY"


class GatewayPrincipal:
    """What request.user is for a key-authenticated request."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self):
        return f"api-key:{self.api_key.prefix}"


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token == PLACEHOLDER_BEARER:
        return None
    return token


def presented_gateway_key(request) -> str | None:
    """The gateway key the caller presented, or None when none was."""
    key = request.META.get("HTTP_X_PORTKEY_API_KEY", "").strip()
    if key:
        return key
    token = bearer_token(request)
    if token and token.startswith(KEY_PREFIX):
        return token
    return None


class ApiKeyAuthentication(BaseAuthentication):
    """Returns (GatewayPrincipal, ApiKey), None when no gateway key was presented, or raises 401.

    A Bearer token without the gateway prefix is a provider credential and is left alone.
    Whether a request without a key may pass (open mode) is decided per route by the view.
    """

    def authenticate(self, request):
        raw = presented_gateway_key(request)
        if raw is None:
            return None
        api_key = api_key_find(raw_key=raw)
        if api_key is None:
            raise AuthenticationFailed(
                "Invalid gateway API key: it is unknown, revoked or expired. "
                "Pass a valid key in x-portkey-api-key or Authorization: Bearer."
            )
        return GatewayPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="gateway"'
