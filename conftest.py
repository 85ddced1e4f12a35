"""Project-wide pytest set-up.

The settings module is named here, not in pytest.ini: pytest-django loads the settings
named in pytest.ini before any conftest runs, so the test-only environment below would
come too late and start-up would stop on the missing SECRET_KEY.

Tasks (e-mail, report batches) run with django-tasks' immediate backend in tests: a task
runs as soon as it is enqueued, so a test that runs a service's on-commit callbacks
(``django_capture_on_commit_callbacks(execute=True)``) finds its mail in
``mail.outbox``. A test of the database queue itself sets ``settings.TASKS`` to the
database backend (see ``assessments/tests/test_mail.py``).
"""

import os
import shutil
import tempfile

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check results, not speed: on a loaded 2-core CI machine hypothesis' default
# 200 ms deadline per example failed a ranking test that takes 11 ms unloaded.
hypothesis_settings.register_profile("wcc", deadline=None)
hypothesis_settings.load_profile("wcc")

# Tests run with DEBUG off (as in production) but need a key: never used outside tests.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wcc_site.settings")


def pytest_configure(config):
    """Adjust static files for tests, before pytest-django calls ``django.setup()``.

    With DEBUG off the settings use WhiteNoise's manifest storage, which needs
    ``collectstatic``; tests use plain storage instead so that ``{% static %}`` works
    without a manifest. WhiteNoise serves from the finders and looks files up per request
    (as with DEBUG on), so a missing ``STATIC_ROOT`` is not a warning (warnings are errors
    here). ``live_server`` serves ``/static/`` through staticfiles' own handler.
    """
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Password hashing is deliberately slow; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # django-axes logs every login to the console; the browser tests log in hundreds of times.
    settings.AXES_VERBOSE = False
    # Tasks run when enqueued (see the module docstring); production queues them.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    # Files the code stores (evidence, PDF reports) go to a throwaway folder, never to the
    # project's media/; tests that look at the files set their own ``tmp_path``.
    config._wcc_media = tempfile.mkdtemp(prefix="wcc-test-media-")
    settings.MEDIA_ROOT = config._wcc_media


def pytest_unconfigure(config):
    media = getattr(config, "_wcc_media", None)
    if media:
        shutil.rmtree(media, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``postgres`` unless the suite runs on PostgreSQL, and those marked
    ``sqlite`` when it does.

    ``make test`` runs the suite on PostgreSQL too (``make test-postgres``), so they run
    there; on SQLite the behaviour they test (row locks, for one) does not exist.
    """
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL: run it with make test-postgres")
    skip_sqlite = pytest.mark.skip(reason="SQLite's behaviour: run it with make test-sqlite")
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(skip_postgres)
        if item.get_closest_marker("sqlite") and on_postgres:
            item.add_marker(skip_sqlite)


@pytest.fixture
def media(settings, tmp_path):
    """A fresh MEDIA_ROOT for the test, for tests that look at the files stored."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The seeded demo (seed 2009), written once for a test module inside a transaction
    that is rolled back when the module ends, so other modules never see it.

    On PostgreSQL the tables are analysed once the demo is written (``tests.database``):
    without statistics the planner treated them as empty.
    """
    from django.db import transaction

    from panels.demo.seed import demo_seed
    from tests.database import analyze

    with django_db_blocker.unblock(), transaction.atomic():
        seeded = demo_seed(seed=2009, password="wcc-demo")
        analyze()
        yield seeded
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _forget_kept_frames():
    """Frames a process keeps under a round's figures version (``reports.tables``) are
    dropped between tests: a rolled-back test may give the next one the same primary keys."""
    from reports.tables import forget_frames

    forget_frames()
    yield
    forget_frames()
