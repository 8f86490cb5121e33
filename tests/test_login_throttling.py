"""Wrong passwords through the real login forms lock the username and the address out;
wrong API tokens are refused once an address has presented too many."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from tests.api.conftest import client_for

FORMS = ["/accounts/login/", "/admin/login/"]
LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


def form_client(address: str = "203.0.113.7") -> Client:
    """A browser-like client: it reads the form and sends the CSRF token back."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=address)


def sign_in(client: Client, form: str, username: str, password: str):
    page = client.get(form)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    return client.post(
        form,
        {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/"},
    )


def signed_in(response) -> bool:
    return response.status_code == 302


@pytest.mark.parametrize("form", FORMS)
def test_repeated_wrong_passwords_lock_the_user_out(reviewer, form):
    client = form_client()
    for _ in range(LIMIT - 1):
        assert sign_in(client, form, "iryna", "wrong").status_code == 200
    locked = sign_in(client, form, "iryna", "wrong")
    assert locked.status_code == 429
    assert "Sign-in locked for now" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    right = sign_in(client, form, "iryna", "pw-iryna")
    assert right.status_code == 429 and not signed_in(right)
    # The lock is on the username: another address does not get round it.
    assert sign_in(form_client("198.51.100.9"), form, "iryna", "pw-iryna").status_code == 429


@pytest.mark.parametrize("form", FORMS)
def test_one_address_guessing_many_users_is_locked_out(reviewer, outsider, form):
    client = form_client()
    for n in range(LIMIT):
        sign_in(client, form, f"guess{n}", "wrong")
    assert sign_in(client, form, "iryna", "pw-iryna").status_code == 429
    # Another address signs in as usual.
    assert signed_in(sign_in(form_client("198.51.100.9"), form, "iryna", "pw-iryna"))


def test_fewer_failures_than_the_limit_then_the_right_password_works(reviewer):
    client = form_client()
    for _ in range(LIMIT - 1):
        sign_in(client, FORMS[0], "iryna", "wrong")
    assert signed_in(sign_in(client, FORMS[0], "iryna", "pw-iryna"))


def test_a_reviewer_or_admin_unlocks_by_command(reviewer):
    client = form_client()
    for _ in range(LIMIT):
        sign_in(client, FORMS[0], "iryna", "wrong")
    assert sign_in(client, FORMS[0], "iryna", "pw-iryna").status_code == 429
    call_command("axes_reset_username", "iryna", stdout=io.StringIO())
    assert signed_in(sign_in(client, FORMS[0], "iryna", "pw-iryna"))


def test_an_admin_unlocks_in_the_review_desk(reviewer, admin_client):
    client = form_client()
    for _ in range(LIMIT):
        sign_in(client, FORMS[1], "iryna", "wrong")
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "iryna" in listing.content.decode()
    from axes.models import AccessAttempt

    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert signed_in(sign_in(client, FORMS[1], "iryna", "pw-iryna"))


# --- API tokens


def test_wrong_tokens_from_one_address_are_throttled(analyst, settings):
    settings.API_TOKEN_FAILURE_RATE = "3/min"
    good = client_for(analyst)._credentials["HTTP_AUTHORIZATION"]
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token guess{n}")
        assert guesser.get("/api/v1/me/").status_code == 401
    guesser.credentials(HTTP_AUTHORIZATION="Token guess-again")
    throttled = guesser.get("/api/v1/me/")
    assert throttled.status_code == 429
    assert "Too many wrong API tokens" in throttled.json()["detail"]
    assert int(throttled["Retry-After"]) > 0
    # Even the right token is refused from there, so a guesser learns nothing from the answer.
    guesser.credentials(HTTP_AUTHORIZATION=good)
    assert guesser.get("/api/v1/me/").status_code == 429
    other = APIClient(REMOTE_ADDR="198.51.100.9")
    other.credentials(HTTP_AUTHORIZATION=good)
    assert other.get("/api/v1/me/").status_code == 200


def test_right_tokens_do_not_count(analyst, settings):
    settings.API_TOKEN_FAILURE_RATE = "3/min"
    client = client_for(analyst)
    for _ in range(10):
        assert client.get("/api/v1/me/").status_code == 200


def test_behind_the_proxy_the_address_is_the_proxys_entry(analyst, settings):
    settings.API_TOKEN_FAILURE_RATE = "2/min"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for n in range(2):  # a forged first entry changes nothing: the proxy's entry counts
        client = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7")
        client.credentials(HTTP_AUTHORIZATION="Token wrong")
        assert client.get("/api/v1/me/").status_code == 401
    assert client.get("/api/v1/me/").status_code == 429
    elsewhere = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    elsewhere.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert elsewhere.get("/api/v1/me/").status_code == 401
