"""pytest plugin (loaded with `-p config.testenv` before Django starts): test-only environment.

Tests run with production settings (debug off), which refuse to start without a secret key; this
gives them a throwaway one without weakening the rule for real deployments. The test servers speak
plain http, so the https redirect is off; secure cookies, HSTS and the rest stay on. Each test run
gets its own master-key and audit signing-key files in a private temporary folder (created on
first use, 0600), removed at exit, so tests never touch var/.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("TUTELA_SECRET_KEY", "test-only-secret-key-" + "t" * 40)
os.environ.setdefault("TUTELA_SSL_REDIRECT", "0")
# Visits are counted in memory and written only when a test asks (tutela/visits/tests): a write
# at a random moment would add queries to other apps' query-count assertions.
os.environ.setdefault("TUTELA_VISITS_FLUSH_SECONDS", str(365 * 24 * 3600))
# Tasks run inline when enqueued, so a test sees their effect at once; the worker's own tests
# (tutela/core/tests/test_worker.py) switch to the database backend and run a real worker pass.
os.environ.setdefault("TUTELA_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")

_keys_dir = tempfile.mkdtemp(prefix="tutela-test-keys-")
atexit.register(shutil.rmtree, _keys_dir, ignore_errors=True)
os.environ.setdefault("TUTELA_KEY_FILE", os.path.join(_keys_dir, "master-keys.json"))
# The access log's checkpoint signing key, likewise never var/'s.
os.environ.setdefault(
    "TUTELA_AUDIT_SIGNING_KEY_FILE", os.path.join(_keys_dir, "audit-signing-key.pem")
)
