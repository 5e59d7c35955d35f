"""Read the x-portkey-* request headers once into a Route (DESIGN section 4)."""

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from keys.authentication import bearer_token, presented_gateway_key
from keys.models import KEY_PREFIX, VIRTUAL_KEY_SLUG
from models_api.errors import InvalidRequest, unknown_provider_message
from models_api.outbound.egress import is_trusted_host
from models_api.providers import PROVIDERS, provider_names

MAX_HEADER_LENGTH = 8192
TRACE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
SAVED_CONFIG_ID = re.compile(r"^pc-[A-Za-z0-9_\-]+$")  # Portkey's saved-config ids
# Portkey SDK option headers -> Target.options keys (the SDK sends x-portkey-<kebab-name>).
OPTION_HEADERS = {
    "azure-resource-name": "azure_resource",
    "azure-api-version": "api_version",
    "azure-auth-mode": "azure_auth",
    "aws-region": "aws_region",
    "aws-access-key-id": "aws_access_key_id",
    "aws-session-token": "aws_session_token",
    "anthropic-version": "anthropic_version",
    "anthropic-beta": "anthropic_beta",
    "openai-organization": "openai_organization",
    "openai-project": "openai_project",
}
# Headers that carry a provider secret instead of Authorization.
CREDENTIAL_HEADERS = ("aws-secret-access-key", "azure-ad-token")
CONFIG_KEYS = {"provider", "virtual_key", "api_key", "custom_host"}
FLAGS = {"": False, "true": True, "false": False}


@dataclass(frozen=True)
class Route:
    """Where a request goes: a provider, a virtual key, or neither (control plane / catalog)."""

    provider: str = ""
    virtual_key: str = ""
    credential: str = ""
    gateway_key: str = ""
    custom_host: str = ""
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    trace_id: str = ""
    force_refresh: bool = False
    fetch_integrated_models: bool = False  # list a named provider from the catalog instead

    @property
    def names_provider(self) -> bool:
        return bool(self.provider or self.virtual_key)

    def __repr__(self):  # never show the credential
        return f"Route(provider={self.provider!r}, virtual_key={self.virtual_key!r})"


def valid_trace_id(value: str) -> bool:
    return bool(TRACE_ID.match(value))


@functools.cache
def _meta_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def _header(meta: Mapping[str, str], name: str) -> str:
    value = meta.get(_meta_name(name), "")
    if len(value) > MAX_HEADER_LENGTH:
        raise InvalidRequest(
            f"Header {name} is too long (over {MAX_HEADER_LENGTH} characters).", param=name
        )
    if value and not value.isprintable():
        raise InvalidRequest(f"Header {name} contains control characters.", param=name)
    return value.strip()


def _ascii(name: str, value: str) -> str:
    if not value.isascii():
        raise InvalidRequest(f"Header {name} must be ASCII.", param=name)
    return value


def _single(name: str, value: str) -> str:
    # A header sent twice reaches WSGI joined with ","; no provider or slug contains one.
    if "," in value:
        raise InvalidRequest(
            f"Header {name} holds several values ({value[:60]!r}); send it once, with one value.",
            param=name,
        )
    return value


def _config(meta: Mapping[str, str]) -> dict:
    raw = _header(meta, "x-portkey-config")
    if not raw:
        return {}
    if SAVED_CONFIG_ID.match(raw):
        raise InvalidRequest(
            "Header x-portkey-config names a saved config this gateway does not know; "
            "send the config as inline JSON instead.",
            param="x-portkey-config",
        )
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise InvalidRequest(
            "Header x-portkey-config is not valid JSON.", param="x-portkey-config"
        ) from None
    if not isinstance(config, dict):
        raise InvalidRequest(
            "Header x-portkey-config must be a JSON object.", param="x-portkey-config"
        )
    for key in CONFIG_KEYS & config.keys():
        if not isinstance(config[key], str):
            raise InvalidRequest(
                f"x-portkey-config field {key!r} must be a string.", param="x-portkey-config"
            )
    return config


def _one_value(meta: Mapping[str, str], header: str) -> str:
    """The header's value: one value, ASCII."""
    return _single(header, _ascii(header, _header(meta, header)))


def _pick(name: str, header_value: str, config_value: str) -> str:
    if header_value and config_value and header_value != config_value:
        raise InvalidRequest(
            f"Header x-portkey-{name} and x-portkey-config disagree on the {name}; send one.",
            param=f"x-portkey-{name}",
        )
    return header_value or config_value


def _provider_and_virtual_key(
    provider: str, virtual_key: str, *, provider_param: str, virtual_key_param: str
) -> tuple[str, str]:
    if provider.startswith("@"):
        slug = provider[1:]
        if virtual_key and virtual_key != slug:
            raise InvalidRequest(
                f"x-portkey-provider names virtual key @{slug} but x-portkey-virtual-key "
                f"names {virtual_key}; send one.",
                param=virtual_key_param,
            )
        provider, virtual_key, virtual_key_param = "", slug, provider_param
    if virtual_key and not VIRTUAL_KEY_SLUG.fullmatch(virtual_key):
        raise InvalidRequest(
            "Virtual key slugs contain only letters, digits, '-' and '_'.",
            param=virtual_key_param,
        )
    if provider and provider not in PROVIDERS:
        raise InvalidRequest(
            unknown_provider_message(provider, provider_names()),
            param=provider_param,
        )
    return provider, virtual_key


def trusted_base_url(value: str, *, param: str) -> str:
    """`value` as a base URL when its host is in GATEWAY_TRUSTED_CUSTOM_HOSTS, else 400.

    Matching is on the exact host (and port when the trusted entry has one), so other
    spellings of a trusted or internal address (decimal, hex, IPv6, 127.1) are refused.
    """
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise InvalidRequest(f"{param} is not a valid URL.", param=param) from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise InvalidRequest(
            f"{param} must be an http(s) URL with a host and no user info.", param=param
        )
    if not is_trusted_host(host, port):
        raise InvalidRequest(
            f"{param} host {host[:100]!r} is not trusted. An admin can allow it in "
            "GATEWAY_TRUSTED_CUSTOM_HOSTS.",
            param=param,
        )
    return value.rstrip("/")


def route_read(request) -> Route:
    """Every x-portkey-* header the models routes use, validated; raises InvalidRequest."""
    meta = request.META  # once: on a DRF request every attribute read is a proxied lookup
    config = _config(meta)
    provider_header = _one_value(meta, "x-portkey-provider")
    virtual_key_header = _one_value(meta, "x-portkey-virtual-key")
    provider, virtual_key = _provider_and_virtual_key(
        _pick("provider", provider_header, config.get("provider", "")),
        _pick("virtual-key", virtual_key_header, config.get("virtual_key", "")),
        # An error names where the value came from: the header, else the config.
        provider_param="x-portkey-provider" if provider_header else "x-portkey-config",
        virtual_key_param="x-portkey-virtual-key" if virtual_key_header else "x-portkey-config",
    )
    custom_host_header = _header(meta, "x-portkey-custom-host")
    custom_host = _pick("custom-host", custom_host_header, config.get("custom_host", ""))
    if custom_host and virtual_key:
        # A stored credential goes only to its own virtual key's base URL.
        raise InvalidRequest(
            f"A virtual key ({virtual_key}) and a custom host cannot be combined: a virtual key's "
            "credential is sent only to its own base URL. To call a custom host, send your own "
            "provider credential with x-portkey-provider instead of the virtual key.",
            param="x-portkey-custom-host" if custom_host_header else "x-portkey-config",
        )
    if custom_host:
        custom_host = trusted_base_url(custom_host, param="x-portkey-custom-host")

    trace_id = _header(meta, "x-portkey-trace-id")
    if trace_id and not valid_trace_id(trace_id):
        raise InvalidRequest(
            "Header x-portkey-trace-id must be 1-128 letters, digits or . _ : -",
            param="x-portkey-trace-id",
        )
    refresh = _header(meta, "x-portkey-cache-force-refresh").lower()
    if refresh not in ("", "true", "false"):
        raise InvalidRequest(
            "Header x-portkey-cache-force-refresh must be true or false.",
            param="x-portkey-cache-force-refresh",
        )

    options = {}
    for name, key in OPTION_HEADERS.items():
        value = _header(meta, f"x-portkey-{name}")
        if value:
            options[key] = _ascii(f"x-portkey-{name}", value)
    return Route(
        provider=provider,
        virtual_key=virtual_key,
        credential=_credential(request, meta, config),
        gateway_key=presented_gateway_key(request) or "",
        custom_host=custom_host,
        options=MappingProxyType(options),
        trace_id=trace_id,
        force_refresh=refresh == "true",
        fetch_integrated_models=_integrated(meta, config),
    )


def _credential(request, meta: Mapping[str, str], config: dict) -> str:
    """The caller's provider credential: config api_key, a provider-specific header, or Bearer."""
    for name in CREDENTIAL_HEADERS:
        value = _header(meta, f"x-portkey-{name}")
        if value:
            return _sendable(value, f"x-portkey-{name}")
    param = "x-portkey-config" if config.get("api_key") else "authorization"
    token = config.get("api_key") or bearer_token(request) or ""
    if token.startswith(KEY_PREFIX):  # a gateway key is never forwarded to a provider
        return ""
    return _sendable(token, param)


def _sendable(credential: str, param: str) -> str:
    # It goes out in a header: anything else would fail there (a 500) or smuggle bytes.
    if not (credential.isascii() and credential.isprintable()):
        raise InvalidRequest(
            f"The provider credential in {param} must be printable ASCII.", param=param
        )
    return credential


def _integrated(meta: Mapping[str, str], config: dict) -> bool:
    """x-portkey-fetch-integrated-models, or fetch_integrated_models in the config."""
    header = _header(meta, "x-portkey-fetch-integrated-models").lower()
    value = config.get("fetch_integrated_models", "")
    value = str(value).lower() if isinstance(value, bool | str) else None
    if header not in FLAGS or value not in FLAGS:
        raise InvalidRequest(
            "x-portkey-fetch-integrated-models (or fetch_integrated_models in the config) must "
            "be true or false.",
            param="x-portkey-fetch-integrated-models",
        )
    return FLAGS[header] or FLAGS[value]
