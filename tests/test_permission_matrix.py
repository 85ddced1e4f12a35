"""The permission matrix: every URL of the resolver, for every persona, GET and POST.

The subject is County Durham PCT (``5ND``, North East ``Q30``) in the demo's unpublished
round 2009-10, at regional moderation, with an evidence document and a factual-accuracy
comment (``tests.matrix.build_subject``). Every URL is filled with the subject's objects
(``tests.matrix.FILLERS``) and requested by people outside its process:

- ``anonymous``;
- ``member``: a seat holder of another PCT's panel (seat 2 of 5PG's, West Midlands);
- ``chair.q34``: the chair of another SHA's panels;
- ``moderator.q34``: staff of another SHA;
- ``board.5pg``: the board of another PCT;
- ``national``: the national team, who may see (and do) most things;

and, GET only, to keep the table honest, by its insiders: ``moderator.q30``,
``chair.q30``, ``board.5nd`` and ``member.5nd`` (seat 2 of 5ND's panel).

:data:`MATRIX` states the answer of each URL (by ``namespace:name``) to each persona. The
test fails for a URL with no entry (a new URL cannot escape it: add one line), a URL
keyword argument with no filler, any answer other than the table's (an unexpected 200
above all), any 500, an anonymous 302 that is not to the login page, and any change in
the database after the outsiders' forged POSTs (every persona but the national team,
who may act).

Adding a URL: one line in :data:`MATRIX`, ``"ns:name": row(GET, POST)``, each a string
of answers in the order of :data:`OUTSIDERS` (then, for GET, ``|`` and the insiders').
"""

from __future__ import annotations

import datetime
import io
import os

import pytest
import time_machine
from django.contrib.auth import get_user_model

from tests.matrix import FORGED, build_subject, every_url, path_of, snapshot

OUTSIDERS = ["anonymous", "member", "chair.q34", "moderator.q34", "board.5pg", "national"]
INSIDERS = ["moderator.q30", "chair.q30", "board.5nd", "member.5nd"]
PERSONAS = OUTSIDERS + INSIDERS


def row(get: str, post: str) -> dict:
    gets = get.replace("|", " ").split()
    posts = post.split()
    assert len(gets) == len(PERSONAS) and len(posts) == len(OUTSIDERS), (get, post)
    return {
        "GET": dict(zip(PERSONAS, map(int, gets), strict=True)),
        "POST": dict(zip(OUTSIDERS, map(int, posts), strict=True)),
    }


# fmt: off
MATRIX: dict[str, dict] = {
    "home": row("200 200 200 200 200 200 | 200 200 200 200", "405 405 405 405 405 405"),
    "healthz": row("200 200 200 200 200 200 | 200 200 200 200", "405 405 405 405 405 405"),
    "favicon": row("302 302 302 302 302 302 | 302 302 302 302", "405 405 405 405 405 405"),
    "help": row("200 200 200 200 200 200 | 200 200 200 200", "405 405 405 405 405 405"),
    "login": row("200 200 200 200 200 200 | 200 200 200 200", "200 200 200 200 200 200"),
    "password_reset": row("200 200 200 200 200 200 | 200 200 200 200", "302 302 302 302 302 302"),
    "logout": row("302 405 405 405 405 405 | 405 405 405 405", "302 302 302 302 302 302"),
    "password_change": row("302 200 200 200 200 200 | 200 200 200 200", "302 200 200 200 200 200"),
    "password_change_done": row("302 200 200 200 200 200 | 200 200 200 200", "302 405 405 405 405 405"),
    "account": row("302 200 200 200 200 200 | 200 200 200 200", "302 405 405 405 405 405"),
    "account_name": row("302 200 200 200 200 200 | 200 200 200 200", "302 302 302 302 302 302"),
    "password_reset_done": row("200 200 200 200 200 200 | 200 200 200 200", "405 405 405 405 405 405"),
    "password_reset_confirm": row("200 200 200 200 200 200 | 200 200 200 200", "200 200 200 200 200 200"),
    "password_reset_complete": row("200 200 200 200 200 200 | 200 200 200 200", "405 405 405 405 405 405"),
    "admin:login": row("200 200 200 200 200 200 | 200 200 200 200", "200 200 200 200 200 200"),
    "panels:my_panels": row("302 200 200 200 200 200 | 200 200 200 200", "302 405 405 405 405 405"),
    "panels:score": row("302 404 404 404 404 404 | 404 200 404 200", "302 404 404 404 404 404"),
    "panels:consensus": row("302 404 404 404 404 200 | 200 200 404 404", "302 404 404 404 404 403"),
    "panels:close_consensus": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 404"),
    "panels:mark_absent": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 404"),
    "panels:evidence_download": row("302 404 404 404 404 200 | 200 200 404 200", "302 405 405 405 405 405"),
    "panels:formation_region": row("302 404 404 200 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "panels:formation_panel": row("302 404 404 404 404 200 | 200 404 404 404", "302 404 404 404 404 302"),
    "panels:copy_previous": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "panels:open_scoring": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "panels:proceed_without_self_assessment": row("302 404 404 404 404 302 | 302 404 404 404", "302 404 404 404 404 302"),
    "panels:replace_seat": row("302 404 404 404 404 302 | 302 404 404 404", "302 404 404 404 404 302"),
    "panels:hand_chair": row("302 404 404 404 404 302 | 302 404 404 404", "302 404 404 404 404 302"),
    "panels:history": row("302 404 404 404 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "panels:panel_detail": row("302 404 404 404 404 200 | 200 200 404 200", "302 405 405 405 405 405"),
    "people:list": row("302 404 404 200 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "people:add": row("302 404 404 200 404 200 | 200 404 404 404", "302 404 404 200 404 200"),
    "people:organisation_add": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "people:detail": row("302 404 404 404 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "people:edit": row("302 404 404 404 404 200 | 200 404 404 404", "302 404 404 404 404 200"),
    "people:invite": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "people:deactivate": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "people:reactivate": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "rounds:list": row("302 404 404 200 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "rounds:new": row("302 404 404 403 404 200 | 403 404 404 404", "302 404 404 403 404 200"),
    "rounds:detail": row("302 404 404 200 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "rounds:name": row("302 404 404 403 404 200 | 403 404 404 404", "302 404 404 403 404 302"),
    "rounds:discard": row("302 404 404 403 404 302 | 403 404 404 404", "302 404 404 403 404 302"),
    "rounds:timetable": row("302 404 404 403 404 200 | 403 404 404 404", "302 404 404 403 404 200"),
    "rounds:open": row("302 404 404 403 404 200 | 403 404 404 404", "302 404 404 403 404 200"),
    "rounds:opened": row("302 404 404 403 404 302 | 403 404 404 404", "302 405 405 405 405 405"),
    "rounds:take_back": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "rounds:framework": row("302 404 404 200 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "rounds:competency": row("302 404 404 200 404 200 | 200 404 404 404", "302 404 404 403 404 302"),
    "rounds:area": row("302 404 404 200 404 200 | 200 404 404 404", "302 404 404 403 404 302"),
    "boards:list": row("302 404 404 200 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "boards:file_preview": row("302 404 404 302 404 302 | 302 404 404 404", "302 404 404 200 404 200"),
    "boards:file_confirm": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 302 404 302"),
    "boards:pct": row("302 404 404 404 404 200 | 200 404 404 404", "302 404 404 404 404 302"),
    "boards:reinvite": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "boards:remove": row("302 404 404 404 404 200 | 200 404 404 404", "302 404 404 404 404 302"),
    "boards:email": row("302 404 404 404 404 200 | 200 404 404 404", "302 404 404 404 404 302"),
    "staff:list": row("302 404 404 404 404 200 | 404 404 404 404", "302 405 405 405 405 405"),
    "staff:national": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "staff:national_reinvite": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "staff:national_remove": row("302 404 404 404 404 302 | 404 404 404 404", "302 404 404 404 404 302"),
    "staff:national_email": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "staff:sha": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "staff:reinvite": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "staff:remove": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 302"),
    "staff:email": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 302"),
    "organisations:list": row("302 404 404 404 404 200 | 404 404 404 404", "302 405 405 405 405 405"),
    "organisations:new": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "organisations:file_preview": row("302 404 404 404 404 302 | 404 404 404 404", "302 404 404 404 404 200"),
    "organisations:file_confirm": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "organisations:edit": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "reports:league_table": row("404 404 404 200 404 200 | 200 404 404 404", "405 405 405 405 405 405"),
    "reports:open_data": row("404 404 404 404 404 404 | 404 404 404 404", "405 405 405 405 405 405"),
    "reports:pct_pdf": row("302 404 404 404 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "reports:pct_page": row("404 404 404 404 404 200 | 200 404 404 404", "405 405 405 405 405 405"),
    "reports:pct_comment": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 403"),
    "reports:pct_no_comments": row("302 404 404 404 404 403 | 403 404 404 404", "302 404 404 404 404 403"),
    "reports:pct_comment_answer": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 403"),
    "reports:moderation": row("302 404 404 404 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "reports:moderation_progress": row("302 404 404 404 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "reports:moderation_adjust": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 403"),
    "reports:moderation_adjust_page": row("302 404 404 404 404 403 | 200 404 404 404", "302 405 405 405 405 405"),
    "reports:moderation_sub_indicators": row("302 404 404 404 404 200 | 200 404 404 404", "302 405 405 405 405 405"),
    "reports:moderation_sign_off": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 403"),
    "reports:cross_check": row("302 404 404 404 404 200 | 404 404 404 404", "302 405 405 405 405 405"),
    "reports:cross_check_window": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "reports:cross_check_decide": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 200"),
    "reports:publication": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 200"),
    "reports:publication_withdraw": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 302"),
    "reports:import_ratings": row("302 404 404 200 404 200 | 200 404 404 404", "302 404 404 200 404 200"),
    "reports:import_ratings_confirm": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 302 404 302"),
    "reports:summary": row("404 404 404 404 404 200 | 404 404 404 404", "405 405 405 405 405 405"),
    "reports:sha_summary": row("404 404 404 404 404 200 | 200 404 404 404", "405 405 405 405 405 405"),
    "reports:development": row("404 404 404 200 404 200 | 200 404 404 404", "405 405 405 405 405 405"),
    "reports:development_flag": row("302 404 404 302 404 302 | 302 404 404 404", "302 405 405 405 405 405"),
    "reports:development_plan": row("302 404 404 404 404 403 | 200 404 404 404", "302 404 404 404 404 403"),
    "reports:report_batches": row("302 404 404 404 404 200 | 404 404 404 404", "302 404 404 404 404 302"),
    "reports:report_batch_progress": row("302 404 404 404 404 200 | 404 404 404 404", "302 405 405 405 405 405"),
    "assessments:self_assessment": row("302 404 404 404 404 200 | 200 404 200 404", "302 404 404 404 404 403"),
    "assessments:evidence_upload": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 404"),
    "assessments:evidence_download": row("302 404 404 404 404 200 | 200 404 200 404", "302 405 405 405 405 405"),
    "assessments:send_back_self_assessment": row("302 404 404 404 404 302 | 302 404 404 404", "302 404 404 404 404 302"),
    "assessments:evidence_delete": row("302 405 405 405 405 405 | 405 405 405 405", "302 404 404 404 404 404"),
}
# fmt: on

# Every page of Django's admin: no demo user is staff, so each answers 302 to the admin's
# login, for every method, to everyone (the result models' pages included).
ADMIN = row("302 302 302 302 302 302 | 302 302 302 302", "302 302 302 302 302 302")


def expected(name: str) -> dict | None:
    if name not in MATRIX and name.startswith(("admin:", "route:admin/")):
        return ADMIN
    return MATRIX.get(name)


URLS = every_url()

# No outsider but the national team may read the subject's name on any page that answers
# 200 (the subject's own pages are 404 to them; their own lists must not include it).
SUBJECT_NAME = b"County Durham"

# The admin has some 300 URLs, all behind the same staff check: every one is requested
# anonymously and as the national team, and the result models' pages by everyone.
RESULT_MODELS = (
    "assessment_",
    "agreedrating",
    "ratingchange",
    "moderationadjustment",
    "regionreview",
    "factualaccuracycomment",
    "evidencedocument",
    "selfassessment",
    "localoutcomepriority",
    "developmentplan",
    "memberscore",
    "storedreport",
)


def _requested(name: str, persona: str) -> bool:
    if not name.startswith(("admin:", "route:admin/")) or persona in ("anonymous", "national"):
        return True
    return name in ("admin:index", "admin:login") or any(model in name for model in RESULT_MODELS)


@pytest.fixture(scope="module")
def subject(demo, django_db_blocker):
    with django_db_blocker.unblock():
        return build_subject()


def _seat_holder(ods: str, number: int = 2) -> str:
    from panels.models import Seat

    seat = Seat.objects.select_related("person__user").get(
        panel__assessment__round__slug="2009-10",
        panel__assessment__pct__ods_code=ods,
        seat_type__number=number,
    )
    return seat.person.user.username


def login(client, persona: str):
    client.logout()
    if persona == "anonymous":
        return
    username = {"member": lambda: _seat_holder("5PG"), "member.5nd": lambda: _seat_holder("5ND")}
    name = username[persona]() if persona in username else persona
    client.force_login(get_user_model().objects.get(username=name))


def answer(client, method: str, path: str) -> tuple[int, str, bytes]:
    """The status, the redirect (if any) and the body; a view's exception is a 500."""
    try:
        response = client.get(path) if method == "GET" else client.post(path, FORGED)
    except Exception as error:  # the test client re-raises the view's exception
        return 500, f"{type(error).__name__}: {error}", b""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response.get("Location", ""), body


@pytest.mark.django_db
def test_every_url_has_an_entry_and_every_argument_a_filler(subject):
    missing = [u.name for u in URLS if expected(u.name) is None]
    unfillable = []
    for url in URLS:
        try:
            path_of(url, subject)
        except LookupError as error:
            unfillable.append(str(error))

    assert missing == [], f"URLs with no entry in MATRIX: add a row for each: {missing}"
    assert unfillable == []
    assert sorted(set(MATRIX) - {u.name for u in URLS}) == [], "entries of URLs that are gone"


def test_the_walk_reaches_every_app():
    names = {u.name.split(":")[0] for u in URLS if ":" in u.name}

    assert len(URLS) > 60
    assert names >= {"admin", "panels", "reports", "assessments"}


# POSTs by which every signed-in persona changes their own account (its name): a write each
# may make, so the database is compared before them (they come after the others).
OWN_ACCOUNT = frozenset({"account_name"})


def _in_order(method: str):
    """Every URL; for POST the own-account changes, then the logouts, last (the logouts end
    the persona's session)."""
    if method == "GET":
        return URLS
    return sorted(URLS, key=lambda u: (u.name.endswith("logout"), u.name in OWN_ACCOUNT))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, subject, persona):
    login(client, persona)
    got: dict[str, dict] = {"GET": {}, "POST": {}}
    problems = []
    methods = ["GET", "POST"] if persona in OUTSIDERS else ["GET"]
    before = after = None
    for method in methods:
        if method == "POST":
            before = snapshot()
        for url in _in_order(method):
            if not _requested(url.name, persona):
                continue
            if method == "POST" and url.name in OWN_ACCOUNT and after is None:
                after = snapshot()
            try:
                path = path_of(url, subject)
            except LookupError as error:
                problems.append(str(error))
                continue
            status, where, body = answer(client, method, path)
            got[method][url.name] = status
            want = (expected(url.name) or {}).get(method, {}).get(persona)
            if status == 500:
                problems.append(f"500 {method} {path}: {where}")
            elif status != want:
                problems.append(f"{method} {path} ({url.name}): {status}, expected {want}")
            elif status == 302 and persona == "anonymous":
                if not where.startswith(LOGIN_PAGES) and url.name not in REDIRECTS_ELSEWHERE:
                    problems.append(f"{method} {path}: anonymous sent to {where}, not to log in")
            elif status == 200 and persona in OUTSIDERS[:-1] and SUBJECT_NAME in body:
                problems.append(f"{method} {path}: {persona} sees {SUBJECT_NAME}")
    if os.environ.get("MATRIX_RECORD"):
        _record(persona, got)
    if before is not None and persona != "national":
        after = after or snapshot()
        changed = sorted(label for label in before if before[label] != after[label])
        assert changed == [], f"{persona}'s forged POSTs changed {changed}"

    assert problems == [], "\n".join(problems)


# Where anonymous visitors are sent: the site's login (LoginRequiredMiddleware, the
# admin's pages too), the admin's own for its index, or the login-required page of auth.
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")
# Anonymous 302s that are not to the login page: each is the view's own answer.
REDIRECTS_ELSEWHERE = {
    "favicon",  # to the icon in /static/
    "password_reset",  # a POST: to "check your e-mail"
}


def _record(persona, got):  # pragma: no cover - MATRIX_RECORD=DIR: what each URL answered
    with open(os.path.join(os.environ["MATRIX_RECORD"], f"matrix-{persona}.txt"), "w") as out:
        for method, answers in got.items():
            for name, status in answers.items():
                out.write(f"{method} {name} {status}\n")


# --- The embargo: every output, on a frozen clock, at three points of the process ----------
#
# The subject's outputs are requested with the clock frozen (time_machine) before the
# cross-check (North East at regional moderation), during 5ND's factual-accuracy window
# (the national team confirmed North East on the frozen clock) and an hour after
# publication. Nothing of the unpublished round reaches anyone outside the process, and
# no 200 body of an outsider's names the subject before publication; everything
# published reaches anonymous visitors (but the PDF and the evidence, which stay the
# board's, its SHA staff's and the national team's). No demo user is staff: the admin's
# pages of the result models send everyone to log in.

EMBARGO_PERSONAS = [*OUTSIDERS, "moderator.q30", "board.5nd"]


def outputs(subject) -> dict[str, str]:
    from assessments.models import Assessment

    assessment = Assessment.objects.get(round__slug=subject.round_slug, pct__ods_code=subject.ods)
    round_, ods, sha = subject.round_slug, subject.ods, subject.sha_code
    return {
        "league": f"/reports/league-table/{round_}/",
        "csv": f"/reports/league-table/{round_}/?format=csv",
        "xlsx": f"/reports/league-table/{round_}/?format=xlsx",
        "sub-csv": f"/reports/league-table/{round_}/?format=csv&sub_indicators=1",
        "json": f"/api/results/{round_}.json",
        "page": f"/reports/pct/{ods}/{round_}/",
        "pdf": f"/reports/pct/{ods}/{round_}.pdf",
        "england": f"/reports/summary/{round_}/",
        "region": f"/reports/summary/{round_}/{sha}/",
        "development": f"/reports/development/{round_}/",
        "evidence": f"/assessments/evidence/{subject.evidence_pk}/",
        "panel-evidence": f"/panels/{round_}/{ods}/evidence/{subject.evidence_pk}/",
        "admin-ratings": "/admin/assessments/agreedrating/",
        "admin-rating": f"/admin/assessments/agreedrating/{subject.rating_id}/change/",
        "admin-assessment": f"/admin/assessments/assessment/{assessment.pk}/change/",
        "admin-comments": "/admin/assessments/factualaccuracycomment/",
    }


def answers(*codes: str) -> dict[str, int]:
    """An output's answers, in the order of EMBARGO_PERSONAS (the outsiders, then
    moderator.q30 and board.5nd)."""
    (line,) = codes
    return dict(zip(EMBARGO_PERSONAS, map(int, line.split()), strict=True))


ADMIN_ANSWERS = answers("302 302 302 302 302 302 302 302")
# fmt: off
BEFORE = {
    #                    anon mem  ch34 mod34 b5pg nat  mod30 b5nd
    "league":    answers("404 404 404 200 404 200 200 404"),  # q34: its own rows only
    "csv":       answers("404 404 404 200 404 200 200 404"),
    "xlsx":      answers("404 404 404 200 404 200 200 404"),
    "sub-csv":   answers("404 404 404 200 404 200 200 404"),
    "json":      answers("404 404 404 404 404 404 404 404"),
    "page":      answers("404 404 404 404 404 200 200 404"),
    "pdf":       answers("302 404 404 404 404 200 200 404"),
    "england":   answers("404 404 404 404 404 200 404 404"),
    "region":    answers("404 404 404 404 404 200 200 404"),
    "development": answers("404 404 404 200 404 200 200 404"),
    "evidence":  answers("302 404 404 404 404 200 200 200"),
    "panel-evidence": answers("302 404 404 404 404 200 200 404"),
}
# During its window 5ND's board sees its own draft, page and PDF, and nothing else.
WINDOW = BEFORE | {
    "page":      answers("404 404 404 404 404 200 200 200"),
    "pdf":       answers("302 404 404 404 404 200 200 200"),
}
# A minute before publication the boards' windows have closed: as before the cross-check.
CLOSED = BEFORE
PUBLISHED = {
    "league":    answers("200 200 200 200 200 200 200 200"),
    "csv":       answers("200 200 200 200 200 200 200 200"),
    "xlsx":      answers("200 200 200 200 200 200 200 200"),
    "sub-csv":   answers("200 200 200 200 200 200 200 200"),
    "json":      answers("200 200 200 200 200 200 200 200"),
    "page":      answers("200 200 200 200 200 200 200 200"),
    "pdf":       answers("302 404 404 404 404 200 200 200"),
    "england":   answers("200 200 200 200 200 200 200 200"),
    "region":    answers("200 200 200 200 200 200 200 200"),
    "development": answers("200 200 200 200 200 200 200 200"),
    "evidence":  answers("302 404 404 404 404 200 200 200"),
    "panel-evidence": answers("302 404 404 404 404 200 200 404"),
}
# fmt: on
for _table in (BEFORE, WINDOW, PUBLISHED):
    _table.update(
        dict.fromkeys(("admin-ratings", "admin-rating", "admin-assessment"), ADMIN_ANSWERS)
    )
    _table["admin-comments"] = ADMIN_ANSWERS

# The clock: a working day in spring 2010, North East confirmed then; its window open a
# day later; publication the day after the window closes, the clock an hour after it.
T0 = datetime.datetime(2010, 4, 20, 10, 0, tzinfo=datetime.UTC)


def _text(response) -> bytes:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = (c for sheet in book for r in sheet.iter_rows(values_only=True) for c in r)
        return " ".join(str(c) for c in cells if c is not None).encode()
    return body


def embargo_answers(client, subject, persona, *, published: bool) -> list[str]:
    """What each output answers the persona, as ``name status``; before publication an
    outsider's 200 that names the subject is reported too."""
    login(client, persona)
    got = []
    for name, path in outputs(subject).items():
        try:
            response = client.get(path)
        except Exception as error:  # the test client re-raises the view's exception
            got.append(f"{name} 500 {type(error).__name__}: {error}")
            continue
        body = _text(response)
        got.append(f"{name} {response.status_code}")
        outsider = persona in OUTSIDERS[:-1]
        if response.status_code == 200 and outsider and not published and SUBJECT_NAME in body:
            got.append(f"{name}: {persona} sees {SUBJECT_NAME.decode()} before publication")
    return got


def want(table, persona) -> list[str]:
    return [f"{name} {table[name][persona]}" for name in table]


def diff(got: list[str], wanted: list[str]) -> str:
    return (
        "got "
        + "; ".join(sorted(set(got) - set(wanted)))
        + " | wanted "
        + "; ".join(sorted(set(wanted) - set(got)))
    )


def confirm_region(subject):
    from assessments.models import AssessmentRound, StrategicHealthAuthority
    from assessments.regions import region_confirm, region_sign_off

    round_ = AssessmentRound.objects.get(slug=subject.round_slug)
    sha = StrategicHealthAuthority.objects.get(ods_code=subject.sha_code)
    region_sign_off(
        round_=round_, sha=sha, by=get_user_model().objects.get(username="moderator.q30")
    )
    return region_confirm(
        round_=round_, sha=sha, by=get_user_model().objects.get(username="national")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", EMBARGO_PERSONAS)
def test_embargo_before_the_cross_check(client, subject, persona):
    with time_machine.travel(T0, tick=False):
        got = embargo_answers(client, subject, persona, published=False)

    assert got == want(BEFORE, persona), diff(got, want(BEFORE, persona))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", EMBARGO_PERSONAS)
def test_embargo_during_the_boards_window(client, subject, persona):
    with time_machine.travel(T0, tick=False):
        review = confirm_region(subject)
    assert review.factual_accuracy_closes > T0 + datetime.timedelta(days=1)

    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        got = embargo_answers(client, subject, persona, published=False)

    assert got == want(WINDOW, persona), diff(got, want(WINDOW, persona))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", EMBARGO_PERSONAS)
def test_embargo_after_publication(client, subject, persona):
    from assessments.models import AssessmentRound

    with time_machine.travel(T0, tick=False):
        review = confirm_region(subject)
    publication = review.factual_accuracy_closes + datetime.timedelta(days=1)
    AssessmentRound.objects.filter(slug=subject.round_slug).update(published_at=publication)

    with time_machine.travel(publication - datetime.timedelta(minutes=1), tick=False):
        early = embargo_answers(client, subject, persona, published=False)
        assert early == want(CLOSED, persona), diff(early, want(CLOSED, persona))
    with time_machine.travel(publication + datetime.timedelta(hours=1), tick=False):
        got = embargo_answers(client, subject, persona, published=True)

    assert got == want(PUBLISHED, persona), diff(got, want(PUBLISHED, persona))


@pytest.mark.django_db
def test_the_name_check_can_fire(client, subject):
    """The subject's name is on its region's league table for its own SHA staff, so the
    checks above that no outsider reads it would notice a row that leaked."""
    login(client, "moderator.q30")

    with time_machine.travel(T0, tick=False):
        body = client.get(outputs(subject)["league"]).content

    assert SUBJECT_NAME in body
