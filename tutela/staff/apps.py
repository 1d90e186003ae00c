from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    """Staff sign-in, roles (Django groups with declared permissions) and the staff console."""

    name = "tutela.staff"
    label = "staff"

    def ready(self) -> None:
        from tutela.staff.roles import roles_sync_after_migrate

        # Why post_migrate and not a data migration: the role groups must hold exactly the
        # permissions declared in roles.py after *every* migrate, including when a later issue
        # changes the declaration, and after `flush` (which tests and `TransactionTestCase` run
        # and which re-emits post_migrate). A data migration runs once, before Django has even
        # created the permissions of new models, and is wiped by `flush`.
        post_migrate.connect(
            roles_sync_after_migrate, sender=self, dispatch_uid="tutela.staff.roles_sync"
        )
