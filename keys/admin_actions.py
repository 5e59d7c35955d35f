"""Virtual key admin actions and change-page buttons: test the connection live, sync now."""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from keys.models import VirtualKey
from keys.targets import target_for_virtual_key, virtual_key_secrets
from models_api.catalog.sync import virtual_keys_sync_now
from models_api.errors import GatewayError
from models_api.models import SyncRun
from models_api.providers import get_client
from models_api.redaction import exception_text, scrub

log = logging.getLogger(__name__)

TEST_WORKERS = 8  # providers called at once by the bulk action
SAMPLE_SIZE = 5  # model ids quoted in the message


@dataclass(frozen=True)
class ConnectionTest:
    """A live listing's outcome: the model count, or the provider's (credential-free) error."""

    virtual_key: VirtualKey
    count: int = 0
    sample: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def virtual_key_connection_test(*, virtual_key: VirtualKey) -> ConnectionTest:
    """List the provider's models now, bypassing the gateway's cache."""
    try:
        target = target_for_virtual_key(virtual_key)
        models = get_client(virtual_key.provider).list_models(target).models
    except GatewayError as exc:
        return ConnectionTest(
            virtual_key, error=scrub(exc.message, virtual_key_secrets(virtual_key))
        )
    except Exception as exc:  # a client bug must not show a traceback that may hold the target
        log.error(
            "connection test of virtual key %s failed\n%s",
            virtual_key.slug,
            exception_text(exc, virtual_key_secrets(virtual_key)),
        )
        return ConnectionTest(virtual_key, error=f"Internal error ({type(exc).__name__}); see log.")
    ids = tuple(model.id for model in models)
    return ConnectionTest(virtual_key, count=len(ids), sample=ids[:SAMPLE_SIZE])


def connection_message(result: ConnectionTest) -> tuple[int, str]:
    """(message level, text) for one test."""
    name = f"{result.virtual_key.slug} ({result.virtual_key.provider})"
    if not result.ok:
        return messages.ERROR, format_html("Connection test of {} failed: {}", name, result.error)
    more = ", …" if result.count > len(result.sample) else ""
    return messages.SUCCESS, format_html(
        "Connection test of {} succeeded: {} model{} listed ({}{}).",
        name,
        result.count,
        "" if result.count == 1 else "s",
        ", ".join(result.sample) or "none",
        more,
    )


def sync_message(run: SyncRun) -> tuple[int, str]:
    """(message level, text) summarising a sync run, with a link to its record."""
    if run.keys_total == 0:
        return messages.WARNING, "No active virtual key was selected: nothing was synced."
    url = reverse("admin:models_api_syncrun_change", args=[run.pk])
    failures = format_html_join(
        "", " {}: {}.", ((r["slug"], r["error"]) for r in run.results if r.get("error"))
    )
    level = messages.WARNING  # partly failed
    if run.status == SyncRun.Status.SUCCEEDED:
        level = messages.SUCCESS
    elif run.status == SyncRun.Status.FAILED:
        level = messages.ERROR
    return level, format_html(
        "Synced {} virtual key{}: {} added, {} updated, {} removed, {} unchanged; {} failed.{} "
        '<a href="{}">See the sync run</a>.',
        run.keys_total,
        "" if run.keys_total == 1 else "s",
        run.added,
        run.updated,
        run.removed,
        run.unchanged,
        run.keys_failed,
        failures,
        url,
    )


class VirtualKeyActionsMixin:
    """Adds "test connection" and "sync now", as list actions and as change-page buttons."""

    change_form_template = "admin/keys/virtualkey/change_form.html"
    actions = ["test_connection", "sync_now"]

    @admin.action(
        description="Test connection (list the provider's models now)", permissions=["change"]
    )
    def test_connection(self, request, queryset):
        keys = list(queryset)
        with ThreadPoolExecutor(max_workers=max(1, min(TEST_WORKERS, len(keys)))) as pool:
            results = list(pool.map(lambda vk: virtual_key_connection_test(virtual_key=vk), keys))
        for result in results:
            level, text = connection_message(result)
            self.message_user(request, text, level)

    @admin.action(description="Sync now (pull the models into the catalog)", permissions=["change"])
    def sync_now(self, request, queryset):
        level, text = sync_message(virtual_keys_sync_now(queryset))
        self.message_user(request, text, level)

    def get_urls(self):
        def button(suffix, view):
            name = f"keys_virtualkey_{suffix.replace('-', '_')}"
            wrapped = self.admin_site.admin_view(require_POST(view))
            return path(f"<path:object_id>/{suffix}/", wrapped, name=name)

        buttons = [
            button("test-connection", self.test_connection_view),
            button("sync", self.sync_view),
        ]
        return [*buttons, *super().get_urls()]

    def test_connection_view(self, request, object_id):
        virtual_key = self._changeable(request, object_id)
        self.test_connection(request, VirtualKey.objects.filter(pk=virtual_key.pk))
        return self._back_to_change_page(virtual_key)

    def sync_view(self, request, object_id):
        virtual_key = self._changeable(request, object_id)
        self.sync_now(request, VirtualKey.objects.filter(pk=virtual_key.pk))
        return self._back_to_change_page(virtual_key)

    def _changeable(self, request, object_id) -> VirtualKey:
        virtual_key = self.get_object(request, unquote(object_id))
        if virtual_key is None or not self.has_change_permission(request, virtual_key):
            raise Http404("No such virtual key.")
        return virtual_key

    def _back_to_change_page(self, virtual_key):
        url = reverse("admin:keys_virtualkey_change", args=[virtual_key.pk])
        return HttpResponseRedirect(url)
