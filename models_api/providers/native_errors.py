"""Each native family's error answers as the caller gets them: status, message, code, wait.

One ErrorReader per family (outbound.answers.check_status calls it with the HTTP status, the
headers and the decoded body), following reference/inference.md: Anthropic 3.4, Gemini 4.7,
Bedrock 5.6, Cohere 6.6. A provider that says it is overloaded or not ready is a 503 with
Retry-After (the OpenAI SDK retries it); its timeouts a 504; its other failures a 502.
"""

from collections.abc import Mapping

from models_api.outbound.answers import Rejection
from models_api.providers import anthropic_chat, bedrock_chat, cohere_chat, fields, google_chat

RETRY_AFTER = "10"  # seconds, when an unavailable provider gives no Retry-After of its own
# https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html and each runtime
# operation's Errors; the statuses AWS itself gives, except the two retryable ones.
BEDROCK_STATUS = {
    "ValidationException": 400,
    "ServiceQuotaExceededException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 504,  # AWS: 408, the model took too long
    "ModelErrorException": 502,  # AWS: 424, the model itself failed
    "ThrottlingException": 429,
    # AWS answers 429 while a model loads; it is not the caller's rate, so not a RateLimitError.
    "ModelNotReadyException": 503,
    "InternalServerException": 502,
    "ServiceUnavailableException": 503,
}
GOOGLE_AUTH_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})  # answered as 400
COHERE_STATUS = {498: 401, 499: 502}  # 498: invalid token; 499: it saw the request cancelled


def _wait(headers: Mapping[str, str]) -> str:
    value = (headers.get("Retry-After") or "").strip()
    return value if value.isdigit() else RETRY_AFTER


def _retry(status: int, headers: Mapping[str, str]) -> str | None:
    if status == 503:
        return _wait(headers)
    return headers.get("Retry-After") if status == 429 else None


def anthropic(status: int, headers: Mapping[str, str], data: object) -> Rejection:
    """{"type":"error","error":{"type","message"}}; 529 overloaded_error is a 503."""
    code = fields.mapping(fields.mapping(data).get("error")).get("type")
    mapped, _ = anthropic_chat.error_status(status, data)
    return Rejection(
        mapped,
        anthropic_chat.error_message(status, data),
        code if isinstance(code, str) else None,
        _retry(mapped, headers),
    )


def google(status: int, headers: Mapping[str, str], data: object) -> Rejection:
    """{"error":{"code","message","status","details"}}; a bad API key (a 400) is a 401."""
    found = data[0] if isinstance(data, list) and data else data  # the JSON-array form
    error = fields.mapping(fields.mapping(found).get("error"))
    details = error.get("details") if isinstance(error.get("details"), list) else []
    reasons = {d.get("reason") for d in details if isinstance(d, dict)}
    mapped = 401 if status == 400 and reasons & GOOGLE_AUTH_REASONS else status
    code = error.get("status")
    return Rejection(
        mapped,
        google_chat.error_message(status, found),
        code if isinstance(code, str) else None,
        _retry(mapped, headers),
    )


def bedrock(status: int, headers: Mapping[str, str], data: object) -> Rejection:
    """{"message"} with the error's name in x-amzn-ErrorType (or the body's code/__type)."""
    code = bedrock_chat.error_type(headers, data)
    mapped = BEDROCK_STATUS.get(code or "", status)
    message = bedrock_chat.error_message(status, data)
    return Rejection(
        mapped, f"{code}: {message}" if code else message, code, _retry(mapped, headers)
    )


def cohere(status: int, headers: Mapping[str, str], data: object) -> Rejection:
    """{"message"} (v2 adds "id"); 498 is its invalid-token status."""
    mapped = COHERE_STATUS.get(status, status)
    return Rejection(mapped, cohere_chat.error_message(status, data), None, _retry(mapped, headers))
