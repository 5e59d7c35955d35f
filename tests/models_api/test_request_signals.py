"""The request signals send to cached receivers: no lock per request, changes still seen."""

import threading

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started

# A send runs Django's own receivers too, close_old_connections among them.
pytestmark = pytest.mark.django_db


class CountingLock:
    def __init__(self):
        self.lock, self.taken = threading.Lock(), 0

    def __enter__(self):
        self.taken += 1
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def test_a_send_takes_no_lock_once_its_receivers_are_known(monkeypatch):
    for signal in (request_started, request_finished):
        assert signal.use_caching is True
        signal.send(sender=WSGIHandler)  # the first send of a sender fills the cache
        lock = CountingLock()
        monkeypatch.setattr(signal, "lock", lock)
        threads = [
            threading.Thread(
                target=lambda s=signal: [s.send(sender=WSGIHandler) for _ in range(50)]
            )
            for _ in range(16)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert lock.taken == 0


def test_a_receiver_connected_later_is_called_and_one_disconnected_is_not():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(sender)

    request_finished.send(sender=WSGIHandler)
    request_finished.connect(receiver, dispatch_uid="test-late-receiver")
    try:
        request_finished.send(sender=WSGIHandler)
    finally:
        request_finished.disconnect(dispatch_uid="test-late-receiver")
    request_finished.send(sender=WSGIHandler)
    assert calls == [WSGIHandler]
