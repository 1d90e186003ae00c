"""Management commands: staff_create (docs/operations.md) and tutela_demo (bin/serve)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tutela.accounts.models import User
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer
from tutela.staff.selectors import staff_member_for_user


def staff_create(*args: str) -> str:
    out = StringIO()
    call_command("staff_create", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_staff_create_makes_a_verified_staff_member_with_one_role(client: Client) -> None:
    out = staff_create(
        "--email", "DPO@c-mes.co.uk", "--name", "Dana", "--role", "privacy_officer",
        "--password", DEMO_PASSWORD,
    )  # fmt: skip
    assert "Created privacy officer Dana <dpo@c-mes.co.uk>" in out
    user = User.objects.get(email="dpo@c-mes.co.uk")
    assert user.is_staff and not user.is_superuser and user.display_name == "Dana"
    assert user.email_verified
    member = staff_member_for_user(user)
    assert member is not None and member.role == "privacy_officer"
    response = client.post("/staff/login/", {"login": "dpo@c-mes.co.uk", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/staff/"


@pytest.mark.django_db
def test_staff_create_reads_the_password_from_the_environment(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTELA_STAFF_PASSWORD", "a long finance passphrase")
    staff_create("--email", "tom@c-mes.co.uk", "--name", "Tom", "--role", "finance")
    assert User.objects.get(email="tom@c-mes.co.uk").check_password("a long finance passphrase")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email"], "--email: 'not-an-email' is not a valid email address."),
        (["--role", "admin"], "--role: unknown role 'admin'; choose one of: support, "),
        (["--name", "<b>Dana</b>"], "--name: use plain text"),
        (["--name", " "], "--name: give the staff member's first name"),
        (["--password", "password"], "--password: This password is too common."),
        (["--password", "short"], "--password: This password is too short."),
    ],
)
def test_staff_create_refuses_bad_details_clearly(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R40: exit code 2, a message naming the option, and nothing stored."""
    monkeypatch.delenv("TUTELA_STAFF_PASSWORD", raising=False)
    options = {"--email": "dana@c-mes.co.uk", "--name": "Dana", "--role": "privacy_officer"}
    options["--password"] = DEMO_PASSWORD
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError) as refused:
        staff_create(*[part for pair in options.items() for part in pair])
    assert refused.value.returncode == 2
    assert message in str(refused.value)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_staff_create_refuses_an_address_that_already_has_an_account(
    make_customer: Callable[..., Customer],
) -> None:
    make_customer(email="ada@example.com")
    with pytest.raises(CommandError) as refused:
        staff_create(
            "--email", "Ada@Example.com", "--name", "Ada", "--role", "support",
            "--password", DEMO_PASSWORD,
        )  # fmt: skip
    assert refused.value.returncode == 2
    assert "--email: ada@example.com already has an account." in str(refused.value)
    assert User.objects.count() == 1 and not User.objects.filter(is_staff=True).exists()


@pytest.mark.django_db
def test_staff_create_without_any_password_source_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe is not a terminal: no silent empty password."""
    monkeypatch.delenv("TUTELA_STAFF_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", StringIO(""))
    with pytest.raises(CommandError, match="No password"):
        staff_create("--email", "sam@c-mes.co.uk", "--name", "Sam", "--role", "support")
    assert not User.objects.exists()


def demo(**options: object) -> str:
    out = StringIO()
    call_command("tutela_demo", stdout=out, **options)
    return out.getvalue()


def printed_sign_ins(output: str) -> list[tuple[str, str, str]]:
    """(door, email, password) for each row of the printed table."""
    rows = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        if len(cells) == 4 and cells[0] in ("customer", "staff"):
            rows.append((cells[0], cells[2], cells[3]))
    return rows


@pytest.mark.django_db
def test_demo_twice_creates_each_record_once_and_its_sign_ins_work(settings: object) -> None:
    """bin/serve runs this on every start; the second run must change nothing."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    first = demo()
    counts = (User.objects.count(), Customer.objects.count())
    second = demo()
    assert counts == (User.objects.count(), Customer.objects.count())
    assert "9 account(s) created, 0 already there" in first
    assert "0 account(s) created, 9 already there" in second
    assert "http://127.0.0.1:8000/" in first and "http://127.0.0.1:8000/staff/login/" in first

    sign_ins = printed_sign_ins(second)
    assert sign_ins == printed_sign_ins(first)
    assert sum(door == "customer" for door, _, _ in sign_ins) == Customer.objects.count() == 5
    staff = [email for door, email, _ in sign_ins if door == "staff"]
    members = [staff_member_for_user(User.objects.get(email=email)) for email in staff]
    roles = {member.role.value for member in members if member is not None}
    assert roles == {"support", "privacy_officer", "marketing", "finance"}

    for door, email, password in sign_ins:
        client = Client()
        login = "/staff/login/" if door == "staff" else "/accounts/login/"
        response = client.post(login, {"login": email, "password": password})
        assert response.status_code == 302, (email, response.content[:300])
        assert response["Location"] == ("/staff/" if door == "staff" else "/account/")
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


@pytest.mark.django_db
def test_demo_customers_are_valid_registrations(settings: object) -> None:
    """Each demo profile passes the same validation as a real registration (R1)."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    demo()
    for customer in Customer.objects.all():
        customer.full_clean()
        assert customer.phone.startswith("+44") and customer.company_name


@pytest.mark.django_db
def test_demo_refuses_to_run_outside_debug_unless_forced(settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError) as refused:
        demo()
    assert refused.value.returncode == 2 and "TUTELA_DEBUG is off" in str(refused.value)
    assert not User.objects.exists()
    assert "9 account(s) created" in demo(force=True)
