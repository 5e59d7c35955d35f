"""Readers for fields of provider JSON: the value in the expected type, else None or BadGateway."""

from datetime import UTC, datetime

from models_api.errors import BadGateway


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


def mapping(value: object) -> dict:
    """The value when it is a JSON object, else an empty one: for optional nested objects."""
    return value if isinstance(value, dict) else {}
