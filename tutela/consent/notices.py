"""The exact words a person agrees to or withdraws with; each record keeps the SHA-256 of the
words shown (R20), so a later change of wording is visible in the ledger."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from tutela.policy.api import current_policy

# The one marketing purpose of the policy file ("newsletter and email with hot offers").
NEWSLETTER_PURPOSE = "marketing_email"


@dataclass(frozen=True)
class Notice:
    """A text shown when consent is given or withdrawn, with its hash."""

    text: str

    @cached_property
    def sha256(self) -> str:
        """SHA-256 (hex) of the text exactly as shown, UTF-8."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# The label of the opt-in box, never pre-ticked: what the newsletter is, and how to leave it.
NEWSLETTER_CONSENT = Notice(
    "Yes, email me the C-MES Solutions newsletter and marketing letters with hot offers. I can "
    "unsubscribe at any time with the link in every email, in my personal account (Feedback > "
    "Email Management > Mail Subscriptions) or by phoning customer service."
)
# The words of every way out: the button on the page, the one-click POST, the account page.
NEWSLETTER_WITHDRAWAL = Notice(
    "Unsubscribe me from the C-MES Solutions newsletter and marketing letters."
)
# What staff confirm with a caller before recording their unsubscribe.
NEWSLETTER_PHONE_WITHDRAWAL = Notice(
    "The caller asked, by phone, to stop receiving the C-MES Solutions newsletter and "
    "marketing letters."
)


def policy_version() -> str:
    """The version of the privacy policy in force, recorded with every consent event."""
    return current_policy().version


# --- Cookie banner ------------------------------------------------------------------------------
# The banner's own words; with the policy file's cookie groups they make up the cookie notice
# whose hash every cookie choice records (cookies.cookie_notice).
COOKIE_BANNER = Notice(
    "We use cookies that are strictly necessary to run this site. We would also like to use "
    "optional cookies, but only if you agree: until you choose, nothing else is set and no "
    "analytics or advertising script is loaded. Carrying on browsing is not agreeing. You can "
    "change your mind at any time under “Cookie settings” at the foot of every page."
)
COOKIE_GPC = Notice(
    "If your browser sends the Global Privacy Control signal, we treat it as a refusal of "
    "advertising cookies, even if you press “Accept all”."
)
