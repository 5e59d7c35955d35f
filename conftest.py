"""Test-run guard: no test may open a connection outside 127.0.0.0/8 (or ::1)."""

import ipaddress
import os
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class OffMachineConnection(AssertionError):
    """A test tried to reach an address that is not loopback."""


def _check(address):
    if isinstance(address, (str, bytes)):  # unix socket
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        raise OffMachineConnection(f"connection to unresolved host {host!r} blocked") from None
    if not ip.is_loopback:
        raise OffMachineConnection(f"connection to {host} blocked: tests stay on loopback")


def _guarded_connect(self, address):
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    """Resolve only loopback names, so no DNS query leaves the machine either."""
    if host in (None, "localhost", b"localhost") or str(host).endswith(".localhost"):
        return _real_getaddrinfo("127.0.0.1" if host else host, *args, **kwargs)
    try:
        ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host)
    except ValueError:
        raise socket.gaierror(socket.EAI_NONAME, f"DNS blocked in tests: {host!r}") from None
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only():
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True, scope="session")
def _private_cache_folder(tmp_path_factory):
    """The default cache is a folder shared by every process on the machine; a test run (each
    xdist worker too) gets its own, so it never clears a running gateway's. CACHE_URL is kept."""
    from django.conf import settings
    from django.test.utils import override_settings

    from gateway_project.caches import MACHINE_CACHE, caches_setting

    if settings.CACHES["default"]["BACKEND"] != MACHINE_CACHE:
        # Redis: each xdist worker in a database of its own (CACHE_URL's, plus the worker's
        # number), so one worker's clear() never empties another's caches mid-test.
        number = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        if not number or "redis" not in settings.CACHES["default"]["BACKEND"].lower():
            yield
            return
        moved = {
            alias: {**config, "LOCATION": _next_database(config["LOCATION"], number)}
            for alias, config in settings.CACHES.items()
        }
        with override_settings(CACHES=moved):
            yield
        return
    private = caches_setting(
        url="",
        directory=tmp_path_factory.mktemp("cache"),
        max_bytes=settings.GATEWAY_CACHE_MAX_MB * 1024 * 1024,
    )
    with override_settings(CACHES=private):
        yield


def _next_database(location: str, number: int) -> str:
    """redis://host:port/N -> redis://host:port/N+number (database 0 when none is named)."""
    base, _, index = location.rpartition("/")
    if not index.isdigit() or base.endswith("/"):
        return f"{location.rstrip('/')}/{number}"
    return f"{base}/{int(index) + number}"


@pytest.fixture(autouse=True)
def _fresh_cache(_private_cache_folder):
    """Each test starts with empty caches (the suite also runs against a shared Redis)."""
    from django.conf import settings
    from django.core.cache import caches

    from models_api.cache import recent

    for alias in settings.CACHES:
        caches[alias].clear()
    recent.clear()  # this process's copies of cached pages
    yield
