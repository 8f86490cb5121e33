"""API clients for the fixed cast of tests/conftest.py."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_api(db) -> APIClient:
    return APIClient()


@pytest.fixture
def analyst_api(analyst) -> APIClient:
    return client_for(analyst)


@pytest.fixture
def other_api(other_analyst) -> APIClient:
    return client_for(other_analyst)


@pytest.fixture
def reviewer_api(reviewer) -> APIClient:
    return client_for(reviewer)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return client_for(outsider)
