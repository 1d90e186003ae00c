"""The demo application: one the first demo customer opened, with a reply from support.

Loaded by `manage.py tutela_demo` through the real services, so it is exactly what a customer
and a support agent would store (and the reply's email notice goes through the email backend).
"""

from __future__ import annotations

from django.db import transaction

from tutela.audit.api import Actor
from tutela.customers.api import customer_for_email
from tutela.support.attachments import Upload
from tutela.support.models import Application
from tutela.support.services import application_open, application_staff_reply

DEMO_LOG = (
    b"LP-200 self-test\nFirmware 3.1.4\nPrint head temperature: 41 C\nDarkness setting: 8 of 30\n"
)


def demo_application_load(*, customer_email: str, staff: Actor) -> bool:
    """Open the demo application with a staff reply, unless the customer has any application
    (or does not exist); idempotent. Returns whether it was created.

    Side effects: an application with the customer's message and a text attachment, the staff
    reply (status "waiting for customer"), its access-log event and, after commit, the email
    telling the customer a reply is waiting.
    """
    customer = customer_for_email(customer_email)
    if customer is None or Application.objects.filter(customer=customer).exists():
        return False
    with transaction.atomic():
        application = application_open(
            customer=customer,
            subject_line="Label printer LP-200 prints faded labels",
            body=(
                "Since last week our LP-200 prints labels so faint that the scanner cannot read "
                "the batch numbers. I attach the printer's self-test output."
            ),
            attachments=[Upload("lp200-self-test.txt", DEMO_LOG)],
            actor=Actor.customer(id=customer.user_id),
        )
        application_staff_reply(
            application=application,
            body=(
                "Thank you for the self-test. The darkness setting is 8 of 30, which is too low "
                "for your labels: please raise it to 18 from the printer's menu (Settings > "
                "Print > Darkness) and print a test label. Does that fix it?"
            ),
            status=Application.Status.WAITING_FOR_CUSTOMER,
            actor=staff,
        )
    return True
