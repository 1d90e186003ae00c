"""Settings for bench/audit_bench.py: Tutela's own, plus django-auditlog for the comparison."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "auditlog"]  # noqa: F405
ROOT_URLCONF = "bench.audit_bench_site"
ALLOWED_HOSTS = ["testserver"]
