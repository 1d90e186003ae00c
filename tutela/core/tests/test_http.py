"""Client IPs and request ids."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from tutela.core.http import client_ip


@pytest.mark.parametrize(
    ("hops", "remote", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "203.0.113.5", "192.0.2.1"),
        (1, "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.2", "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (2, "10.0.0.2", "198.51.100.1, 203.0.113.5", "198.51.100.1"),
        (2, "10.0.0.2", "203.0.113.5", "10.0.0.2"),
        (1, "10.0.0.2", "not-an-ip", None),
        (0, "2001:db8::1", "", "2001:db8::1"),
    ],
)
def test_client_ip_believes_only_trusted_proxy_hops(
    settings: object, hops: int, remote: str, forwarded: str, expected: str | None
) -> None:
    settings.TUTELA_TRUSTED_PROXY_COUNT = hops  # type: ignore[attr-defined]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_request_id_is_generated_or_accepted_only_when_safe(client: Client) -> None:
    generated = client.get("/")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/", HTTP_X_REQUEST_ID="proxy-id-12345")["X-Request-ID"] == "proxy-id-12345"
    smuggled = client.get("/", HTTP_X_REQUEST_ID="bad\nid injected into logs")["X-Request-ID"]
    assert "\n" not in smuggled and len(smuggled) == 32


@pytest.mark.django_db
def test_production_settings_redirect_plain_http_to_https(client: Client, settings: object) -> None:
    """R6: outside debug every http request is sent to https (HSTS is set on the https side)."""
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    response = client.get("/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
