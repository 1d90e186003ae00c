"""What other apps may import from campaigns: the staff console's writes and reads."""

from tutela.campaigns.html import ALLOWED_TAGS
from tutela.campaigns.models import HTML_MAX, SUBJECT_MAX, TEXT_MAX, Campaign, Delivery
from tutela.campaigns.selectors import (
    PREVIEW_ADDRESS,
    audience_exclusions,
    campaign_audience,
    campaign_failures,
    campaign_get,
    campaign_not_sent,
    campaign_preview,
    campaigns_list,
    reasons_shown,
)
from tutela.campaigns.services import (
    campaign_cancel,
    campaign_create,
    campaign_send_start,
    campaign_update,
)

__all__ = [
    "ALLOWED_TAGS",
    "HTML_MAX",
    "PREVIEW_ADDRESS",
    "SUBJECT_MAX",
    "TEXT_MAX",
    "Campaign",
    "Delivery",
    "audience_exclusions",
    "campaign_audience",
    "campaign_cancel",
    "campaign_create",
    "campaign_failures",
    "campaign_get",
    "campaign_not_sent",
    "campaign_preview",
    "campaign_send_start",
    "campaign_update",
    "campaigns_list",
    "reasons_shown",
]
