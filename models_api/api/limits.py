"""What any request must be before a view sees it: within the gateway's limits on its target
and headers, and with no control character in its query. Refused as OpenAI JSON errors.

The HTTP server's own limits are above these (Granian: 100 headers, a ~400 KB header block,
a 64 KB target), and what it refuses gets a bare status line with no body. Any request it can
parse that goes past these limits gets the JSON answer here instead.
"""

from models_api.errors import InvalidRequest, error_response
from models_api.text import text_param

MAX_TARGET_BYTES = 48 * 1024  # path and query string: below Granian's 64 KB, above any real use
MAX_HEADER_BYTES = 64 * 1024  # names and values of every header together
MAX_HEADERS = 64
_UNPREFIXED = ("CONTENT_TYPE", "CONTENT_LENGTH")  # the two headers WSGI names without HTTP_


def _header_name(meta_name: str) -> str:
    return meta_name.removeprefix("HTTP_").replace("_", "-").lower()


def limit_exceeded(meta: dict) -> InvalidRequest | None:
    """The error for a request past a limit, or None. PEP 3333 strings hold one byte a char."""
    target = len(meta.get("PATH_INFO", "")) + len(meta.get("QUERY_STRING", ""))
    if target > MAX_TARGET_BYTES:
        return InvalidRequest(
            f"The request's URL is too long ({target:,} bytes, at most {MAX_TARGET_BYTES:,}); "
            "send fewer or shorter query parameters.",
            status=414,
            code="uri_too_long",
        )
    count = size = largest = 0
    largest_name = ""
    for name, value in meta.items():
        if name.startswith("HTTP_") or name in _UNPREFIXED:
            count += 1
            size += len(name) + len(value)
            if len(value) > largest:
                largest, largest_name = len(value), name
    if count > MAX_HEADERS:
        return InvalidRequest(
            f"The request sent {count} headers; the gateway takes at most {MAX_HEADERS}.",
            status=431,
            code="request_headers_too_large",
        )
    if size > MAX_HEADER_BYTES:
        header = _header_name(largest_name)
        return InvalidRequest(
            f"The request's headers are too long ({size:,} bytes, at most "
            f"{MAX_HEADER_BYTES:,}); the largest is {header} ({largest:,} bytes).",
            status=431,
            param=header,
            code="request_headers_too_large",
        )
    return None


def query_refused(request) -> InvalidRequest | None:
    """A 400 for a control character in a query parameter's name or value (models_api/text.py
    says why), or None. A plain query string (no percent escape, nothing unprintable) is not
    parsed."""
    query = request.META.get("QUERY_STRING", "")
    if "%" not in query and query.isprintable():
        return None
    try:
        for name, values in request.GET.lists():
            for value in values:
                text_param(name, value)
    except InvalidRequest as error:
        return error
    return None


class RequestLimitsMiddleware:
    """Answers a request past a limit, or with a control character in its query, before any
    view, on every route (API, admin). The sizes come first: an overlong query is not parsed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        error = limit_exceeded(request.META) or query_refused(request)
        if error is not None:
            return error_response(error)
        return self.get_response(request)
