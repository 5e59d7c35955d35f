"""GatewayKeyRequired: a gateway key, or in open mode the caller's own provider credential."""

from types import SimpleNamespace

import pytest

from keys.permissions import GatewayKeyRequired
from models_api.api.routing import Route
from models_api.errors import AuthenticationError

MISSING = (
    "Missing gateway API key: pass it in the x-portkey-api-key header "
    "or as Authorization: Bearer <key>."
)
OWN_KEY_HINT = " Without one, send the provider's own key as Authorization: Bearer."


class View:
    """A view that says how often its route was read."""

    def __init__(self, route: Route):
        self._route, self.reads = route, 0

    def route(self) -> Route:
        self.reads += 1
        return self._route


def check(view, *, auth=None):
    return GatewayKeyRequired().has_permission(SimpleNamespace(auth=auth), view)


def refusal(view, **kwargs) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        check(view, **kwargs)
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"] == 'Bearer realm="gateway"'
    return caught.value


OWN_CREDENTIAL = Route(provider="openai", credential="sk-caller")


def test_a_key_passes_without_its_route_being_read():
    view = View(OWN_CREDENTIAL)
    assert check(view, auth=object()) is True
    assert view.reads == 0


def test_without_a_key_the_route_is_never_read_outside_open_mode():
    view = View(OWN_CREDENTIAL)
    assert refusal(view).message == MISSING
    assert view.reads == 0


@pytest.fixture
def open_mode(settings):
    settings.GATEWAY_REQUIRE_API_KEY = False


def test_open_mode_lets_a_provider_route_with_the_callers_credential_through(open_mode):
    view = View(OWN_CREDENTIAL)
    assert check(view) is True
    assert view.reads == 1


def test_open_mode_asks_for_the_providers_own_key_when_none_was_sent(open_mode):
    assert refusal(View(Route(provider="openai"))).message == MISSING + OWN_KEY_HINT


@pytest.mark.parametrize(
    "route",
    [
        Route(),  # the catalog or the control plane
        Route(virtual_key="openai-prod", credential="sk-caller"),  # a stored credential
        Route(provider="openai", virtual_key="openai-prod", credential="sk-caller"),
    ],
)
def test_open_mode_still_needs_a_key_off_the_provider_route(open_mode, route):
    assert refusal(View(route)).message == MISSING


def test_open_mode_needs_a_key_for_a_view_without_a_route(open_mode):
    assert refusal(SimpleNamespace()).message == MISSING
