"""Django-level 400, 404 and 500 handlers, so errors outside DRF views are OpenAI JSON too.

The admin console is the exception: its 404 is Django's HTML page, for the person in the browser.
"""

from django.views import defaults

from models_api.errors import NotFound, bad_request, error_response, internal_error

ADMIN_PREFIX = "/admin/"


def bad_request_view(request, exception=None):
    # E.g. DisallowedHost, raised in middleware before any view runs.
    return error_response(bad_request(exception))


def not_found(request, exception=None):
    if request.path.startswith(ADMIN_PREFIX):
        return defaults.page_not_found(request, exception)
    return error_response(
        NotFound(f"No route for {request.method} {request.path[:200]}.", code="unknown_url")
    )


def server_error(request):
    return error_response(internal_error())
