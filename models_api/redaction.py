"""Keeping secrets out of what people read: Django's error reports."""

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """Hides secrets in error pages and reports in every mode, DEBUG included.

    Django cleanses frame variables and POST data only when DEBUG is off; a developer's
    debug page would otherwise show a decrypted credential held in a local variable or
    posted in the virtual key form. Locals are cleansed by name, as settings are.
    """

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|CREDENTIAL|HTTP_COOKIE", flags=re.IGNORECASE
    )

    def is_active(self, request):
        return True

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleanse_setting(name, value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
