"""Admin console for API keys (generated, shown once) and virtual keys (write-only secrets)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from keys import crypto
from keys.admin_actions import VirtualKeyActionsMixin
from keys.console import KEY_PLACEHOLDER, api_key_visibility, call_snippets, gateway_url
from keys.forms import ApiKeyForm, VirtualKeyForm
from keys.models import ApiKey, VirtualKey
from keys.services import api_key_revoke

WRITE_ONLY_FIELDS = ("credential", "no_credential")


def _session_slot(pk) -> str:
    return f"keys.new_api_key.{pk}"


class ExpiryFilter(admin.SimpleListFilter):
    """Keys by expiry: never, expired, within a week, or later."""

    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [
            ("never", "Never expires"),
            ("expired", "Expired"),
            ("week", "Expires within 7 days"),
            ("later", "Expires later"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        filters = {
            "never": {"expires_at__isnull": True},
            "expired": {"expires_at__lte": now},
            "week": {"expires_at__gt": now, "expires_at__lte": now + timedelta(days=7)},
            "later": {"expires_at__gt": now + timedelta(days=7)},
        }
        return queryset.filter(**filters[self.value()]) if self.value() in filters else queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are generated on save and shown once; the digest is never displayed."""

    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "status_label",
        "expires_at",
        "last_used_at",
        "scope",
        "rate_limit_per_minute",
    ]
    list_filter = ["is_active", ExpiryFilter, "all_virtual_keys"]
    search_fields = ["name", "prefix"]
    filter_horizontal = ["virtual_keys"]
    actions = ["revoke_selected"]
    created_template = "admin/keys/apikey/created.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(virtual_key_count=Count("virtual_keys"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["prefix", "status_label", "created_at", "last_used_at", "revoked_at"]

    def get_fieldsets(self, request, obj=None):
        state = ["name", "is_active", "expires_at"]
        if obj is not None:
            state = ["name", "prefix", "status_label", "is_active", "expires_at"]
        fieldsets = [
            (None, {"fields": state}),
            ("Scope", {"fields": ["all_virtual_keys", "virtual_keys", "model_patterns"]}),
            ("Limits", {"fields": ["rate_limit_per_minute"]}),
        ]
        if obj is not None:
            fieldsets.append(("History", {"fields": ["created_at", "last_used_at", "revoked_at"]}))
        return fieldsets

    @admin.display(description="status")
    def status_label(self, obj):
        return obj.status

    @admin.display(description="scope")
    def scope(self, obj):
        if obj.all_virtual_keys:
            summary = "all virtual keys"
        else:
            count = getattr(obj, "virtual_key_count", None)
            count = obj.virtual_keys.count() if count is None else count
            summary = f"{count} virtual key{'s' if count != 1 else ''}" if count else "none"
        if obj.model_patterns:
            summary += f"; models {', '.join(obj.model_patterns)}"
        return summary

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(is_active=True):
            api_key_revoke(api_key=api_key)
            self.log_change(request, api_key, "Revoked.")
            revoked += 1
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            obj.revoked_at = None if obj.is_active else timezone.now()
        raw = None if change else obj.assign_new_key()
        super().save_model(request, obj, form, change)
        if raw:
            # Held in the session, encrypted, only until the one page that shows it is opened.
            request.session[_session_slot(obj.pk)] = crypto.encrypt(raw)

    def response_add(self, request, obj, post_url_continue=None):
        url = reverse("admin:keys_apikey_created", args=[obj.pk], current_app=self.admin_site.name)
        return HttpResponseRedirect(url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            extra_context = {
                **(extra_context or {}),
                "key_visibility": api_key_visibility(api_key=obj),
                "snippets": call_snippets(base_url=gateway_url(request)),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        created = path(
            "<path:object_id>/created/",
            self.admin_site.admin_view(self.created_view),
            name="keys_apikey_created",
        )
        return [created, *super().get_urls()]

    def created_view(self, request, object_id):
        """Shows a new key's raw value once: the session slot is emptied as it is read."""
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404("No such API key.")
        token = request.session.pop(_session_slot(obj.pk), None)
        raw = crypto.decrypt(token) if token else None
        snippets = call_snippets(base_url=gateway_url(request), key=raw or KEY_PLACEHOLDER)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": "API key created" if token else "API key",
            "raw_key": raw,
            "snippets": snippets,
        }
        return TemplateResponse(request, self.created_template, context)


@admin.register(VirtualKey)
class VirtualKeyAdmin(VirtualKeyActionsMixin, admin.ModelAdmin):
    """Credentials are write-only: shown masked (last 4 characters), never rendered back."""

    form = VirtualKeyForm
    list_display = [
        "name",
        "slug",
        "provider",
        "masked_credential",
        "base_url",
        "is_active",
        "updated_at",
    ]
    list_filter = ["provider", "is_active"]
    search_fields = ["name", "slug", "base_url", "notes"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        return ["masked_credential", "created_at", "updated_at"] if obj else []

    def get_fields(self, request, obj=None):
        fields = list(VirtualKeyForm.Meta.fields)
        if obj:  # the stored credential, masked, beside the write-only input; then the history
            fields.insert(fields.index("credential"), "masked_credential")
            fields += ["created_at", "updated_at"]
            if not self.has_change_permission(request, obj):
                # A read-only form renders each field's value, and there is none to write.
                fields = [f for f in fields if f not in WRITE_ONLY_FIELDS]
        return fields

    @method_decorator(sensitive_post_parameters(*WRITE_ONLY_FIELDS))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description="credential")
    def masked_credential(self, obj):
        return obj.masked_credential or "none"

    # Django renders a read-only field by looking its name up on the admin before the model,
    # whose `credential` property decrypts: whatever lists this name gets the mask.
    credential = masked_credential
