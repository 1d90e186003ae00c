"""Newsletter pages (the account's Mail Subscriptions, the visitor sign-up, the double opt-in
link and the unsubscribe link) and cookie settings; thin: parse, call a service or selector,
render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from tutela.audit.api import Actor
from tutela.consent.cookies import (
    choice_cookie_set,
    cookie_choice_for,
    cookie_groups,
    gpc_signal,
)
from tutela.consent.forms import AccountSubscribeForm, CookieChoiceForm, NewsletterForm
from tutela.consent.models import Channel, Subscriber
from tutela.consent.notices import (
    COOKIE_BANNER,
    COOKIE_GPC,
    NEWSLETTER_CONSENT,
    NEWSLETTER_PURPOSE,
    NEWSLETTER_WITHDRAWAL,
)
from tutela.consent.selectors import (
    consent_history,
    consent_receipt,
    consent_state,
    subscription_for_customer,
)
from tutela.consent.services import (
    Confirmation,
    OptIn,
    cookie_choice_record,
    newsletter_confirm,
    newsletter_subscribe_request,
    newsletter_unsubscribe,
    newsletter_unsubscribe_customer,
)
from tutela.consent.tokens import CONFIRM_MAX_AGE, confirm_token_open, unsubscribe_token_open
from tutela.core.forms import form_add_service_errors
from tutela.customers.api import Customer, customer_for_user, customer_required

# The forms anyone may post are limited per address; the account's per account (R4, R40).
NEWSLETTER_RATE = "10/10m"
ACCOUNT_RATE = "10/10m"
# Each cookie choice is a row: generous for a person changing their mind, not for a script.
COOKIES_RATE = "30/10m"


@customer_required
@require_GET
def subscriptions(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Feedback > Email Management > Mail Subscriptions: state, history, and the one button
    that subscribes or unsubscribes (withdrawing is as easy as giving, Art. 7(3))."""
    return render(
        request,
        "consent/subscriptions.html",
        {
            "subscription": subscription_for_customer(customer),
            "history": consent_history(customer.subject_id),
            "form": AccountSubscribeForm(),
            "withdrawal_text": NEWSLETTER_WITHDRAWAL.text,
        },
    )


@customer_required
@ratelimit(group="consent.account", key="user", rate=ACCOUNT_RATE, method="POST")
@require_POST
def account_subscribe(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Ask for the newsletter from the account: a confirmation link goes to the sign-in address."""
    form = AccountSubscribeForm(request.POST)
    if form.is_valid():
        try:
            outcome = newsletter_subscribe_request(
                agreed=form.cleaned_data["agree"],
                channel=Channel.ACCOUNT_PAGE,
                customer=customer,
                actor=Actor.customer(id=request.user.pk),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.info(request, _OUTCOME_MESSAGES[outcome])
            return redirect("consent:subscriptions")
    return render(
        request,
        "consent/subscriptions.html",
        {
            "subscription": subscription_for_customer(customer),
            "history": consent_history(customer.subject_id),
            "form": form,
            "withdrawal_text": NEWSLETTER_WITHDRAWAL.text,
        },
    )


_OUTCOME_MESSAGES = {
    OptIn.SENT: (
        "Almost done: we emailed a confirmation link to your address. Your subscription starts "
        "when you follow it."
    ),
    OptIn.ALREADY_SUBSCRIBED: "You are already subscribed.",
    OptIn.SUPPRESSED: (
        "Your address is on our do-not-email list, so we cannot subscribe it. Contact us if "
        "you would like that changed."
    ),
}


@customer_required
@require_POST
def account_unsubscribe(request: HttpRequest, customer: Customer) -> HttpResponse:
    """One click: the newsletter stops at once."""
    newsletter_unsubscribe_customer(customer=customer, actor=Actor.customer(id=request.user.pk))
    messages.success(request, "You are unsubscribed. We will send you no more newsletters.")
    return redirect("consent:subscriptions")


@customer_required
@require_GET
def receipt(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer's consent receipt, a JSON download of every consent record (R20)."""
    body = json.dumps(consent_receipt(customer.subject_id), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="consent-receipt.json"'
    response["Cache-Control"] = "no-store"
    return response


@ratelimit(group="consent.newsletter", key="ip", rate=NEWSLETTER_RATE, method="POST")
@require_http_methods(["GET", "POST"])
def newsletter(request: HttpRequest) -> HttpResponse:
    """The newsletter sign-up for visitors without an account (customers use their account)."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("consent:subscriptions")
    form = NewsletterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            newsletter_subscribe_request(
                agreed=form.cleaned_data["agree"],
                channel=Channel.WEB_FORM,
                email=form.cleaned_data["email"],
                actor=Actor.customer(id=None),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            # The same page whatever happened, so the form tells no one who subscribes here.
            return redirect("consent:newsletter_sent")
    return render(request, "consent/newsletter.html", {"form": form})


@require_GET
def newsletter_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your inbox", whatever the address."""
    return render(request, "consent/newsletter_sent.html", {"days": CONFIRM_MAX_AGE.days})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The double opt-in link. GET shows a button (link scanners only GET, so they confirm
    nothing); the POST confirms."""
    if request.method == "GET":
        valid = confirm_token_open(token) is not None
        return render(
            request,
            "consent/confirm.html",
            {"valid": valid, "consent_text": NEWSLETTER_CONSENT.text},
            status=200 if valid else 400,
        )
    outcome = newsletter_confirm(token=token, actor=Actor.customer(id=None), request=request)
    return render(
        request,
        "consent/confirm_done.html",
        {"outcome": outcome.value},
        status=400 if outcome is Confirmation.INVALID else 200,
    )


# csrf_exempt on this one view, on purpose: RFC 8058's one-click POST comes from the mail
# client or provider with no cookie, session or token, only the URL. The URL's HMAC token
# names the recipient and is the whole authorisation; the only thing it can do is unsubscribe
# that recipient, which is idempotent, so a forged cross-site POST can do no more than the link.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link in every newsletter: GET shows a confirmation button (link scanners
    must not unsubscribe anyone); POST unsubscribes at once, with or without the page."""
    subscriber_id = unsubscribe_token_open(token)
    subscriber = (
        None
        if subscriber_id is None
        else Subscriber.objects.filter(pk=subscriber_id).only("pk", "subject_id").first()
    )
    if subscriber is None:
        return render(request, "consent/unsubscribe.html", {"valid": False}, status=404)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        newsletter_unsubscribe(
            subscriber=subscriber,
            channel=Channel.EMAIL_LINK,
            evidence=(
                "One-click unsubscribe (RFC 8058) from the mail client."
                if one_click and "from_page" not in request.POST
                else "Unsubscribe button on the page the email's link opens."
            ),
            actor=Actor.customer(id=None),
            request=request,
        )
        return render(request, "consent/unsubscribe.html", {"valid": True, "done": True})
    subscribed = consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
    return render(
        request,
        "consent/unsubscribe.html",
        {"valid": True, "subscribed": subscribed, "button_text": NEWSLETTER_WITHDRAWAL.text},
    )


@never_cache
@ratelimit(group="consent.cookies", key="ip", rate=COOKIES_RATE, method="POST")
@require_http_methods(["GET", "POST"])
def cookies(request: HttpRequest) -> HttpResponse:
    """Cookie settings (the footer link), and where the banner's form posts: a plain form, so
    it works without JavaScript. A choice is recorded, then the visitor goes back where they
    were, where the tags they allowed now load (R27-R29)."""
    choice = cookie_choice_for(request)
    # Bound on every POST, an empty one too: it is refused with the message, not ignored.
    form = CookieChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        signed_in = user.is_authenticated and not user.is_staff
        customer = customer_for_user(user) if signed_in else None  # type: ignore[arg-type]
        try:
            record = cookie_choice_record(
                visitor_id=choice.visitor_id,
                method=form.cleaned_data["action"],
                allowed=form.cleaned_data["allow"],
                gpc=gpc_signal(request),
                customer=customer,
                actor=Actor.customer(id=user.pk if signed_in else None),
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            response = redirect(_back_to(request, form.cleaned_data["next"]))
            choice_cookie_set(
                request,
                response,
                visitor_id=record.visitor_id,
                allowed=record.allowed_groups,
                notice_sha256=record.notice_sha256,
            )
            messages.success(request, "Your cookie choices are saved.")
            return response
    return render(
        request,
        "consent/cookies/settings.html",
        {
            "form": form,
            "choice": choice,
            "groups": cookie_groups(),
            "checked": choice.allowed if choice.current else frozenset(),
            "gpc": choice.gpc,
            "banner_text": COOKIE_BANNER.text,
            "gpc_text": COOKIE_GPC.text,
            "next": reverse("consent:cookies"),
        },
        status=400 if form.is_bound else 200,
    )


def _back_to(request: HttpRequest, target: str) -> str:
    """Where to go after a choice: the page the banner was on, if it is one of ours."""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("consent:cookies")
