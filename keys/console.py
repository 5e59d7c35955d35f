"""Admin console views of an API key: what it may see, and how to call the gateway with it."""

from dataclasses import dataclass

from keys.access import access_resolve
from keys.models import ApiKey, VirtualKey
from models_api.catalog.query import catalog_list

KEY_PLACEHOLDER = "<YOUR_KEY>"


@dataclass(frozen=True)
class Visibility:
    """The access resolver's answer for one key, as the admin should read it."""

    status: str
    all_virtual_keys: bool
    virtual_keys: tuple[VirtualKey, ...]  # active ones it may use
    inactive_virtual_keys: tuple[VirtualKey, ...]  # chosen, but inactive: they give nothing
    model_patterns: tuple[str, ...]
    catalog_models: int


@dataclass(frozen=True)
class Snippet:
    title: str
    language: str
    code: str


def api_key_visibility(*, api_key: ApiKey) -> Visibility:
    """Which virtual keys and how many catalog models the resolver lets `api_key` see."""
    access = access_resolve(api_key=api_key)
    inactive = () if api_key.all_virtual_keys else api_key.virtual_keys.filter(is_active=False)
    return Visibility(
        status=api_key.status,
        all_virtual_keys=access.all_virtual_keys,
        virtual_keys=tuple(access.virtual_keys().order_by("slug")),
        inactive_virtual_keys=tuple(inactive),
        model_patterns=access.model_patterns,
        catalog_models=catalog_list(access=access, params={"limit": "1"})["total_count"],
    )


def gateway_url(request) -> str:
    """The gateway's API base as this admin reached it (scheme and host of the request)."""
    return request.build_absolute_uri("/v1")


def call_snippets(*, base_url: str, key: str = KEY_PLACEHOLDER) -> tuple[Snippet, ...]:
    """List the models `key` may use with curl, the OpenAI SDK and the Portkey SDK."""
    return (
        Snippet(
            "curl",
            "shell",
            f"curl {base_url}/models \\\n  -H 'x-portkey-api-key: {key}'",
        ),
        Snippet(
            "OpenAI Python",
            "python",
            "from openai import OpenAI\n\n"
            f'client = OpenAI(base_url="{base_url}", api_key="{key}")\n'
            "for model in client.models.list():\n"
            "    print(model.id)",
        ),
        Snippet(
            "Portkey Python",
            "python",
            "from portkey_ai import Portkey\n\n"
            f'portkey = Portkey(base_url="{base_url}", api_key="{key}")\n'
            "for model in portkey.models.list().data:\n"
            "    print(model.id)",
        ),
    )
