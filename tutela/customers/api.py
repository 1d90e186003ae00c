"""What other apps may import from customers."""

from tutela.customers.forms import ProfileForm
from tutela.customers.models import PROFILE_FIELDS, Customer, ProfileChange
from tutela.customers.selectors import customer_for_user, profile_history
from tutela.customers.services import customer_register, customer_signup, customer_update

__all__ = [
    "PROFILE_FIELDS",
    "Customer",
    "ProfileChange",
    "ProfileForm",
    "customer_for_user",
    "customer_register",
    "customer_signup",
    "customer_update",
    "profile_history",
]
