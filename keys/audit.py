"""Changes made by management commands, recorded in Django's admin log beside admin edits."""

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model

COMMAND_USER = "manage.py"  # an inactive user that cannot log in: the author of command changes


def _command_user_id() -> int:
    user, created = get_user_model().objects.get_or_create(
        username=COMMAND_USER, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user.pk


def command_record(objects, *, added: bool, message: str) -> None:
    """Record `objects` as added or changed by a command, visible in each object's history."""
    objects = list(objects)
    if objects:
        LogEntry.objects.log_actions(
            user_id=_command_user_id(),
            queryset=objects,
            action_flag=ADDITION if added else CHANGE,
            change_message=message,
        )
