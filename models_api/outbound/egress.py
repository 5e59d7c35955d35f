"""The egress policy: which addresses outbound calls may reach, judged on resolved addresses."""

import ipaddress
import logging
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from urllib3.util.connection import allowed_gai_family

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Ranges Python's is_global still counts as global (3.11) but that reach no public service:
# IETF assignments (192.0.0.192 is a cloud metadata address), IPv6 site-local and the IPv6
# documentation prefix of RFC 9637.
NOT_PUBLIC = tuple(ipaddress.ip_network(net) for net in ("192.0.0.0/24", "fec0::/10", "3fff::/20"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv6 forms that spell an IPv4 address but are never routed to it: IPv4-compatible
# (deprecated, RFC 4291), IPv4-translated (SIIT, RFC 2765) and NAT64's local-use prefix
# (RFC 8215), whose translator is the operator's and whose IPv4 position depends on it.
UNROUTED_IPV4_FORMS = tuple(
    ipaddress.ip_network(net) for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48")
)
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(Exception):
    """The policy refused every connection to `host`; raised before any packet is sent."""

    def __init__(self, host: str):
        super().__init__(f"{host} resolves to an address that is not public")
        self.host = host


@dataclass(frozen=True)
class Policy:
    """Which peers a call may reach: public addresses, hosts the admin trusts, or anything.

    `trust_all` is for URLs the operator configured in settings (the control plane);
    everything else may reach a non-public address only through a host listed in
    GATEWAY_TRUSTED_CUSTOM_HOSTS, the same list that admits x-portkey-custom-host.
    """

    name: str
    trust_all: bool = False

    def allows(self, host: str, port: int, address: IPAddress) -> bool:
        return self.trust_all or is_public(address) or is_trusted_host(host, port)


PUBLIC = Policy("public")
OPERATOR = Policy("operator", trust_all=True)


def is_trusted_host(host: str, port: int | None = None) -> bool:
    """`host` (or `host:port`) is in GATEWAY_TRUSTED_CUSTOM_HOSTS, compared exactly.

    IPv6 hosts compare in brackets ("[::1]:8080"), so a port never reads as part of an address.
    """
    host = _bracketed(host.lower().strip("[]"))
    trusted = {_bracketed(entry) for entry in settings.GATEWAY_TRUSTED_CUSTOM_HOSTS}
    return host in trusted or (port is not None and f"{host}:{port}" in trusted)


def _bracketed(host: str) -> str:
    try:
        return f"[{ipaddress.IPv6Address(host)}]"
    except ValueError:
        return host


def literal_ip(host: str) -> IPAddress | None:
    """The address `host` spells, in any form the system resolver accepts (2130706433, 127.1)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton takes the decimal, hex, octal and short forms getaddrinfo also takes
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address; an IPv6 form carrying IPv4 is judged by what it reaches.

    IPv4-mapped, NAT64 (64:ff9b::/96), 6to4 and Teredo traffic reaches the IPv4 address it
    carries (both of Teredo's: its relay and its client), so each must be public; forms
    that are never routed to their IPv4 address are refused outright.
    """
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried_ipv4(address)
        if carried is not None:
            return all(is_public(v4) for v4 in carried)
        if any(address in net for net in UNROUTED_IPV4_FORMS):
            return False
        if address.is_reserved:  # ::/8 and the other unassigned IETF blocks
            return False
    return (
        address.is_global
        and not address.is_multicast
        and not any(address in net for net in NOT_PUBLIC)
    )


def _carried_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...] | None:
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in NAT64:
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo  # (server, client)
    return None


def is_private_literal(host: str) -> bool:
    """True when `host` is refused without any DNS lookup: a non-public IP or a localhost name."""
    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return True
    address = literal_ip(host)
    return address is not None and not is_public(address)


def untrusted_private_host(url: str) -> str | None:
    """The host of `url` when it spells a non-public address that is not trusted, else None.

    Needs no DNS, so admin forms can use it; names that resolve to such addresses are
    refused when the connection is made.
    """
    return _untrusted_private_host(url, tuple(settings.GATEWAY_TRUSTED_CUSTOM_HOSTS))


@lru_cache(maxsize=1024)
def _untrusted_private_host(url: str, trusted: tuple[str, ...]) -> str | None:
    # Asked on every call with a key's base URL (benchmarks/README.md); `trusted` is the
    # setting, so a changed list is never answered from the cache.
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None  # not a URL; whoever parses it reports that
    host = parts.hostname or ""
    if host and is_private_literal(host) and not is_trusted_host(host, port):
        return host
    return None


def resolve(host: str, port: int, policy: Policy) -> list[tuple]:
    """getaddrinfo results for `host`, or Refused when the policy rejects any of them.

    One disallowed address refuses the whole name: a rebinding name can mix public and
    private answers. The caller connects to these results, so nothing resolves twice.
    """
    address = literal_ip(host)
    lookup = str(address) if address is not None else host
    infos = socket.getaddrinfo(lookup, port, allowed_gai_family(), socket.SOCK_STREAM)
    for info in infos:
        peer = ipaddress.ip_address(info[4][0].split("%")[0])
        if not policy.allows(host, port, peer):
            log.warning(
                "refused connection to %s (%s) under the %s policy", host, peer, policy.name
            )
            raise Refused(host)
    return infos
