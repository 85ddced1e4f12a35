"""Settings read from the environment: malformed values and unsafe start-ups are refused."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from wcc_site.settings import BASE_DIR, env_bool, env_int, env_list

# A clean environment for start-up checks: nothing from the developer's shell or from
# the test run (the root conftest sets a SECRET_KEY for tests).
CLEAN_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and fixed arguments)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**CLEAN_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("value", ["maybe", "2", "tru", "yes please"])
def test_env_bool_malformed_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("WCC_TEST_FLAG", value)

    with pytest.raises(ImproperlyConfigured, match=r"^WCC_TEST_FLAG must be true or false"):
        env_bool("WCC_TEST_FLAG")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), (" yes ", True), ("on", True), ("0", False), ("off", False)],
)
def test_env_bool_accepted_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("WCC_TEST_FLAG", value)

    assert env_bool("WCC_TEST_FLAG") is expected


def test_env_bool_unset_or_empty_gives_default(monkeypatch):
    monkeypatch.setenv("WCC_TEST_FLAG", "")
    monkeypatch.delenv("WCC_TEST_OTHER_FLAG", raising=False)

    assert (env_bool("WCC_TEST_FLAG", default=True), env_bool("WCC_TEST_OTHER_FLAG")) == (
        True,
        False,
    )


@pytest.mark.parametrize("value", ["ten", "1.5", "20s"])
def test_env_int_malformed_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("WCC_TEST_NUMBER", value)

    with pytest.raises(ImproperlyConfigured, match=r"^WCC_TEST_NUMBER must be a whole number"):
        env_int("WCC_TEST_NUMBER", 0)


def test_env_int_reads_whole_numbers(monkeypatch):
    monkeypatch.setenv("WCC_TEST_NUMBER", "31536000")

    assert env_int("WCC_TEST_NUMBER", 0) == 31_536_000


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("WCC_TEST_LIST", " example.org, ,www.example.org ")

    assert env_list("WCC_TEST_LIST", []) == ["example.org", "www.example.org"]


def test_startup_without_secret_key_and_debug_is_refused():
    result = run_python(
        "-c", "import django; django.setup()", env={"DJANGO_SETTINGS_MODULE": "wcc_site.settings"}
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. Set it in the "
        "environment, or set DEBUG=true for a local development key."
    )


def test_startup_with_malformed_debug_is_refused():
    result = run_python(
        "-c",
        "import django; django.setup()",
        env={"DJANGO_SETTINGS_MODULE": "wcc_site.settings", "DEBUG": "perhaps"},
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DEBUG must be true or false "
        "(1/0, yes/no, on/off); got 'perhaps'."
    )


def test_check_deploy_with_production_environment_reports_no_issues():
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        env={"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.org"},
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert re.fullmatch(
        r"System check identified no issues \(\d+ silenced\)\.", result.stdout.strip()
    )


def test_database_vendor_matches_database_url():
    # `make test` runs the suite twice; this shows which database each run really used.
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"

    assert (connection.vendor, settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]) == (
        expected,
        "postgresql" if expected == "postgresql" else "sqlite3",
    )
