"""Model ids in provider URLs, and the gateway's NotFound for an id the provider lacks."""

from collections.abc import Iterable
from contextlib import contextmanager
from urllib.parse import quote

from models_api.errors import NotFound, UpstreamError
from models_api.providers.shapes import Model


def model_path(model_id: str, provider: str) -> str:
    """The id as URL path segments, slashes kept; dot segments would climb out of the path."""
    parts = model_id.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise not_found(model_id, provider)
    return "/".join(quote(part, safe="") for part in parts)


def segment(model_id: str, provider: str) -> str:
    """The id as one URL path segment, a slash encoded too."""
    if model_id in ("", ".", ".."):
        raise not_found(model_id, provider)
    return quote(model_id, safe="")


def not_found(model_id: str, provider: str) -> NotFound:
    return NotFound(
        f"The model {model_id!r} does not exist at {provider}, or this credential cannot see it.",
        param="model",
        code="model_not_found",
        provider=provider,
    )


def find(models: Iterable[Model], model_id: str, provider: str) -> Model:
    for model in models:
        if model.id == model_id:
            return model
    raise not_found(model_id, provider)


@contextmanager
def missing_is_not_found(model_id: str, provider: str):
    """Turn the provider's 404 for one model into the gateway's NotFound."""
    try:
        yield
    except UpstreamError as exc:
        if exc.status == 404:
            raise not_found(model_id, provider) from None
        raise
