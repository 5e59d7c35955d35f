"""Admin forms: generated API keys, write-only provider credentials."""

from django import forms

from keys.models import ApiKey, VirtualKey


class ModelPatternsField(forms.CharField):
    """One shell-style model-id pattern per line, stored as a list of non-empty strings."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ApiKeyForm(forms.ModelForm):
    """Edits a key's name, state and scope; the secret itself is generated, never typed."""

    model_patterns = ModelPatternsField(
        required=False,
        help_text='One pattern per line (shell-style, e.g. "gpt-4o*"); empty: every model.',
    )

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "is_active",
            "expires_at",
            "all_virtual_keys",
            "virtual_keys",
            "model_patterns",
            "rate_limit_per_minute",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("all_virtual_keys") and cleaned.get("virtual_keys"):
            self.add_error(
                "virtual_keys",
                "Choose either all virtual keys or specific ones; clear this list or untick "
                '"all virtual keys".',
            )
        return cleaned


class VirtualKeyForm(forms.ModelForm):
    """The credential is write-only: never rendered back, and a blank entry keeps the stored one."""

    credential = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the stored credential.",
    )
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Overrides the provider's default base URL (http:// or https://).",
    )
    no_credential = forms.BooleanField(
        required=False,
        label="No credential",
        help_text="Store none (ollama, self-hosted OpenAI-compatible servers); "
        "on an existing key this removes the stored credential.",
    )

    class Meta:
        model = VirtualKey
        fields = [
            "name",
            "slug",
            "provider",
            "credential",
            "no_credential",
            "base_url",
            "options",
            "is_active",
            "notes",
        ]

    def clean_options(self):
        # An emptied JSON box arrives as None; the model stores "no settings" as {}.
        options = self.cleaned_data.get("options")
        return {} if options is None else options

    def clean(self):
        cleaned = super().clean()
        credential, no_credential = cleaned.get("credential"), cleaned.get("no_credential")
        if credential and no_credential:
            self.add_error("credential", 'Enter a credential or tick "No credential", not both.')
        elif self.instance._state.adding and not credential and not no_credential:
            self.add_error("credential", 'Enter the provider credential, or tick "No credential".')
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("credential"):
            self.instance.set_credential(self.cleaned_data["credential"])
        elif self.cleaned_data.get("no_credential"):
            self.instance.set_credential("")
        return super().save(commit=commit)
