from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_roles(sender: AppConfig, **kwargs: object) -> None:
    from annotations.services import ensure_role_groups

    ensure_role_groups()


def _reinstall_record_triggers(sender: AppConfig, using: str, **kwargs: object) -> None:
    from annotations.exports import stored

    stored.after_migrate(connections[using])


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Fact-checking"

    def ready(self) -> None:
        # Permissions exist only after migrate, so the role groups are (re)built then.
        post_migrate.connect(_ensure_roles, sender=self)
        # SQLite drops a table's triggers when a migration rebuilds the table, and what a
        # migration wrote went unseen by the triggers: every migrate installs them again.
        post_migrate.connect(_reinstall_record_triggers, sender=self)
