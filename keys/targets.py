"""Build a provider Target from a stored virtual key."""

from types import MappingProxyType

from keys import crypto
from keys.models import VirtualKey
from models_api.errors import BadGateway
from models_api.outbound import egress
from models_api.providers.base import Target

SECRET_OPTIONS = ("aws_session_token",)
# Options that decide where, or as whom, a credential is sent: the host (Azure resource, AWS
# region), how it is presented (Azure auth style) and the identity it signs for (AWS key id,
# session token). On a virtual key only the key's own values apply.
DESTINATION_OPTIONS = (
    "azure_resource",
    "aws_region",
    "azure_auth",
    "aws_access_key_id",
    "aws_session_token",
)


def target_for_virtual_key(virtual_key: VirtualKey) -> Target:
    """The stored credential (decrypted here, only when needed) and the key's settings.

    The credential goes only to the key's own base URL (or its provider's default): no
    caller setting can send it elsewhere. A base URL spelling a non-public address is
    refused here, naming the key; one whose name resolves to such an address is refused
    when the connection is made.
    """
    host = egress.untrusted_private_host(virtual_key.base_url)
    if host:
        raise BadGateway(
            f"Virtual key {virtual_key.slug!r} base URL resolves to a private address "
            f"({host[:100]}); an admin must add the host to GATEWAY_TRUSTED_CUSTOM_HOSTS.",
            code="private_address_refused",
        )
    options = {k: str(v) for k, v in (virtual_key.options or {}).items() if v not in (None, "")}
    return Target(
        provider=virtual_key.provider,
        credential=virtual_key.credential,
        base_url=virtual_key.base_url,
        options=MappingProxyType(options),
    )


def virtual_key_secrets(virtual_key: VirtualKey) -> list[str]:
    """What no message about this key may show: its credential and any secret option."""
    try:
        credential = virtual_key.credential
    except crypto.DecryptionError:
        credential = ""
    options = virtual_key.options or {}
    return [credential, *(str(options[name]) for name in SECRET_OPTIONS if options.get(name))]
