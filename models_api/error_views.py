"""Django-level 404 and 500 handlers, so errors outside DRF views are OpenAI JSON too."""

from django.http import JsonResponse

from models_api.errors import NotFound, bad_request, internal_error


def bad_request_view(request, exception=None):
    # E.g. DisallowedHost, raised in middleware before any view runs.
    error = bad_request(exception)
    return JsonResponse(error.body(), status=error.status)


def not_found(request, exception=None):
    error = NotFound(f"No route for {request.method} {request.path[:200]}.", code="unknown_url")
    return JsonResponse(error.body(), status=404)


def server_error(request):
    error = internal_error()
    return JsonResponse(error.body(), status=500)
