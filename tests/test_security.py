"""Issue 12: Content-Security-Policy, login throttling, private caching, idle sessions and
the busy answer of the embedded SQLite database."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from assessments.models import EvidenceDocument
from tests.factories import UserFactory

LOGIN = "/accounts/login/"
LOCKED = "Too many failed attempts: try again in 15 minutes or reset your password."


def login_post(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def inline_code(html: str) -> list[str]:
    """Inline style and script, which the Content-Security-Policy forbids."""
    return [
        *re.findall(r"<style\b", html),
        *re.findall(r"<[a-zA-Z][^<>]*\sstyle=", html),
        *re.findall(r"<script\b(?![^>]*\bsrc=)", html),
        *re.findall(r"\son[a-z]+=", html),
    ]


# --- Content-Security-Policy ------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get(LOGIN)

    directives = dict(
        d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";")
    )
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/reports/summary/2008-09/",
        "/reports/summary/2008-09/Q34/",
        "/reports/league-table/2008-09/",
        "/reports/pct/5PG/2008-09/",
    ],
)
def test_pages_with_charts_have_no_inline_style_or_script(client, demo, url):
    client.force_login(get_user_model().objects.get(username="national"))

    response = client.get(url)

    assert (response.status_code, inline_code(response.content.decode())) == (200, [])


# --- Login throttling ---------------------------------------------------------------------------


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def test_ten_wrong_passwords_lock_the_account_from_that_address(client, alice):
    for _ in range(10):
        login_post(client, "alice", "wrong", REMOTE_ADDR="198.51.100.7")

    response = login_post(client, "alice", "pass-for-tests", REMOTE_ADDR="198.51.100.7")

    assert (response.status_code, response.context["locked_out"]) == (429, LOCKED)
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address_so_others_still_log_in(alice):
    attacker = Client()
    for _ in range(12):
        login_post(attacker, "alice", "wrong", REMOTE_ADDR="198.51.100.7")
    UserFactory(username="bob")

    from_elsewhere = login_post(Client(), "alice", "pass-for-tests", REMOTE_ADDR="203.0.113.9")
    bob_same_address = login_post(Client(), "bob", "pass-for-tests", REMOTE_ADDR="198.51.100.7")

    assert (from_elsewhere.status_code, from_elsewhere["Location"]) == (302, "/")
    assert (bob_same_address.status_code, bob_same_address["Location"]) == (302, "/")


def test_lockout_ends_after_the_cool_off(client, alice):
    for _ in range(10):
        login_post(client, "alice", "wrong")

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = login_post(client, "alice", "pass-for-tests")

    assert (response.status_code, response["Location"]) == (302, "/")


def test_behind_the_proxy_only_its_last_hop_counts(settings, alice):
    # The attacker varies the X-Forwarded-For entries it writes itself; the proxy appends
    # the real address last, and that is what is locked.
    settings.BEHIND_HTTPS_PROXY = True
    client = Client()
    for n in range(10):
        login_post(
            client,
            "alice",
            "wrong",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
        )

    locked = login_post(
        client,
        "alice",
        "pass-for-tests",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.200, 198.51.100.7",
    )
    other_client = login_post(
        Client(),
        "alice",
        "pass-for-tests",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert (locked.status_code, other_client.status_code) == (429, 302)


def test_without_the_proxy_setting_x_forwarded_for_is_ignored(settings, alice):
    settings.BEHIND_HTTPS_PROXY = False
    client = Client()
    for n in range(10):
        login_post(client, "alice", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = login_post(client, "alice", "pass-for-tests", HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429


# --- Caching and sessions ---------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_in_answers_are_private_and_not_stored(client, demo):
    client.force_login(get_user_model().objects.get(username="moderator.q34"))

    home = client.get("/")
    embargoed_csv = client.get("/reports/league-table/2009-10/?format=csv")
    embargoed_xlsx = client.get("/reports/league-table/2009-10/?format=xlsx")

    assert [r.status_code for r in (home, embargoed_csv, embargoed_xlsx)] == [200, 200, 200]
    assert [r["Cache-Control"] for r in (home, embargoed_csv, embargoed_xlsx)] == [
        "private, no-store"
    ] * 3


@pytest.mark.django_db
def test_embargoed_file_says_private_no_store_itself(client, demo, settings):
    # Without the middleware's signed-in rule, the view still marks the embargoed file.
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "wcc_site.middleware.PrivateCacheMiddleware"
    ]
    client.force_login(get_user_model().objects.get(username="national"))

    embargoed = client.get("/reports/league-table/2009-10/?format=csv")
    published = client.get("/reports/league-table/2008-09/?format=csv")

    assert (embargoed["Cache-Control"], published.has_header("Cache-Control")) == (
        "private, no-store",
        False,
    )


@pytest.mark.django_db
def test_a_view_that_sets_its_own_cache_control_keeps_it(client, demo):
    response = client.get("/healthz/")  # never_cache, anonymous

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_session_ends_after_two_idle_hours_and_activity_renews_it(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login_post(client, "alice", "pass-for-tests").status_code == 302
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        active = client.get("/panels/mine/")
    with time_machine.travel(start + timedelta(minutes=100 + 119), tick=False):
        still_in = client.get("/panels/mine/")
    with time_machine.travel(start + timedelta(minutes=100 + 119 + 121), tick=False):
        idle = client.get("/panels/mine/")

    assert (active.status_code, still_in.status_code) == (200, 200)
    assert (idle.status_code, idle["Location"]) == (302, "/accounts/login/?next=/panels/mine/")


# --- SQLite busy --------------------------------------------------------------------------------


def locked_on_writes(times: int):
    """An execute wrapper standing in for SQLite past its busy timeout: the first ``times``
    write statements fail with "database is locked" before they run."""
    state = {"left": times}

    def wrapper(execute, sql, params, many, context):
        if state["left"] and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            state["left"] -= 1
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    return wrapper


@pytest.fixture
def upload(db, settings, tmp_path):
    from tests.factories import AssessmentFactory, AssessmentRoundFactory, PCTFactory, RoleFactory
    from tests.factories.files import PDF

    settings.MEDIA_ROOT = tmp_path
    from assessments.models import Role, Stage

    assessment = AssessmentFactory(
        round=AssessmentRoundFactory(slug="2099-00"),
        pct=PCTFactory(ods_code="9ZZ"),
        stage=Stage.SELF_ASSESSMENT,
    )
    client = Client(raise_request_exception=False)
    client.force_login(RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user)

    def post():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(
            "/assessments/2099-00/9ZZ/evidence/",
            {"doc_type": "other", "title": "", "file": SimpleUploadedFile("plan.pdf", PDF)},
        )

    return post


@pytest.mark.sqlite  # the retry is SQLite's; PostgreSQL has row locks, not a locked file
def test_a_write_locked_for_a_moment_is_tried_again_and_saved(upload):
    with connection.execute_wrapper(locked_on_writes(2)):
        response = upload()

    assert (response.status_code, EvidenceDocument.objects.count()) == (302, 1)


def test_a_write_locked_for_good_answers_503_with_a_friendly_page(upload):
    with connection.execute_wrapper(locked_on_writes(100)):
        response = upload()

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert (
        "The service is busy: your changes were not saved, please try again."
        in response.content.decode()
    )
    assert EvidenceDocument.objects.count() == 0


@pytest.mark.django_db
def test_a_form_without_its_security_token_gets_the_sites_page_saying_what_to_do():
    """The panel walk: clearing cookies mid-form gave Django's bare "CSRF verification
    failed" page."""

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Your form was not sent</h1>" in page
    assert "Use your browser's Back button" in page and "CSRF" not in page


@pytest.mark.django_db
def test_opening_an_address_that_only_takes_a_form_says_what_to_do(client):
    """The moderation walk: signing in again after the session ended mid-form sent the user
    on, with a GET, to the address the form had been posted to: a blank 405 page."""
    client.force_login(UserFactory())

    response = client.get("/accounts/logout/")  # POST-only: Django's LogoutView

    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"]
    assert "<h1>This address takes a form, not a visit</h1>" in page
    assert "That form was not saved." in page


@pytest.mark.django_db
def test_a_form_sent_to_a_page_that_takes_none_says_nothing_was_saved(client):
    """The bad-input walk: a POST to a page that only answers GET was a blank 405."""
    client.force_login(UserFactory())

    response = client.post("/rounds/", {"name": "x"})

    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"]
    assert "<h1>This page takes no form</h1>" in page
    assert "was not saved" in page


@pytest.mark.django_db
def test_a_request_too_large_to_read_gets_the_sites_page(client):
    """The bad-input walk: more than 1,000 fields (or 2.5 MB of text) got Django's bare
    "Bad Request (400)"."""
    response = client.post("/accounts/login/", {f"f{n}": "x" for n in range(1001)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "<h1>The request could not be read</h1>" in page
    assert "Nothing was saved." in page


@pytest.mark.django_db
def test_a_form_posted_after_the_session_ended_is_said_not_saved_on_the_login_page(client):
    """The panel walk: without JavaScript, the consensus typed before the session ended was
    silently replaced by the stored one after signing in again."""
    response = client.post("/panels/2009-10/5PG/consensus/", {"c1": "3"}, follow=True)

    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=")
    assert "so the form you sent was not saved" in response.content.decode()
    assert "not saved" not in client.get("/accounts/login/").content.decode()  # said once
    # Logging out after the session ended is no lost form: nothing is said
    out = client.post("/accounts/logout/", follow=True)
    assert "not saved" not in out.content.decode()
