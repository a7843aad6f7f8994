import pytest
from django.conf import settings

from bianhe.zones.registry import load_registry
from personas import PERSONAS, make_user

# Tests render templates without running collectstatic first, and hash passwords quickly.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def registry(db):
    """The shipped registry: 商务部, 7 provinces, 20 zones."""
    load_registry()


@pytest.fixture
def people(registry):
    """Every persona of tests/personas.py, created through the account actions."""
    return {key: make_user(key) for key in PERSONAS}


@pytest.fixture
def client_for(client, people):
    """A test client logged in as the named persona."""

    def login(key):
        client.force_login(people[key])
        return client

    return login
