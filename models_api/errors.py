"""The gateway's error hierarchy and the one handler that renders every error as OpenAI JSON."""

import logging
from collections.abc import Iterable

from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """An error the caller should see: status, OpenAI error type, code, and a safe message.

    Messages must say what was wrong and how to fix it, and never contain a secret.
    """

    status = 500
    type = "api_error"
    code = "internal_error"

    def __init__(self, message, *, param=None, code=None, provider=None, status=None, headers=None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.provider = provider
        self.headers = headers or {}
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def body(self):
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        if self.provider:
            error["provider"] = self.provider
        return {"error": error}


class InvalidRequest(GatewayError):
    status, type, code = 400, "invalid_request_error", "invalid_request"


class AuthenticationError(GatewayError):
    status, type, code = 401, "authentication_error", "invalid_api_key"

    def __init__(self, message, **kwargs):
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="gateway"')


class PermissionDenied(GatewayError):
    status, type, code = 403, "permission_error", "permission_denied"


class NotFound(GatewayError):
    status, type, code = 404, "invalid_request_error", "not_found"


class RateLimited(GatewayError):
    status, type, code = 429, "rate_limit_error", "rate_limit_exceeded"

    def __init__(self, message, *, retry_after, **kwargs):
        super().__init__(message, **kwargs)
        self.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))


class UpstreamError(GatewayError):
    """The provider rejected the request: its status and message are kept for the caller."""

    type, code = "upstream_error", "provider_error"


class BadGateway(GatewayError):
    status, type, code = 502, "upstream_error", "bad_gateway"


class GatewayTimeout(GatewayError):
    status, type, code = 504, "timeout_error", "upstream_timeout"


_DRF_TYPES = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
}


def _from_drf(exc: drf.APIException) -> GatewayError:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return AuthenticationError(detail)
    if isinstance(exc, drf.Throttled):
        wait = exc.wait or 1
        return RateLimited(
            f"Rate limit exceeded for this API key; retry in {int(wait + 0.999)} seconds.",
            retry_after=wait,
        )
    if isinstance(exc, drf.MethodNotAllowed):
        return InvalidRequest(detail, status=405, code="method_not_allowed")
    if isinstance(exc, drf.NotAcceptable | drf.UnsupportedMediaType):
        return InvalidRequest(detail, status=exc.status_code, code=exc.default_code)
    error_class = _DRF_TYPES.get(exc.status_code, GatewayError)
    if error_class is RateLimited:
        return RateLimited(detail, retry_after=1)
    return error_class(detail, status=exc.status_code)


def to_gateway_error(exc: Exception) -> GatewayError | None:
    """Translate any exception into a GatewayError, or None when it is a bug (a 500)."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, Http404):
        return NotFound("Not found.")
    if isinstance(exc, drf.APIException):
        return _from_drf(exc)
    if isinstance(exc, SuspiciousOperation):
        # Logged where Django's own handler would log it, since this one answers instead.
        logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s", exc)
        return bad_request(exc)
    return None


def bad_request(exc: Exception | None = None) -> GatewayError:
    """A request Django refuses (SuspiciousOperation): 400, as Django itself answers it."""
    if isinstance(exc, TooManyFieldsSent):  # raised on reading request.GET, inside the view
        return InvalidRequest("Too many query parameters.", code="too_many_parameters")
    return InvalidRequest("The request is malformed and was refused.", code="bad_request")


def unknown_provider_message(name: str, valid: Iterable[str]) -> str:
    """The one wording for a provider name the registry does not know: it lists the valid ones."""
    return f"Unknown provider {name[:60]!r}. Valid providers: {', '.join(valid)}."


def error_response(error: GatewayError) -> JsonResponse:
    """The error as a plain Django response, for views and handlers outside DRF."""
    return JsonResponse(error.body(), status=error.status, headers=error.headers)


def internal_error() -> GatewayError:
    return GatewayError(
        "The gateway hit an internal error; it has been logged. Try again or contact the admin."
    )


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every API error leaves here as OpenAI-style JSON."""
    error = to_gateway_error(exc)
    if error is None:
        log.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        error = internal_error()
    return Response(error.body(), status=error.status, headers=error.headers)
