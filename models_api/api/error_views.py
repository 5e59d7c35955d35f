"""Django-level 404 and 500 handlers, so errors outside DRF views are OpenAI JSON too."""

from models_api.errors import NotFound, bad_request, error_response, internal_error


def bad_request_view(request, exception=None):
    # E.g. DisallowedHost, raised in middleware before any view runs.
    return error_response(bad_request(exception))


def not_found(request, exception=None):
    return error_response(
        NotFound(f"No route for {request.method} {request.path[:200]}.", code="unknown_url")
    )


def server_error(request):
    return error_response(internal_error())
