from django.conf import settings


def test_settings_loaded():
    assert settings.GATEWAY_REQUIRE_API_KEY is True


def test_off_machine_connections_are_blocked():
    import socket

    import pytest

    from conftest import OffMachineConnection

    with pytest.raises(OffMachineConnection):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.com", 443)
