import pytest
from django.conf import settings
from django.db import connections

from bianhe.zones.registry import load_registry
from personas import PERSONAS, make_user

# Tests render templates without running collectstatic first, and hash passwords quickly.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def chinese_by_default():
    """Each test starts in the platform's default language.

    LocaleMiddleware activates a request's language in the thread and leaves it active, so
    without this a test after an English page would see English messages.
    """
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def seed_reference_data() -> None:
    """The registry, the catalogues of this year and the two before, the default forms.

    Idempotent and cheap when they exist: what the ``registry`` and ``catalogue`` fixtures
    need, loaded through the platform's own loaders.
    """
    from django.utils import timezone

    from bianhe.catalog.loader import load_catalogue
    from bianhe.catalog.models import CatalogVersion
    from bianhe.reporting.setup import ensure_default_forms
    from bianhe.zones.models import OrgUnit

    if not OrgUnit.objects.exists():
        load_registry()
    year = timezone.localdate().year
    for each in (year - 2, year - 1, year):
        load_catalogue(each)
    ensure_default_forms(CatalogVersion.objects.get(year=year))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite tests use a file under BIANHE_HOME rather than memory, so that the job tests'
    worker processes (tests/test_jobs.py) open the same test database."""
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["TEST"]["NAME"] = str(settings.BIANHE_HOME / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Seeded once and committed: each test then runs in a transaction rolled back after it,
    # so it starts from the seed whatever it changes. Tests that need a database without
    # it ask for ``unseeded``; transactional tests (the live server) empty the database
    # after themselves, and the fixtures below load what is missing again.
    with django_db_blocker.unblock():
        seed_reference_data()
    yield
    # The live server of the browser tests can leave a PostgreSQL session behind (a request
    # thread on a keep-alive connection); end it so that the test database can be dropped.
    with django_db_blocker.unblock():
        connection = connections["default"]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def unseeded(db):
    """A database without the session's seed (registry, catalogues, forms, their audit rows),
    for tests of loading them; the test's transaction brings the seed back afterwards."""
    from bianhe.audit.models import AuditLog
    from bianhe.catalog.models import CatalogVersion, Indicator
    from bianhe.reporting.models import ReportForm
    from bianhe.zones.models import OrgUnit

    ReportForm.objects.all().delete()
    Indicator.objects.all().delete()
    CatalogVersion.objects.all().delete()
    for unit in OrgUnit.objects.order_by("-path"):  # children before their parents
        unit.delete()
    rows = AuditLog.objects.all()
    rows._raw_delete(rows.db)  # append-only for the platform; the seed's rows only


@pytest.fixture
def registry(db):
    """The shipped registry: 商务部, 7 provinces, 20 zones (seeded once per session)."""
    from bianhe.zones.models import OrgUnit

    if not OrgUnit.objects.exists():
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


@pytest.fixture
def catalogue(registry):
    """The catalogues of this year and the two before and the default report forms (seeded
    once per session)."""
    seed_reference_data()


@pytest.fixture
def open_month(catalogue):
    """Last month: its entry window is open today (forms keep it open 60 days)."""
    from django.utils import timezone

    from bianhe.periods import Period

    return Period.containing(timezone.localdate(), "monthly").previous()


@pytest.fixture
def browser():
    """Debian's chromium through Playwright (modules call browser_support.require_chromium)."""
    from playwright.sync_api import sync_playwright

    from browser_support import CHROMIUM

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()
