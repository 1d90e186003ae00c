"""The access log (append-only, hash-chained) and its signed checkpoints (R7)."""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from tutela.audit.actor import ActorKind


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an access-log row through the ORM."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """A queryset that reads but refuses every write: rows are added only by the services."""

    def _refuse(self, what: str) -> NoReturn:
        raise AppendOnlyError(
            f"{self.model._meta.label} is append-only: {what} refused "
            "(events are added by tutela.audit.api.access_record/access_record_many only)"
        )

    def update(self, **kwargs: Any) -> NoReturn:
        """Refused: the log is append-only."""
        self._refuse("update()")

    def delete(self) -> NoReturn:
        """Refused: the log is append-only."""
        self._refuse("delete()")

    def _raw_delete(self, using: Any) -> NoReturn:  # the collector's fast path for cascades
        """Refused: the log is append-only."""
        self._refuse("delete()")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: an ORM insert would not be chained."""
        self._refuse("bulk_create()")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: the log is append-only."""
        self._refuse("bulk_update()")


class AppendOnlyModel(models.Model):
    """Refuses save() and delete(): rows are written once, by the services, in SQL."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: a row saved through the ORM would be unchained or an edit."""
        what = "save() of a new row" if self._state.adding else "save() of an existing row"
        AppendOnlyQuerySet(self.__class__)._refuse(what)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: the log is append-only."""
        AppendOnlyQuerySet(self.__class__)._refuse("delete()")


class SequenceField(models.BigIntegerField):
    """A 64-bit primary key that SQLite keeps as the table's rowid.

    SQLite makes only a column declared exactly "integer primary key" the rowid: rows are then
    stored in sequence order (verification scans them without an index) and an insert writes
    one B-tree fewer, without AUTOINCREMENT's bookkeeping table. Elsewhere a plain bigint.
    """

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        """'integer' on SQLite, bigint elsewhere."""
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AccessEvent(AppendOnlyModel):
    """One access to a data subject's personal data: who, whose, what, why, when, from where."""

    class Action(models.TextChoices):
        READ = "read", "Viewed"
        EXPORT = "export", "Exported"
        CREATE = "create", "Created"
        CHANGE = "change", "Changed"
        DELETE = "delete", "Deleted"
        ANONYMISE = "anonymise", "Anonymised"
        SHRED = "shred", "Erased (keys destroyed)"
        RESTRICT = "restrict", "Restricted"
        DISCLOSE = "disclose", "Disclosed"

    # The chain order: 1, 2, 3, ... with no gaps, assigned by the services.
    sequence = SequenceField(primary_key=True)
    # Pseudonymous subject id (never a name or email), chosen by the layer that owns the subject.
    subject = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    # No foreign key: the event must survive the actor's account, and audit sits below accounts.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=120)
    actor_role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    purpose = models.CharField(max_length=64)
    # Policy category keys, sorted and comma-separated: a plain string keeps the canonical
    # encoding identical in every database (a JSON column is re-serialised differently).
    categories = models.CharField(max_length=500)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    # A small reference: the record touched ("customers.Customer#42") or a batch's row count.
    detail = models.CharField(max_length=200, blank=True)
    prev_hash = models.BinaryField(max_length=32)
    hash = models.BinaryField(max_length=32)

    class Meta:
        ordering: ClassVar[list[str]] = ["sequence"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["subject", "-sequence"], name="audit_event_subject"),
            models.Index(fields=["actor_kind", "actor_id", "-sequence"], name="audit_event_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.subject} by {self.actor_label}"

    @property
    def category_keys(self) -> list[str]:
        """The categories as a list of policy keys."""
        return self.categories.split(",") if self.categories else []

    @property
    def hash_hex(self) -> str:
        """The event hash in hex, as docs and auditors quote it."""
        return bytes(self.hash).hex()


class AuditCheckpoint(AppendOnlyModel):
    """A signed Merkle tree head over events 1..tree_size (RFC 9162 style), made by audit_seal."""

    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    # The hash of event `tree_size`, so a later seal can check the chain continues from here.
    last_hash = models.BinaryField(max_length=32)
    # The Merkle frontier at tree_size, so the next seal reads only the events after it.
    frontier = models.BinaryField()
    sealed_at = models.DateTimeField()
    origin = models.CharField(max_length=100)
    key_id = models.CharField(max_length=64)
    signature = models.BinaryField(max_length=64)

    class Meta:
        ordering: ClassVar[list[str]] = ["tree_size"]

    def __str__(self) -> str:
        return f"checkpoint of {self.tree_size} events at {self.sealed_at:%Y-%m-%d %H:%M}"
