"""The access export (issue 5, item 1): every catalogued row about one person, with the
information UK GDPR Art. 15 requires, as JSON (with a JSON Schema) and as a printable page.

    export = export_collect(subject_id)
    export.to_json()       # dict, valid against docs/schemas/subject-export.schema.json
    export.to_json_text()  # the same as UTF-8 JSON text
    export.to_html()       # a self-contained document; "Print to PDF" gives a clean copy

What goes in, with no code per model (DESIGN.md, "The personal-data catalog"):
- every catalogued row of the subject in every app, personal fields decrypted with the data keys
  opened in bulk; values whose key was shredded appear as erased; sign-in secrets and keyed
  hashes are listed as held but not copied, with the reason; files are listed with name, size,
  type and SHA-256, their content included in base64 up to INLINE_FILE_BYTES (see values.py);
- the access log about them (tutela.audit): who (staff by first name and role), when, why, what;
- the security IP logs, which are catalogued rows like any other;
- the consent history and the disclosures made about them, from the models that the consent
  and disclosure apps file under those sections (tutela.policy.sections explains the hook);
- for every category held: purposes and lawful bases, recipients and processors, retention and
  source; the rights, the right to complain to the ICO, transfers and automated decisions, all
  read from the policy file (notice.py).
A model that registers in the catalog tomorrow is exported the moment it registers.

Logging: `export_collect` records nothing in the access log itself. Its caller, the fulfilment of
an access request, logs the export (AccessEvent action "export") with `access_record` or
`access_record_many`, in the transaction that records the delivery, naming the categories in
`SubjectExport.category_keys`.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from tutela.policy.api import current_policy
from tutela.rights.export.collect import collect_sources
from tutela.rights.export.document import FORMAT, FORMAT_VERSION, SCHEMA_PATH, SubjectExport
from tutela.rights.export.values import INLINE_FILE_BYTES

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "INLINE_FILE_BYTES",
    "SCHEMA_PATH",
    "SubjectExport",
    "export_collect",
]


def export_collect(subject_id: str, *, inline_file_bytes: int = INLINE_FILE_BYTES) -> SubjectExport:
    """Collect everything held about one subject (a UUID); ValueError for anything else.

    Reads only: one query per catalog entry and one key-store query, however many rows. Does
    not write to the access log (the caller logs the export; see the module docstring).
    """
    try:
        subject = str(uuid.UUID(str(subject_id)))
    except ValueError:
        raise ValueError(f"subject_id: {subject_id!r} is not a subject id (a UUID)") from None
    if inline_file_bytes < 0:
        raise ValueError("inline_file_bytes: must be 0 or more")
    policy = current_policy()
    sources, events = collect_sources(subject, policy, inline_limit=inline_file_bytes)
    return SubjectExport(
        subject_id=subject,
        generated_at=timezone.now(),
        policy=policy,
        sources=tuple(sources),
        access_events=tuple(events),
        inline_file_bytes=inline_file_bytes,
    )
