"""Settings read from the environment: malformed values and unsafe start-ups are refused."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import StorageHandler
from django.db import connection

from wcc_site.settings import (
    BASE_DIR,
    cache_from_url,
    env_bool,
    env_int,
    env_list,
    file_storages,
)

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


def test_file_storages_default_to_the_file_system_with_atomic_reports():
    storages = StorageHandler(file_storages("filesystem"))

    assert (type(storages["default"]).__name__, type(storages["reports"]).__name__) == (
        "FileSystemStorage",
        "AtomicFileSystemStorage",
    )


def test_file_storages_s3_puts_evidence_and_reports_in_one_private_bucket(monkeypatch):
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "wcc-files")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_S3_REGION_NAME", "eu-west-2")
    from storages.backends.s3 import S3Storage

    storages = StorageHandler(file_storages("s3"))
    default, reports = storages["default"], storages["reports"]

    assert (type(default), type(reports)) == (S3Storage, S3Storage)
    assert {(s.bucket_name, s.endpoint_url, s.region_name) for s in (default, reports)} == {
        ("wcc-files", "http://127.0.0.1:9000", "eu-west-2")
    }
    assert (default.default_acl, default.querystring_auth) == (None, True)
    # Evidence uploads with the same name both survive; a report replaces its fixed name.
    assert (default.file_overwrite, reports.file_overwrite) == (False, True)


def test_file_storages_s3_without_a_bucket_is_refused(monkeypatch):
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)

    with pytest.raises(ImproperlyConfigured, match=r"^STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCK"):
        file_storages("s3")


def test_file_storages_s3_with_a_malformed_endpoint_is_refused(monkeypatch):
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "wcc-files")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "127.0.0.1:9000")

    with pytest.raises(ImproperlyConfigured, match=r"^AWS_S3_ENDPOINT_URL must start with http"):
        file_storages("s3")


def test_file_storages_unknown_backend_is_refused():
    with pytest.raises(
        ImproperlyConfigured, match=r"^STORAGE_BACKEND must be filesystem or s3; got 'S3 '\.$"
    ):
        file_storages("S3 ")


def test_startup_with_an_unknown_storage_backend_is_refused():
    result = run_python("manage.py", "check", env={"DEBUG": "true", "STORAGE_BACKEND": "ftp"})

    assert result.returncode == 1
    assert (
        "ImproperlyConfigured: STORAGE_BACKEND must be filesystem or s3; got 'ftp'."
        in result.stderr
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("locmem://", {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}),
        (
            "redis://cache.internal:6379/1",
            {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://cache.internal:6379/1",
                # Seconds: an unreachable cache must not hold a request for minutes.
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
            },
        ),
    ],
)
def test_cache_from_url(url, expected):
    config = cache_from_url(url)

    assert {k: v for k, v in config.items() if v} == expected


def test_cache_from_url_unknown_scheme_is_refused_without_echoing_a_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        cache_from_url("memcache2://user:secret@host:11211")

    assert str(refused.value).startswith("CACHE_URL must be a cache URL such as locmem://")
    assert "secret" not in str(refused.value)


def test_default_cache_is_local_memory():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_smtp_and_file_mail_settings_come_from_the_environment(tmp_path):
    """The walks could not point the file backend at a folder, nor SMTP at a server with a
    login: none of these were read."""
    env = {
        "DJANGO_SETTINGS_MODULE": "wcc_site.settings",
        "DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "wcc",
        "EMAIL_HOST_PASSWORD": "secret",
        "EMAIL_USE_TLS": "yes",
    }
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from django.core.mail import send_mail; "
        "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL); "
        "send_mail('Hello', 'Body', None, ['a@example.org'])"
    )

    result = run_python("-c", script, env=env)

    assert result.stdout.strip() == "smtp.example.org 587 wcc True False"
    assert [p.suffix for p in tmp_path.iterdir()] == [".log"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"},
            "The file e-mail backend needs EMAIL_FILE_PATH: the folder to write to.",
        ),
        (
            {"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
            "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (465), not both.",
        ),
    ],
)
def test_mail_settings_that_cannot_work_are_refused_at_start(env, message):
    result = run_python(
        "-c",
        "import django; django.setup()",
        env={"DJANGO_SETTINGS_MODULE": "wcc_site.settings", "DEBUG": "1", **env},
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"django.core.exceptions.ImproperlyConfigured: {message}"
    )
