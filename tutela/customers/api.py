"""What other apps may import from customers."""

from tutela.customers.access import customer_required
from tutela.customers.forms import ProfileForm
from tutela.customers.models import PROFILE_FIELDS, Customer, ProfileChange
from tutela.customers.selectors import (
    customer_for_email,
    customer_for_user,
    customers_named,
    profile_history,
    profile_rows,
)
from tutela.customers.services import customer_register, customer_signup, customer_update
from tutela.customers.validators import validate_plain_text

__all__ = [
    "PROFILE_FIELDS",
    "Customer",
    "ProfileChange",
    "ProfileForm",
    "customer_for_email",
    "customer_for_user",
    "customer_register",
    "customer_required",
    "customer_signup",
    "customer_update",
    "customers_named",
    "profile_history",
    "profile_rows",
    "validate_plain_text",
]
