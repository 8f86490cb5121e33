from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender: AppConfig, **kwargs: object) -> None:
    from annotations.services import ensure_role_groups

    ensure_role_groups()


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Fact-checking"

    def ready(self) -> None:
        # Permissions exist only after migrate, so the role groups are (re)built then.
        post_migrate.connect(_ensure_roles, sender=self)
