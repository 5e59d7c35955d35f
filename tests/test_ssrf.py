"""SSRF: custom hosts and virtual-key base URLs reach no internal address unless trusted.

No test here may send a packet off this machine even if the code under test is wrong: the
conftest guard fails any connect outside 127.0.0.0/8, names resolve only through the fake
resolver below, and refusals are proved on loopback (the fault server sees no request).
"""

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from keys.models import VirtualKey
from models_api.errors import BadGateway
from models_api.outbound import egress, http
from tests import fault_server as fs
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db
PUBLIC = "93.184.216.34"


@pytest.fixture(autouse=True)
def short_budget(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 1.0
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = []


@pytest.fixture
def server():
    with fs.serve() as running:
        yield running


@pytest.fixture
def names(monkeypatch):
    """A fake resolver: fill the dict with name -> [addresses]; other lookups pass through."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo  # the conftest guard, which resolves only loopback names

    def fake(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)
        infos = []
        for address in table[host]:
            if ipaddress.ip_address(address).version == 6:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return infos

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


@pytest.fixture
def connects(monkeypatch):
    """Every address the gateway connects to; off-machine ones are refused, never sent."""
    attempts: list[str] = []
    guarded = socket.socket.connect

    def spy(sock, address):
        attempts.append(address[0])
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError("test: off-machine connect refused before sending")
        return guarded(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return attempts


@pytest.fixture
def get(client):
    key = make_api_key()[1]

    def get(**headers):
        return client.get("/v1/models", headers={"x-portkey-api-key": key, **headers})

    return get


def virtual_key(base_url: str) -> str:
    vk = VirtualKey(name="ssrf", slug="ssrf", provider="openai", base_url=base_url)
    vk.set_credential("sk-ssrf-test-credential")
    vk.save()
    return vk.slug


def assert_refused(response, status=502, code="private_address_refused"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert "sk-ssrf-test-credential" not in response.content.decode()
    return error["message"]


def off_machine(connects: list[str]) -> list[str]:
    return [address for address in connects if not ipaddress.ip_address(address).is_loopback]


def spellings(port: int) -> list[str]:
    """Other spellings of the fault server's 127.0.0.1:port, and internal addresses."""
    return [
        f"http://127.0.0.2:{port}",
        f"http://127.1:{port}",
        f"http://2130706433:{port}",
        f"http://0x7f000001:{port}",
        f"http://0177.0.0.1:{port}",
        f"http://[::ffff:127.0.0.1]:{port}",
        f"http://[::1]:{port}",
        f"http://localhost:{port}",
        f"http://localhost.:{port}",
        f"http://LOCALHOST:{port}",
        "http://169.254.169.254",
        "http://[fd00::1]",
        "http://metadata.google.internal",
        f"http://127.0.0.1.nip.io:{port}",
        f"http://user@127.0.0.1:{port}",
        "http://127.0.0.1",  # trusted host, other port
    ]


def test_custom_host_only_the_exact_trusted_spelling_passes(get, server, settings):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [server.host]
    for url in spellings(server.port):
        response = get(x_portkey_provider="openai", x_portkey_custom_host=url + "/v1")
        assert_refused(response, 400, "invalid_request")
    assert server.requests == []
    trusted = get(x_portkey_provider="openai", x_portkey_custom_host=server.url + "/v1")
    assert trusted.status_code == 200, trusted.content


@pytest.mark.parametrize("index", range(len(spellings(0))))
def test_virtual_key_base_url_spellings_are_refused_before_connecting(
    get, server, names, connects, index
):
    names["metadata.google.internal"] = ["169.254.169.254"]  # as on a cloud VM
    names["127.0.0.1.nip.io"] = ["127.0.0.1"]  # as public wildcard DNS answers
    url = spellings(server.port)[index]
    message = assert_refused(get(x_portkey_virtual_key=virtual_key(url + "/v1")))
    assert "GATEWAY_TRUSTED_CUSTOM_HOSTS" in message
    assert server.requests == []
    assert off_machine(connects) == []


def test_untrusted_loopback_base_url_is_refused_and_trusting_it_works(get, server, settings):
    slug = virtual_key(server.url + "/v1")
    assert_refused(get(x_portkey_virtual_key=slug))
    assert server.requests == []
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [server.host]
    assert get(x_portkey_virtual_key=slug).status_code == 200
    assert len(server.requests) == 1


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(get, server, names, settings):
    names["models.attacker.example"] = ["127.0.0.1"]
    slug = virtual_key(f"http://models.attacker.example:{server.port}/v1")
    message = assert_refused(get(x_portkey_virtual_key=slug))
    assert "'models.attacker.example'" in message
    assert server.requests == []  # the connect-time check, not an earlier one, stopped it
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [f"models.attacker.example:{server.port}"]
    assert get(x_portkey_virtual_key=slug).status_code == 200


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["100.100.100.200"],
        ["192.0.0.192"],
        ["fd00::1"],
        ["fe80::1"],
        ["::ffff:10.0.0.5"],
        ["224.0.0.1"],
        [PUBLIC, "10.0.0.5"],  # a rebinding name mixing answers
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused(get, names, connects, addresses):
    names["internal.attacker.example"] = addresses
    slug = virtual_key("https://internal.attacker.example/v1")
    assert_refused(get(x_portkey_virtual_key=slug))
    assert off_machine(connects) == []  # refused before any connect; the guard never saw one


def test_a_public_address_is_allowed(get, names, connects):
    names["api.public.example"] = [PUBLIC]
    response = get(x_portkey_virtual_key=virtual_key("https://api.public.example/v1"))
    assert_refused(response, 502, "bad_gateway")  # the spy refused the connect, not the policy
    assert set(off_machine(connects)) == {PUBLIC}


def test_dns_rebinding_between_connections_is_caught(get, server, names, monkeypatch, connects):
    """Each connection resolves once and connects to exactly what it checked."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "rebind.attacker.example":
            names[host] = next(answers)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    slug = virtual_key(f"http://rebind.attacker.example:{server.port}/v1")
    assert_refused(get(x_portkey_virtual_key=slug))  # first try reached the public address
    assert off_machine(connects) == [PUBLIC]
    assert server.requests == []


def test_redirect_to_an_internal_host_is_not_followed(get, server, settings):
    with fs.serve() as internal:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [server.host]
        server.always(fs.redirect(internal.url + "/v1/models"))
        response = get(x_portkey_provider="openai", x_portkey_custom_host=server.url + "/v1")
        assert_refused(response, 502, "bad_gateway")
        assert internal.requests == []


def test_control_plane_is_trusted_by_the_operator(get, server, settings):
    settings.GATEWAY_CONTROL_PLANE_URL = server.url
    assert get().status_code == 200
    assert_refused(get(x_portkey_virtual_key=virtual_key(server.url)))
    assert len(server.requests) == 1


def test_http_module_refuses_untrusted_loopback_without_connecting(server):
    with pytest.raises(BadGateway) as caught:
        http.get_json(server.url + "/v1/models", provider="example")
    assert caught.value.code == "private_address_refused"
    assert server.requests == []
    assert http.get_json(server.url + "/v1/models", provider="x", policy=egress.OPERATOR)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("192.0.0.192", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:a00:5::", False),  # 6to4 wrapping 10.0.0.5
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 wrapping 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_is_public(address, public):
    assert egress.is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "localhost", "LOCALHOST."]
)
def test_private_literals_need_no_dns(host):
    assert egress.is_private_literal(host)


def test_trusted_hosts_compare_exactly(settings):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["llm.internal", "127.0.0.1:9000", "[::1]:9000"]
    assert egress.is_trusted_host("LLM.internal", 443)
    assert egress.is_trusted_host("127.0.0.1", 9000)
    assert egress.is_trusted_host("::1", 9000)
    assert not egress.is_trusted_host("127.0.0.1", 9001)
    assert not egress.is_trusted_host("127.1", 9000)
    assert not egress.is_trusted_host("::1:9000")  # an address, not [::1] on port 9000


@pytest.mark.parametrize(
    "base_url",
    ["http://10.0.0.5/v1", "http://169.254.169.254", "http://[fd00::1]:8000", "http://127.1:8000"],
)
def test_admin_form_refuses_a_private_ip_base_url(base_url):
    with pytest.raises(ValidationError) as caught:
        VirtualKey(name="v", slug="v", provider="openai", base_url=base_url).clean()
    assert "GATEWAY_TRUSTED_CUSTOM_HOSTS" in caught.value.message_dict["base_url"][0]


@pytest.mark.parametrize(
    "base_url", ["https://8.8.8.8/v1", "https://llm.example.com/v1", "http://10.0.0.5:8000/v1"]
)
def test_admin_form_accepts_public_named_or_trusted_base_urls(base_url, settings):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["10.0.0.5:8000"]
    VirtualKey(name="v", slug="v", provider="openai", base_url=base_url).clean()
