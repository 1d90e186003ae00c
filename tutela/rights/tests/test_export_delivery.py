"""Answering an access request: the export stored encrypted, a link that expires, every download
logged, and no third party getting it (R7, R9, R10, R12, R38)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from tutela.audit.api import AccessEvent, Actor
from tutela.customers.api import Customer
from tutela.rights import emails
from tutela.rights.models import DataSubjectRequest, DsrEvent, ExportFile
from tutela.rights.services import (
    EXPORT_LIFETIME,
    dsr_fulfil_access,
    dsr_open,
    dsr_verify,
    export_collector,
    export_files_purge,
)
from tutela.rights.tests.conftest import StandInExport, sign_in

OFFICER = Actor.staff(id=1, first_name="Dana", role="privacy officer")
Collect = Callable[[str], StandInExport]


def account_request(customer: Customer, kind: str = "access") -> DataSubjectRequest:
    return dsr_open(
        kind=kind,
        channel="account",
        customer=customer,
        verified_by="reauthentication",
        actor=Actor.customer(id=customer.user.pk),
    )


def emailed_request(*, verified: bool = True) -> DataSubjectRequest:
    dsr = dsr_open(
        kind="access",
        channel="email",
        requester_name="Grace Hopper",
        requester_email="grace@example.org",
        actor=OFFICER,
    )
    if verified:
        dsr = dsr_verify(dsr=dsr, method="email_link", actor=Actor.customer(id=None))
    return dsr


def link_paths() -> dict[str, str]:
    body = str(mail.outbox[-1].body)
    found = dict(re.findall(r"(JSON file|Readable document): https?://[^/\s]+(/\S+)", body))
    assert found, body
    return {"json": found["JSON file"], "html": found["Readable document"]}


@pytest.mark.django_db
def test_the_export_is_stored_encrypted_the_request_closed_and_the_export_logged(
    make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    """R6, R7, R9."""
    dsr = account_request(make_customer())
    now = timezone.now()
    export = dsr_fulfil_access(dsr=dsr, actor=OFFICER, collect=stand_in_collect, now=now)
    assert export.expires_at == now + EXPORT_LIFETIME
    stored = ExportFile.objects.get()
    assert json.loads(stored.content("json"))["subject"] == str(dsr.subject_id)
    assert "Ada" in stored.content("html").decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT json_data, html_data FROM rights_exportfile")
        for column in cursor.fetchone():
            assert b"Ada" not in bytes(column)
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.DONE and dsr.closed_at == now
    kinds = list(DsrEvent.objects.filter(request=dsr).values_list("kind", flat=True))
    assert kinds[-2:] == ["export_ready", "completed"]
    event = AccessEvent.objects.get(action="export")
    assert event.category_keys == ["contact_email", "name"]
    assert event.purpose == "rights_requests" and event.actor_label == "Dana (privacy officer)"


@pytest.mark.django_db
def test_only_verified_access_requests_are_fulfilled(
    make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    """R12: identity first; and only access and portability have an export."""
    with pytest.raises(ValidationError, match="awaiting identity verification"):
        dsr_fulfil_access(
            dsr=emailed_request(verified=False), actor=OFFICER, collect=stand_in_collect
        )
    with pytest.raises(ValidationError, match="Only access and portability"):
        dsr_fulfil_access(
            dsr=account_request(make_customer(), "erasure"),
            actor=OFFICER,
            collect=stand_in_collect,
        )
    assert not ExportFile.objects.exists() and not AccessEvent.objects.filter(action="export")


@pytest.mark.django_db
def test_the_export_library_is_found_and_its_result_is_stored(
    make_customer: Callable[..., Customer],
) -> None:
    """The real library (tutela.rights.export): its JSON and HTML are stored."""
    assert export_collector() is not None
    customer = make_customer(full_name="Ada Lovelace")
    export = dsr_fulfil_access(dsr=account_request(customer), actor=OFFICER)
    assert isinstance(json.loads(export.content("json")), dict)
    assert "Ada Lovelace" in export.content("html").decode()


@pytest.mark.django_db
def test_a_second_export_lists_the_first_without_copying_it(
    make_customer: Callable[..., Customer],
) -> None:
    """Exports are catalogued (they hold personal data) but never nest inside later ones."""
    customer = make_customer(full_name="Ada Lovelace")
    first = dsr_fulfil_access(dsr=account_request(customer), actor=OFFICER)
    second = dsr_fulfil_access(dsr=account_request(customer), actor=OFFICER)
    text = second.content("json").decode()
    assert "A copy of your data made earlier at your request" in text
    assert len(second.content("json")) < 2 * len(first.content("json"))


# --- the owner's download ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_owner_downloads_both_formats_and_each_download_is_logged(
    client: Client, make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    """R7, R10: every download is an access-log "export" event the customer can see."""
    customer = make_customer()
    export = dsr_fulfil_access(
        dsr=account_request(customer), actor=OFFICER, collect=stand_in_collect
    )
    sign_in(client, customer)
    response = client.get(f"/privacy/exports/{export.pk}/json/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content)["subject"] == str(customer.subject_id)
    html = client.get(f"/privacy/exports/{export.pk}/html/")
    assert html.status_code == 200 and b"Ada" in html.content
    downloads = AccessEvent.objects.filter(action="export", actor_kind="customer")
    assert downloads.count() == 2
    assert {e.detail.split("(")[1][:4] for e in downloads} == {"json", "html"}
    assert all(str(e.subject) == str(customer.subject_id) for e in downloads)
    assert client.get(f"/privacy/exports/{export.pk}/pdf/").status_code == 404


@pytest.mark.django_db
def test_the_owner_must_have_re_authenticated_recently(
    client: Client, make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    """R5: an export is a sensitive action."""
    customer = make_customer()
    export = dsr_fulfil_access(
        dsr=account_request(customer), actor=OFFICER, collect=stand_in_collect
    )
    sign_in(client, customer, reauthenticate=False)
    response = client.get(f"/privacy/exports/{export.pk}/json/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not AccessEvent.objects.filter(action="export", actor_kind="customer").exists()


@pytest.mark.django_db
def test_another_account_and_an_anonymous_visitor_cannot_download(
    client: Client, make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    """Third parties: another account gets 404; without signing in, the sign-in page."""
    owner, other = make_customer(), make_customer()
    export = dsr_fulfil_access(dsr=account_request(owner), actor=OFFICER, collect=stand_in_collect)
    path = f"/privacy/exports/{export.pk}/json/"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    sign_in(client, other)
    assert client.get(path).status_code == 404
    assert client.get(f"/privacy/exports/{uuid.uuid4()}/json/").status_code == 404
    # A token link is not a way into an account holder's export either.
    token = emails.export_token(export)
    assert client.get(f"/privacy/exports/link/{token}/json/").status_code == 404
    assert not AccessEvent.objects.filter(action="export", actor_kind="customer").exists()


@pytest.mark.django_db
def test_an_expired_export_is_gone_for_its_owner_too(
    client: Client, make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    customer = make_customer()
    long_ago = timezone.now() - EXPORT_LIFETIME - timedelta(minutes=1)
    export = dsr_fulfil_access(
        dsr=account_request(customer), actor=OFFICER, collect=stand_in_collect, now=long_ago
    )
    sign_in(client, customer)
    assert client.get(f"/privacy/exports/{export.pk}/json/").status_code == 404
    assert f"/privacy/exports/{export.pk}/" not in client.get("/privacy/").content.decode()


# --- the emailed link, for people without an account -------------------------------------------


@pytest.mark.django_db
def test_without_an_account_the_emailed_link_downloads_and_is_logged(
    client: Client,
    stand_in_collect: Collect,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dsr_fulfil_access(dsr=emailed_request(), actor=OFFICER, collect=stand_in_collect)
    assert mail.outbox[-1].to == ["grace@example.org"]
    paths = link_paths()
    response = client.get(paths["json"])
    assert response.status_code == 200 and b"Ada Lovelace" in response.content
    assert client.get(paths["html"]).status_code == 200
    assert AccessEvent.objects.filter(action="export", actor_kind="customer").count() == 2


@pytest.mark.django_db
def test_a_wrong_or_altered_link_is_a_404(
    client: Client,
    stand_in_collect: Collect,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dsr_fulfil_access(dsr=emailed_request(), actor=OFFICER, collect=stand_in_collect)
    path = link_paths()["json"]
    token = path.split("/")[4]
    other_export_id = uuid.uuid4().hex
    forged = emails.export_token(ExportFile(id=uuid.UUID(hex=other_export_id)))
    for bad in [
        path.replace(token, token[:-3] + "abc"),
        "/privacy/exports/link/not-a-token/json/",
        f"/privacy/exports/link/{forged}/json/",  # properly signed, but names no export
        f"/privacy/exports/link/{token[:10]}/json/",
    ]:
        assert client.get(bad).status_code == 404, bad
    assert not AccessEvent.objects.filter(action="export", actor_kind="customer").exists()


@pytest.mark.django_db
def test_an_expired_link_is_a_404(
    client: Client,
    stand_in_collect: Collect,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    long_ago = timezone.now() - EXPORT_LIFETIME - timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        dsr_fulfil_access(
            dsr=emailed_request(), actor=OFFICER, collect=stand_in_collect, now=long_ago
        )
    assert client.get(link_paths()["json"]).status_code == 404


@pytest.mark.django_db
def test_a_link_for_a_request_whose_email_was_never_verified_is_a_404(client: Client) -> None:
    """R12: even a correctly signed link opens nothing for an unverified request."""
    dsr = emailed_request(verified=False)
    export = ExportFile(
        request=dsr,
        subject_id=dsr.subject_id,
        json_data=b"{}",
        html_data=b"<p>x</p>",
        expires_at=timezone.now() + EXPORT_LIFETIME,
    )
    export.save()
    token = emails.export_token(export)
    assert client.get(f"/privacy/exports/link/{token}/json/").status_code == 404


@pytest.mark.django_db
def test_expired_exports_are_deleted_by_the_daily_purge(
    make_customer: Callable[..., Customer], stand_in_collect: Collect
) -> None:
    """Policy retention `data_exports`: the copy goes when its link expires."""
    now = timezone.now()
    old = dsr_fulfil_access(
        dsr=account_request(make_customer()),
        actor=OFFICER,
        collect=stand_in_collect,
        now=now - EXPORT_LIFETIME - timedelta(hours=1),
    )
    fresh = dsr_fulfil_access(
        dsr=account_request(make_customer()), actor=OFFICER, collect=stand_in_collect, now=now
    )
    assert export_files_purge(now=now) == 1
    assert list(ExportFile.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not ExportFile.objects.filter(pk=old.pk).exists()
