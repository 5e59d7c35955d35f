"""Helpers shared by the provider clients: query filtering, page walking, reading fields."""

import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings

from models_api.errors import BadGateway, InvalidRequest, NotFound, UpstreamError
from models_api.providers.base import Model, ProviderClient, Target

# Query parameters that carry a credential: a caller may never swap the gateway's for its own.
REFUSED_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "access_token"})
REFUSED_PREFIXES = ("x-amz-",)  # SigV4 presigning parameters
SAFE_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*$")


class Client(ProviderClient):
    """A ProviderClient that also declares which Target.options keys it reads."""

    option_keys: frozenset[str] = frozenset()

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        """Problems with these options beyond unknown keys; empty when they are usable."""
        return [
            f"Option {key!r} must be printable ASCII."
            for key in sorted(self.option_keys)
            if not SAFE_HEADER_VALUE.match(options.get(key) or "")
        ]

    def require_valid(self, target: Target) -> None:
        """InvalidRequest before any call when the target's options are unusable."""
        errors = self.check_options(target.options, target.base_url)
        if errors:
            raise InvalidRequest(" ".join(errors))


def base_url(target: Target, default: str) -> str:
    return (target.base_url or default).rstrip("/")


def pass_through(
    query: Mapping[str, str], *, provider: str, refused: Iterable[str] = ()
) -> dict[str, str]:
    """The caller's query parameters to forward; InvalidRequest for any that touch auth."""
    refused = REFUSED_PARAMS | {name.lower() for name in refused}
    params = {}
    for name, value in query.items():
        lowered = name.lower()
        if lowered in refused or lowered.startswith(REFUSED_PREFIXES):
            raise InvalidRequest(
                f"Query parameter {name!r} cannot be forwarded to {provider}: the gateway sets "
                "it from the route's provider settings. Remove it from the request.",
                param=name,
            )
        params[name] = value
    return params


def walk_pages(
    fetch: Callable[[str | None], tuple[list[Model], str | None]], *, provider: str
) -> tuple[Model, ...]:
    """Call fetch(cursor) from cursor None until it returns no next cursor.

    More than GATEWAY_MAX_PAGES pages is a BadGateway rather than a silently partial list,
    which a cache or a catalog sync would otherwise take for the whole list.
    """
    models: list[Model] = []
    cursor, seen = None, set()
    for _ in range(settings.GATEWAY_MAX_PAGES):
        page, cursor = fetch(cursor)
        models.extend(page)
        if not cursor:
            return tuple(models)
        if cursor in seen:
            raise BadGateway(f"{provider} returned the same page cursor twice.", provider=provider)
        seen.add(cursor)
    raise BadGateway(
        f"{provider} has more than {settings.GATEWAY_MAX_PAGES} pages of models "
        "(GATEWAY_MAX_PAGES); raise the setting, or pass the provider's own paging parameters.",
        provider=provider,
    )


def items(data: object, key: str, provider: str) -> list[dict]:
    """The list of objects under `key` (or the body itself when `key` is empty)."""
    found = data.get(key) if key and isinstance(data, dict) else data
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        where = f"a {key!r} list of objects" if key else "a JSON array of objects"
        raise BadGateway(f"{provider} answered without {where}.", provider=provider)
    return found


def obj(data: object, provider: str) -> dict:
    if not isinstance(data, dict):
        raise BadGateway(
            f"{provider} answered with something other than an object.", provider=provider
        )
    return data


def text(item: dict, key: str, provider: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise BadGateway(f"{provider} listed a model without its {key!r} field.", provider=provider)
    return value


def opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def opt_int(value: object) -> int | None:
    if type(value) is int:  # the usual case, and exact; bool is not int's type
        return value
    number = opt_float(value)
    return int(number) if number is not None else None


def opt_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None


def strs(value: object, *, lower: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v.lower() if lower else v for v in value if isinstance(v, str))


def flags(value: object) -> tuple[str, ...]:
    """Names of the true flags in {"vision": true} or {"batch": {"supported": true}}."""
    if not isinstance(value, dict):
        return ()
    return tuple(
        name
        for name, flag in value.items()
        if flag is True or (isinstance(flag, dict) and flag.get("supported") is True)
    )


def unix(value: object) -> int:
    """Unix seconds from a number or an RFC 3339 string; 0 when unknown."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return 0
        return max(0, int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()))
    return max(0, opt_int(value) or 0)


def model_path(model_id: str, provider: str) -> str:
    """The id as URL path segments; dot segments would climb out of the models path."""
    segments = model_id.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise not_found(model_id, provider)
    return "/".join(quote(segment, safe="") for segment in segments)


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
