"""The middleware counts visits in memory and writes one row per address, part and hour (R2)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject

from tutela.customers.models import Customer
from tutela.visits.middleware import VisitsMiddleware
from tutela.visits.models import Visit
from tutela.visits.recorder import VisitRecorder, path_group, recorder

T0 = datetime(2026, 5, 4, 10, 15, tzinfo=UTC)


@pytest.mark.django_db
def test_requests_are_counted_in_memory_then_written_as_one_row(client: Client) -> None:
    """Three pages cost no write; the batch becomes one row with the count and both times."""
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert not Visit.objects.exists()
    assert recorder.flush() == 1
    visit = Visit.objects.get()
    assert (visit.ip_address, visit.subject_id, visit.path_group) == ("127.0.0.1", None, "home")
    assert (visit.request_count, visit.rejected_count, visit.ip_truncated) == (3, 0, False)
    assert visit.first_seen <= visit.last_seen
    assert visit.bucket == visit.first_seen.replace(minute=0, second=0, microsecond=0)


@pytest.mark.django_db
def test_counting_a_request_runs_no_query(django_assert_num_queries: Any) -> None:
    """The per-request cost is an in-memory increment: no query, no cache round trip."""
    middleware = VisitsMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/feedback/problems/new/")
    with django_assert_num_queries(0):
        for _ in range(50):
            middleware(request)
    assert recorder.flush() == 1
    assert Visit.objects.get().request_count == 50


@pytest.mark.django_db
def test_a_signed_in_visitor_is_filed_under_their_subject(
    client: Client, make_customer: Callable[..., Customer], write_every_request: None
) -> None:
    customer = make_customer()
    client.force_login(customer.user)
    assert client.get("/account/").status_code == 200
    visit = Visit.objects.get()
    assert (visit.subject_id, visit.path_group) == (customer.subject_id, "account")


@pytest.mark.django_db
def test_the_user_is_not_loaded_just_for_the_log(make_customer: Callable[..., Customer]) -> None:
    """A request that never looked at its user is counted without a subject, and the log does
    not load the user itself (that would cost the session and user queries)."""
    customer = make_customer()
    middleware = VisitsMiddleware(lambda request: HttpResponse("ok"))
    untouched = RequestFactory().get("/policy/")
    untouched.user = SimpleLazyObject(lambda: pytest.fail("the log loaded the user"))  # type: ignore[assignment]
    middleware(untouched)
    known = RequestFactory().get("/policy/")
    known.user = customer.user
    middleware(known)
    recorder.flush()
    assert sorted(Visit.objects.values_list("subject_id", "request_count"), key=str) == sorted(
        [(None, 1), (customer.subject_id, 1)], key=str
    )


@pytest.mark.django_db
def test_refused_requests_are_counted_as_rejected(
    client: Client, write_every_request: None
) -> None:
    """Scanning shows as 4xx answers: counted per row beside the total."""
    client.get("/")
    client.get("/wp-admin/setup.php")
    client.get("/wp-login.php")
    home, other = Visit.objects.get(path_group="home"), Visit.objects.get(path_group="other")
    assert (home.request_count, home.rejected_count) == (1, 0)
    assert (other.request_count, other.rejected_count) == (2, 2)


@pytest.mark.django_db
def test_paths_are_stored_as_a_part_of_the_site_never_as_typed(
    client: Client, write_every_request: None
) -> None:
    client.get("/ada@example.com/secret-page/?q=x")
    assert list(Visit.objects.values_list("path_group", flat=True)) == ["other"]
    assert path_group("/") == "home"
    assert path_group("/accounts/login/") == "accounts"
    assert path_group("/staff/visits/") == "staff"
    assert path_group("/feedback/problems/new/") == "feedback"
    assert path_group("/ACCOUNTS/") == "other"
    assert path_group("/" + "a" * 40 + "/") == "other"


@pytest.mark.django_db
def test_forwarded_for_is_believed_only_from_a_configured_proxy(
    client: Client, write_every_request: None, settings: Any
) -> None:
    """The address comes from tutela.core.http.client_ip, like the sign-in log's (R2)."""
    client.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    settings.TUTELA_TRUSTED_PROXY_COUNT = 1
    client.get("/", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    assert sorted(Visit.objects.values_list("ip_address", flat=True)) == [
        "127.0.0.1",
        "203.0.113.9",
    ]


@pytest.mark.django_db
def test_counts_from_several_writes_and_processes_add_up() -> None:
    """Each process writes its own counts into the same hourly row (additions, not overwrites)."""
    first, second = VisitRecorder(), VisitRecorder()
    for minute in (1, 2):
        first.note(ip="192.0.2.1", subject_id=None, path_group="home", rejected=False,
                   now=T0 + timedelta(minutes=minute))  # fmt: skip
    second.note(ip="192.0.2.1", subject_id=None, path_group="home", rejected=True, now=T0)
    first.flush()
    second.flush()
    first.note(ip="192.0.2.1", subject_id=None, path_group="home", rejected=False,
               now=T0 + timedelta(minutes=40))  # fmt: skip
    first.flush()
    visit = Visit.objects.get()
    assert (visit.request_count, visit.rejected_count) == (4, 1)
    assert (visit.first_seen, visit.last_seen) == (T0, T0 + timedelta(minutes=40))
    assert visit.bucket == T0.replace(minute=0)


@pytest.mark.django_db
def test_an_ipv6_address_finds_its_row_again() -> None:
    """Addresses are compared as the database gives them back (text, or inet on PostgreSQL)."""
    tally = VisitRecorder()
    for _ in range(2):
        tally.note(ip="2001:db8::1", subject_id=None, path_group="home", rejected=False, now=T0)
        tally.flush()
    assert list(Visit.objects.values_list("ip_address", "request_count")) == [("2001:db8::1", 2)]


@pytest.mark.django_db(transaction=True)
def test_processes_writing_the_same_new_row_at_once_leave_one_row() -> None:
    """Concurrent writers are serialised, so neither inserts a row the other just inserted."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time by design")
    start = threading.Barrier(4)

    def write() -> None:
        tally = VisitRecorder()
        tally.note(ip="192.0.2.7", subject_id=None, path_group="home", rejected=False, now=T0)
        start.wait()
        try:
            tally.flush()
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(Visit.objects.values_list("request_count", flat=True)) == [4]


@pytest.mark.django_db
def test_each_hour_address_and_part_is_a_row_of_its_own() -> None:
    tally = VisitRecorder()
    for ip, group, moment in [
        ("192.0.2.1", "home", T0),
        ("192.0.2.1", "home", T0 + timedelta(minutes=50)),  # 11:05, the next hour
        ("192.0.2.1", "staff", T0),
        ("2001:db8::1", "home", T0),
    ]:
        tally.note(ip=ip, subject_id=None, path_group=group, rejected=False, now=moment)
    assert tally.flush() == 4
    assert Visit.objects.count() == 4


@pytest.mark.django_db
def test_the_batch_is_written_once_the_interval_has_passed(client: Client, settings: Any) -> None:
    settings.TUTELA_VISITS_FLUSH_SECONDS = 3600
    client.get("/")
    assert not Visit.objects.exists()
    settings.TUTELA_VISITS_FLUSH_SECONDS = 0
    client.get("/")
    assert Visit.objects.get().request_count == 2


@pytest.mark.django_db
def test_a_full_batch_is_written_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood of distinct addresses cannot grow a process's memory past MAX_PENDING keys."""
    monkeypatch.setattr("tutela.visits.recorder.MAX_PENDING", 3)
    tally = VisitRecorder()
    for n in range(1, 3):
        tally.note(ip=f"192.0.2.{n}", subject_id=None, path_group="home", rejected=False, now=T0)
    assert not Visit.objects.exists()
    tally.note(ip="192.0.2.3", subject_id=None, path_group="home", rejected=False, now=T0)
    assert Visit.objects.count() == 3
    assert tally.flush() == 0


def test_a_request_without_an_address_is_not_counted() -> None:
    """A socket with no client address: nothing to log, nothing guessed (and no database)."""

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    VisitsMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=""))
    assert recorder.take() == {}
