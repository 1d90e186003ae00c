"""pytest plugin (loaded with `-p config.testenv` before Django starts): test-only environment.

Tests run with production settings (debug off), which refuse to start without a secret key; this
gives them a throwaway one without weakening the rule for real deployments. The test servers speak
plain http, so the https redirect is off; secure cookies, HSTS and the rest stay on.
"""

import os

os.environ.setdefault("TUTELA_SECRET_KEY", "test-only-secret-key-" + "t" * 40)
os.environ.setdefault("TUTELA_SSL_REDIRECT", "0")
