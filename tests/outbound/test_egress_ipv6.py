"""IPv6 addresses that carry an IPv4 address are judged by the IPv4 address they reach."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from keys.models import VirtualKey
from models_api.outbound import egress

V4, V6 = ipaddress.IPv4Address, ipaddress.IPv6Address
REFUSED_V4 = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # this network
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF assignments (192.0.0.192: metadata on some clouds)
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved
        "255.255.255.255/32",  # broadcast
    )
]


def _in(net):
    return st.integers(int(net.network_address), int(net.broadcast_address)).map(V4)


refused_v4 = st.sampled_from(REFUSED_V4).flatmap(_in)
public_v4 = (
    st.integers(0, 2**32 - 1)
    .map(V4)
    .filter(lambda a: not any(a in net for net in REFUSED_V4) and a.is_global)
)
bits = st.integers


def mapped(v4, _):
    return V6(0xFFFF << 32 | int(v4))


def compatible(v4, _):
    return V6(int(v4))


def translated(v4, _):
    return V6(0xFFFF << 48 | int(v4))


def nat64(v4, _):
    return V6(0x0064FF9B << 96 | int(v4))


def sixtofour(v4, low):
    return V6(0x2002 << 112 | int(v4) << 80 | low % 2**80)


def teredo_server(v4, low):
    client = int(V4("198.41.0.4")) ^ 0xFFFFFFFF  # a public client, obfuscated as RFC 4380 says
    return V6(0x20010000 << 96 | int(v4) << 64 | (low % 2**32) << 32 | client)


def teredo_client(v4, low):
    return V6(
        0x20010000 << 96
        | int(V4("198.41.0.4")) << 64
        | (low % 2**32) << 32
        | (int(v4) ^ 0xFFFFFFFF)
    )


def nat64_local(v4, low):
    # RFC 6052 puts the IPv4 address at a place that depends on the prefix length the
    # operator chose; the local-use prefix is refused whatever it carries.
    return V6(0x0064FF9B0001 << 80 | (low % 2**16) << 64 | int(v4) << 16)


EMBEDDINGS = [mapped, compatible, translated, nat64, sixtofour, teredo_server, teredo_client]
# Forms that reach the embedded IPv4 address; the others route nowhere useful (deprecated or
# never routed on the internet) or somewhere the address alone cannot tell.
ROUTED = [mapped, nat64, sixtofour, teredo_server, teredo_client]
NOT_ROUTED = [compatible, translated, nat64_local]


@given(st.sampled_from([*EMBEDDINGS, nat64_local]), refused_v4, bits(0, 2**80))
def test_every_embedding_of_a_refused_ipv4_address_is_refused(form, v4, low):
    address = form(v4, low)
    assert not egress.is_public(address), f"{form.__name__}: {address} carries {v4}"
    assert egress.is_private_literal(f"[{address}]")


@given(st.sampled_from(ROUTED), public_v4, bits(0, 2**80))
def test_routed_embeddings_of_a_public_ipv4_address_are_public(form, v4, low):
    assert egress.is_public(form(v4, low))


@given(st.sampled_from(NOT_ROUTED), public_v4, bits(0, 2**80))
def test_embeddings_that_do_not_route_to_the_ipv4_address_are_refused(form, v4, low):
    assert not egress.is_public(form(v4, low))


@pytest.mark.parametrize(
    "host",
    [
        "::7f00:1",
        "::127.0.0.1",
        "::ffff:0:7f00:1",
        "::ffff:0:127.0.0.1",
        "::a9fe:a9fe",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo client 127.0.0.1
        "2001:0:a00:1:8000:63bf:3fff:fdd2",  # Teredo server 10.0.0.1
        "::",
        "100::1",  # discard-only
        "3fff::1",  # documentation (RFC 9637)
        "5f00::1",  # SRv6 segment identifiers, never a host
        "fec0::1",
    ],
)
def test_known_spellings_are_refused(host):
    assert egress.is_private_literal(host)
    assert egress.untrusted_private_host(f"http://[{host}]:8080/v1") == host


@pytest.mark.parametrize(
    "host", ["2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_public_addresses_pass(host):
    assert not egress.is_private_literal(host)


@pytest.mark.django_db
def test_a_virtual_key_base_url_spelling_loopback_in_ipv6_is_refused():
    virtual_key = VirtualKey(name="x", slug="x", provider="openai")
    virtual_key.base_url = "http://[::127.0.0.1]:8080/v1"
    with pytest.raises(ValidationError) as raised:
        virtual_key.clean()
    assert "loopback, private or link-local" in str(raised.value)


def test_a_connection_to_an_embedded_loopback_address_is_refused_before_any_packet():
    with pytest.raises(egress.Refused):
        egress.resolve("::7f00:1", 80, egress.PUBLIC)
    with pytest.raises(egress.Refused):
        egress.resolve("[::ffff:0:7f00:1]", 80, egress.PUBLIC)


def test_a_change_of_trusted_hosts_is_seen_at_once(settings):
    """The answer is memoised per URL, but never across a change of the setting."""
    url = "http://10.0.0.5:8000/v1"
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = []
    assert egress.untrusted_private_host(url) == "10.0.0.5"
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["10.0.0.5:8000"]
    assert egress.untrusted_private_host(url) is None
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["10.0.0.5:9000"]
    assert egress.untrusted_private_host(url) == "10.0.0.5"
