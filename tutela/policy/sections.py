"""Sections of an access export that later apps fill with their own catalogued rows.

An access export (`tutela.rights.export`) walks the catalog and lists every catalogued row about
the person under "Your records". Two kinds of rows are things the law names on their own, and the
export gives each a section: the consent history (Art. 7(1); the consent ledger of issue 6) and the
disclosures made about the person (Art. 15(1)(c), R34; the disclosure register of issue 7).

The apps that store them sit below rights in the layering and cannot hand rows to it; rights may
not import them either. So the hook is here, beside the catalog: the app catalogues its model as
usual and then names the section, in its `privacy.py`:

    catalog_register(ConsentRecord, subject="subject_id", fields={...}, ...)
    export_section_register(ConsentRecord, section=ExportSection.CONSENT_HISTORY)

The export reads that model's rows through the catalog like every other (same query, same bulk
decryption) and shows them in the section instead of among the records. Nothing in rights names
the model. A section no app registered for is shown as "nothing recorded yet".
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models

from tutela.policy.catalog import catalog_entry


class ExportSection(StrEnum):
    """A heading of the access export that catalogued rows can be filed under."""

    CONSENT_HISTORY = "consent_history"
    DISCLOSURES = "disclosures"


_sections: dict[type[models.Model], ExportSection] = {}


def export_section_register(model: type[models.Model], *, section: str) -> None:
    """File a catalogued model's rows under a section of the access export."""
    if catalog_entry(model) is None:
        raise LookupError(
            f"{model._meta.label} is not in the personal-data catalog: call catalog_register "
            "before export_section_register"
        )
    if model in _sections:
        raise ValueError(f"{model._meta.label} is already filed under an export section")
    _sections[model] = ExportSection(section)


def export_section_of(model: type[models.Model]) -> ExportSection | None:
    """The section a model's rows are shown in, or None (shown among the records)."""
    return _sections.get(model)


def export_sections() -> dict[type[models.Model], ExportSection]:
    """Every model filed under a section, in registration order."""
    return dict(_sections)
