"""Readers of the OpenAI request's parameters that every native-provider translation shares
(its `messages`: openai_messages.py).

Pure code: each raises InvalidRequest naming the OpenAI parameter it cannot take.
https://platform.openai.com/docs/api-reference/chat/create
"""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from models_api.errors import InvalidRequest

# OpenAI fields whose effect no native translation reproduces, with the value that means "off":
# anything else is refused rather than silently dropped.
UNSUPPORTED = {
    "n": 1,
    "logprobs": False,
    "top_logprobs": None,
    "logit_bias": {},
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "audio": None,
    "modalities": ["text"],
    "web_search_options": None,
}


def no_completions(provider: str) -> NoReturn:
    """Legacy /v1/completions on a provider that only has a chat API."""
    message = f"{provider} has no /v1/completions API; use /v1/chat/completions."
    raise InvalidRequest(message, code="unsupported_endpoint")


@dataclass(frozen=True)
class Param:
    """Where one OpenAI field goes in the provider body (a dotted path), and how it changes shape.

    `transform(value, name)` returns the provider's value, or None to send nothing.
    """

    to: str
    transform: Callable[[Any, str], Any] | None = None


def apply(body: Mapping, table: Mapping[str, Param], out: dict) -> dict:
    """Copy each field of `table` present in `body` into `out`; later entries win on one path."""
    for name, param in table.items():
        value = body.get(name)
        if value is not None and param.transform:
            value = param.transform(value, name)
        if value is not None:
            put(out, param.to, value)
    return out


def put(out: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        out = out.setdefault(key, {})
    out[leaf] = value


def refuse(body: Mapping, names: Iterable[str], provider: str) -> None:
    """InvalidRequest for the first field in `names` set to anything but its "off" value."""
    for name in names:
        value = body.get(name)
        if value is not None and value != UNSUPPORTED.get(name):
            message = f"{provider} cannot honour '{name}' ({json.dumps(value)[:40]}); remove it."
            raise InvalidRequest(message, param=name, code="unsupported_parameter")


def invalid(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, param=param)


def number(low: float, high: float) -> Callable[[Any, str], float]:
    """A transform that lets through numbers from `low` to `high`."""

    def check(value: Any, name: str) -> float:
        if type(value) not in (int, float) or not low <= value <= high:  # bool is no number here
            raise invalid(name, f"'{name}' must be a number from {low} to {high} here.")
        return value

    return check


def whole(low: int | None = None) -> Callable[[Any, str], int]:
    """A transform that lets through integers of at least `low`."""

    def check(value: Any, name: str) -> int:
        if type(value) is not int or low is not None and value < low:
            floor = "" if low is None else f" of at least {low}"
            raise invalid(name, f"'{name}' must be a whole number{floor}.")
        return value

    return check


positive_int = whole(1)
integer = whole()


def stop_list(value: Any, name: str) -> list[str] | None:
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise invalid(name, f"'{name}' must be a string or a list of non-empty strings.")
    return stops or None


def functions(body: Mapping) -> list[dict]:
    """The function tools as {name, description?, parameters?, strict?}."""
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise invalid("tools", "'tools' must be a list.")
    found = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict):
            raise invalid(f"tools[{i}]", "Only function tools can be sent to this provider.")
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise invalid(f"tools[{i}].function.name", "Each tool needs a function name.")
        found.append(function)
    return found


def tool_choice(body: Mapping) -> tuple[str, str | None] | None:
    """('auto' | 'none' | 'required' | 'named', name) or None when not given."""
    choice = body.get("tool_choice")
    if choice is None:
        return None
    if choice in ("auto", "none"):
        return choice, None
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if choice != "required" and not isinstance(name, str):
        raise invalid("tool_choice", "'tool_choice' must be auto, none, required or a function.")
    names = [f.get("name") for f in functions(body)]
    if choice == "required" and not names or name is not None and name not in names:
        raise invalid("tool_choice", "'tool_choice' names a tool that 'tools' does not declare.")
    return ("required", None) if choice == "required" else ("named", name)


def response_format(body: Mapping) -> tuple[str, dict | None]:
    """('text' | 'json_object' | 'json_schema', the json_schema object or None)."""
    found = body.get("response_format")
    kind = found.get("type") if isinstance(found, dict) else None
    if found is None or kind == "text":
        return "text", None
    if kind == "json_object":
        return kind, None
    spec = found.get("json_schema")
    if kind == "json_schema" and isinstance(spec, dict) and isinstance(spec.get("schema"), dict):
        return kind, spec
    raise invalid("response_format", "'response_format' must be text, json_object or json_schema.")
