"""Builders for the erasure tests: a customer with data in every app, made through each app's
real services, and a verified erasure request."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

from django.core import mail
from django.test import RequestFactory, TestCase
from django.utils import timezone

from tutela.audit.api import Actor, access_record
from tutela.commerce.api import Invoice, Order, Product, order_place, payment_take
from tutela.commerce.providers import CardDetails, payment_provider
from tutela.consent.api import Channel, newsletter_confirm, newsletter_subscribe_request
from tutela.correspondence.services import call_record_create, email_record_create
from tutela.customers.api import Customer
from tutela.rights.models import DataSubjectRequest
from tutela.rights.services import dsr_open
from tutela.rights.tests.test_export_data import Things, fill
from tutela.support.attachments import Upload
from tutela.support.services import application_open
from tutela.visits.services import Tally, visits_record

SAM = Actor.staff(id=None, first_name="Sam", role="support")
DANA = Actor.staff(id=None, first_name="Dana", role="privacy_officer")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64
CONFIRM_LINK = re.compile(r"/consent/newsletter/confirm/([^/\s]+)/")


def paid_order(customer: Customer, product: Product) -> Order:
    """An order paid with the fake provider's test card: order, lines, payment and invoice."""
    order = order_place(
        customer=customer, lines=[(product, 2)], actor=Actor.customer(id=customer.user_id)
    )
    year = timezone.localdate().year + 2
    token = payment_provider().tokenize(
        card=CardDetails(number="4242424242424242", exp_month=12, exp_year=year, cvc="123")
    )
    payment_take(order=order, card=token, actor=Actor.customer(id=customer.user_id))
    order.refresh_from_db()
    return order


def subscribe(customer: Customer) -> None:
    """The newsletter, the real way: request, emailed link, confirm."""
    before = len(mail.outbox)
    # The link is emailed after commit: run it now, whether or not the test has a transaction.
    with TestCase.captureOnCommitCallbacks(execute=True):
        newsletter_subscribe_request(
            agreed=True,
            channel=Channel.ACCOUNT_PAGE,
            customer=customer,
            actor=Actor.customer(id=None),
        )
    sent = mail.outbox[before:]
    assert sent, "no confirmation email"
    match = CONFIRM_LINK.search(str(sent[-1].body))
    assert match, sent[-1].body
    newsletter_confirm(token=match.group(1), actor=Actor.customer(id=None))


def visit(customer: Customer, ip: str = "198.51.100.7") -> None:
    """An hour of visits to the account pages, filed under the customer (security log)."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    visits_record(
        tallies={
            (ip, customer.subject_id, "account", hour): Tally(
                requests=3, rejected=0, first_seen=hour, last_seen=hour + timedelta(minutes=5)
            )
        }
    )


def everything(customer: Customer, shared: Things, product: Product, *, tag: str) -> Order:
    """Data in every app: profile history, sign-ins, feedback, an order with payment and invoice,
    an application with a file, an email and a call with a recording, visits, the newsletter,
    and a staff member's read in the access log. Returns the paid order."""
    fill(customer, shared, tag=tag)
    order = paid_order(customer, product)
    application_open(
        customer=customer,
        subject_line=f"{tag} printer jams",
        body=f"{tag}: every third label jams.",
        attachments=[Upload(f"{tag}-scan.pdf", PDF)],
        actor=Actor.customer(id=customer.user_id),
    )
    email_record_create(
        customer=customer,
        direction="in",
        from_address=str(customer.user.email),
        to_addresses="feedback@c-mes.co.uk",
        subject_line=f"{tag} delivery",
        body=f"{tag}: please deliver to the back door.",
        sent_at=timezone.now() - timedelta(hours=2),
        actor=SAM,
    )
    call_record_create(
        customer=customer,
        occurred_at=timezone.now() - timedelta(hours=1),
        direction="in",
        duration_seconds=300,
        notes=f"{tag} asked about the invoice.",
        recording=BytesIO(WAV),
        actor=SAM,
    )
    visit(customer)
    subscribe(customer)
    access_record(
        actor=SAM,
        subject=customer.subject_id,
        categories=["name"],
        purpose="respond_to_requests",
        action="read",
        request=RequestFactory().get("/", REMOTE_ADDR="192.0.2.10"),
    )
    return order


def erasure_request(customer: Customer, *, verified: bool = True) -> DataSubjectRequest:
    """A request to erase, from the account (re-authenticated) or by email (not yet verified)."""
    if verified:
        return dsr_open(
            kind=DataSubjectRequest.Kind.ERASURE,
            channel=DataSubjectRequest.Channel.ACCOUNT,
            customer=customer,
            details="Please delete my account.",
            verified_by=DataSubjectRequest.Verification.REAUTHENTICATION,
            actor=Actor.customer(id=customer.user_id),
        )
    return dsr_open(
        kind=DataSubjectRequest.Kind.ERASURE,
        channel=DataSubjectRequest.Channel.EMAIL,
        requester_name="Ada Lovelace",
        requester_email=str(customer.user.email),
        actor=DANA,
    )


# --- A processor's webhook receiver, for real -----------------------------------------------


@dataclass
class Received:
    """What the local webhook server was sent."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 204


@contextmanager
def webhook_server(status: int = 204) -> Iterator[tuple[str, Received]]:
    """A real HTTP server on a free local port, in a thread; yields its URL and the requests."""
    received = Received(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            )
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/erasure", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def invoice_of(order: Order) -> Invoice:
    """The order's invoice, loaded afresh."""
    return Invoice.objects.get(order_id=order.pk)
