"""The collected export and its two forms: JSON (portability, Art. 20) and a printable page."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst

from tutela.policy.api import ExportSection, Policy, export_sections
from tutela.rights.export import notice
from tutela.rights.export.collect import ACCESS_LOG, RECORDS, Column, Source

FORMAT = "tutela.subject-export"
FORMAT_VERSION = 1
SCHEMA_PATH = "docs/schemas/subject-export.schema.json"
# A source with more columns than this is shown as one block per row rather than a table.
_TABLE_COLUMNS = 6
_DATE_FORMAT = "j M Y H:i T"


@dataclass(frozen=True)
class SubjectExport:
    """Everything an access request returns about one subject, ready to be rendered."""

    subject_id: str
    generated_at: dt.datetime
    policy: Policy
    # Every catalog entry, in catalog order, with the subject's rows (possibly none).
    sources: tuple[Source, ...]
    # The access log about the subject, newest first.
    access_events: tuple[dict[str, Any], ...]
    inline_file_bytes: int

    # --- summaries ----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """How many catalogued rows about the subject the export holds (the access log too)."""
        return sum(source.count for source in self.sources)

    @cached_property
    def category_keys(self) -> tuple[str, ...]:
        """The policy categories of every source that holds rows about the subject."""
        held = self._uses()
        return tuple(c.key for c in self.policy.categories if c.key in held)

    def _uses(self) -> dict[str, list[notice.Use]]:
        held: dict[str, list[notice.Use]] = defaultdict(list)
        for source in self.sources:
            if not source.count:
                continue
            use = notice.Use(source.label, source.entry.purpose, source.entry.retention)
            for key in source.entry.categories:
                held[key].append(use)
        return held

    def _in(self, section: str) -> list[Source]:
        return [s for s in self.sources if s.section == section and s.count]

    # --- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The export as JSON-ready data, valid against docs/schemas/subject-export.schema.json."""
        policy = self.policy
        registered = set(export_sections().values())
        access_source = next((s for s in self.sources if s.section == ACCESS_LOG), None)
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "subject_id": self.subject_id,
            "controller": notice.controller_json(policy),
            "policy": notice.policy_json(policy),
            "sources": [self._source_summary(source) for source in self.sources],
            "records": [self._source_json(source) for source in self._in(RECORDS)],
            "consent_history": self._section_json(ExportSection.CONSENT_HISTORY, registered),
            "disclosures": self._section_json(ExportSection.DISCLOSURES, registered),
            "access_log": {
                "source": access_source.label if access_source else None,
                "note": (
                    "Every read, export, change or deletion of your data by our staff, our "
                    "systems and you. Staff are named by first name and role. The network "
                    "address is shown for your own actions only: for anyone else's it is theirs."
                ),
                "events": list(self.access_events),
            },
            "categories": notice.categories_json(policy, self._uses()),
            "possible_recipients": notice.disclosure_grounds_json(policy),
            "international_transfers": notice.transfers_json(policy),
            "rights": notice.rights_json(policy),
            "complaint": notice.complaint_json(policy),
            "automated_decision_making": notice.automated_decisions_json(policy),
            "files": {
                "inline_limit_bytes": self.inline_file_bytes,
                "note": (
                    f"Files up to {_size(self.inline_file_bytes)} are included here in base64; "
                    "larger ones are listed with their size, type and SHA-256 and sent to you "
                    "as separate files named as listed."
                ),
            },
        }

    def to_json_text(self) -> str:
        """The JSON form as text (UTF-8, indented), as the download carries it."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1)

    def _source_summary(self, source: Source) -> dict[str, Any]:
        return {
            "source": source.label,
            "section": source.section,
            "row_count": source.count,
            "categories": list(source.entry.categories),
        }

    def _source_json(self, source: Source) -> dict[str, Any]:
        entry, policy = source.entry, self.policy
        purpose = policy.purpose(entry.purpose)
        opts = entry.model._meta
        return {
            "source": source.label,
            "name": str(opts.verbose_name),
            "name_plural": str(opts.verbose_name_plural),
            "purpose": purpose.key,
            "purpose_label": purpose.label,
            "lawful_basis": str(purpose.lawful_basis),
            "retention": entry.retention,
            "erasure": str(entry.erasure),
            "categories": list(entry.categories),
            "fields": [_field_json(column) for column in source.columns],
            "rows": source.rows,
        }

    def _section_json(self, section: ExportSection, registered: set[ExportSection]) -> Any:
        return {
            "registered": section in registered,
            "records": [self._source_json(source) for source in self._in(section)],
        }

    # --- HTML ---------------------------------------------------------------------------------

    def to_html(self, *, csp_nonce: str = "") -> str:
        """A readable document of the same content, with print CSS for "Print to PDF".

        The page is self-contained (its CSS inline) so it reads the same saved to disk; pass
        `csp_nonce` when serving it inline under the site's Content-Security-Policy.
        """
        data = self.to_json()
        names = {s.label: str(s.entry.model._meta.verbose_name_plural) for s in self.sources}
        context = {
            "export": data,
            "categories": [_category_view(category, names) for category in data["categories"]],
            "generated_at": _when(data["generated_at"], "j F Y, H:i T"),
            "policy_effective": _when(data["policy"]["effective_date"], "j F Y"),
            "records": [self._source_view(s) for s in self._in(RECORDS)],
            "consent_history": [
                self._source_view(s) for s in self._in(ExportSection.CONSENT_HISTORY)
            ],
            "disclosures": [self._source_view(s) for s in self._in(ExportSection.DISCLOSURES)],
            "events": [
                {**event, "when": _when(event["occurred_at"], _DATE_FORMAT)}
                for event in data["access_log"]["events"]
            ],
            "empty_sources": sum(1 for s in self.sources if not s.count),
            "csp_nonce": csp_nonce,
            "inline_limit": _size(self.inline_file_bytes),
        }
        return render_to_string("rights/export.html", context)

    def _source_view(self, source: Source) -> dict[str, Any]:
        entry, policy = source.entry, self.policy
        purpose = policy.purpose(entry.purpose)
        rules = {rule.key: rule for rule in policy.retention}
        columns = source.columns
        headers = [capfirst(column.label) for column in columns]
        rows = []
        for row in source.rows:
            cells = [
                _cell_view(
                    column,
                    row["values"][column.name] if column.personal else row["context"][column.name],
                )
                for column in columns
            ]
            rows.append(
                {"id": row["id"], "cells": cells, "pairs": list(zip(headers, cells, strict=True))}
            )
        return {
            "source": source.label,
            "title": capfirst(str(entry.model._meta.verbose_name_plural)),
            "count": source.count,
            "purpose": purpose.label,
            "lawful_basis": purpose.lawful_basis.label,
            "retention": rules[entry.retention].summary if entry.retention in rules else "",
            "categories": [policy.category(key).label for key in entry.categories],
            "headers": headers,
            "rows": rows,
            "as_table": len(columns) <= _TABLE_COLUMNS,
        }


def _category_view(category: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A category for the page: sources named as people read them ("security events")."""

    def named(labels: list[str]) -> list[str]:
        return [names.get(label, label) for label in labels]

    return {
        **category,
        "held_in": named(category["held_in"]),
        "purposes": [{**p, "applies_to": named(p["applies_to"])} for p in category["purposes"]],
        "retention": [{**r, "applies_to": named(r["applies_to"])} for r in category["retention"]],
    }


def _field_json(column: Column) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": column.name,
        "label": column.label,
        "personal": column.personal,
        "categories": list(column.categories),
        "kind": column.kind,
    }
    if column.choices:
        result["choices"] = column.choices
    return result


def _size(size: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def _when(text: str, fmt: str) -> str:
    """An ISO 8601 date or time as people read it, in the site's time zone."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) == 10:  # a date alone
        return date_format(moment.date(), fmt)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, fmt)


def _plain(value: Any, column: Column) -> str:
    """A JSON value as text for the page."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if column.choices and str(value) in column.choices:
        return column.choices[str(value)]
    if column.internal_type == "DateTimeField" and isinstance(value, str):
        return _when(value, _DATE_FORMAT)
    if isinstance(value, dict):
        return "\n".join(f"{key}: {_plain(item, column)}" for key, item in value.items())
    if isinstance(value, list):
        return "\n".join(_plain(item, column) for item in value)
    return str(value)


def _cell_view(column: Column, item: Any) -> dict[str, str]:
    """One cell: its text and a CSS class saying what kind of value it is."""
    if not column.personal and column.kind != "file":
        return {"text": _plain(item, column), "css": "context"}
    state = item.get("state")
    if state == "erased":
        return {"text": "[erased]", "css": "erased"}
    if state == "withheld":
        return {"text": f"Held, not copied: {item['reason']}", "css": "withheld"}
    if state == "file":
        info = item["file"]
        where = (
            "included in the JSON copy"
            if info["included"]
            else f"sent as a separate file, {info['file_name']}"
        )
        return {
            "text": (
                f"File {info['file_name']}: {_size(info['size_bytes'])}, {info['media_type']}; "
                f"{where}. SHA-256 {info['sha256']}"
            ),
            "css": "file",
        }
    if state == "value":
        return {"text": _plain(item["value"], column), "css": "value"}
    return {"text": _plain(item, column), "css": "context"}
