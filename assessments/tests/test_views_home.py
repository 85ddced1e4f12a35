import datetime
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from assessments.models import Role, Stage
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    PersonFactory,
    RegionReviewFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _TestTextParser(HTMLParser):
    """Texts of the elements marked ``data-test=name``, inside ``data-test=within``."""

    def __init__(self, name: str, within: str | None):
        super().__init__()
        self.name, self.within = name, within
        self.stack: list[str | None] = []
        self.found: list[list[str]] = []
        self.open: list[int] = []  # stack depths of the captures still open

    def handle_starttag(self, tag, attrs):
        if self.open:
            self.found[-1].append(" ")
        if tag in VOID_TAGS:
            return
        mark = dict(attrs).get("data-test")
        inside = self.within is None or self.within in self.stack
        self.stack.append(mark)
        if mark == self.name and inside:
            self.found.append([])
            self.open.append(len(self.stack))

    def handle_endtag(self, tag):
        if self.open:
            self.found[-1].append(" ")
        if tag in VOID_TAGS:
            return
        if self.open and self.open[-1] == len(self.stack):
            self.open.pop()
        self.stack.pop()

    def handle_data(self, data):
        if self.open:
            self.found[-1].append(data)


def texts(response, name: str, within: str | None = None) -> list[str]:
    """Whitespace-normalised texts of the marked elements; elements are space-separated."""
    parser = _TestTextParser(name, within)
    parser.feed(response.content.decode())
    return [" ".join("".join(parts).split()) for parts in parser.found]


class _RowParser(HTMLParser):
    """The body rows (lists of cell texts) of tables inside ``data-test=within``."""

    def __init__(self, within: str):
        super().__init__()
        self.within = within
        self.stack: list[str | None] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        self.stack.append(dict(attrs).get("data-test"))
        if self.within not in self.stack:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        self.stack.pop()

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def rows(response, within: str) -> list[list[str]]:
    parser = _RowParser(within)
    parser.feed(response.content.decode())
    return parser.rows


def national_user():
    return RoleFactory(kind=Role.Kind.NATIONAL, user=UserFactory(first_name="Nia")).user


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def board_of(pct):
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct).user


def seat(user, assessment, *, number=2, is_chair=False, submitted_at=None):
    """A seat on the panel of ``assessment`` for the user's person (made on first use)."""
    person = getattr(user, "person", None) or PersonFactory(user=user, pct=PCTFactory())
    return SeatFactory(
        panel__assessment=assessment,
        seat_type=SeatTypeFactory(
            number=number,
            is_chair=is_chair,
            # As in fixtures/seat_types.json: the chair's seat says so in its name.
            name="Local SHA director (chair)" if is_chair else f"Seat {number}",
        ),
        person=person,
        submitted_at=submitted_at,
    )


# --- Access ---------------------------------------------------------------------------


def test_home_logged_out_is_the_public_front_page_with_published_rounds_only(
    client, django_assert_num_queries
):
    past = timezone.now() - datetime.timedelta(days=1)
    AssessmentRoundFactory(slug="2008-09", name="Round 2008-09", published_at=past)
    AssessmentRoundFactory(slug="2009-10", name="Round 2009-10", published_at=None)
    AssessmentRoundFactory(slug="2010-11", published_at=timezone.now() + datetime.timedelta(days=1))

    with django_assert_num_queries(1):
        response = client.get("/")

    assert texts(response, "published-round") == [
        f"Round 2008-09 Published on {timezone.localtime(past):%-d %B %Y}. "
        "League table 2008-09 : every PCT ranked by governance, then by competencies; also "
        "as CSV or Excel. Summary for England 2008-09 : the share of PCTs at each level and "
        "light, and each SHA beside England. Directed development 2008-09 : the PCTs given a "
        "development plan. Open data 2008-09 (JSON) : every PCT's published results."
    ]
    body = response.content.decode()
    for url in (
        "/reports/league-table/2008-09/",
        "/reports/summary/2008-09/",
        "/api/results/2008-09.json",
        "/help/",
        "/accounts/login/",
    ):
        assert f'href="{url}"' in body
    assert "2009-10" not in body and "2010-11" not in body
    assert texts(response, "login-link") == ["Log in"]


def test_a_round_opened_for_some_shas_says_so_on_the_front_page(client):
    """Walk V: one SHA's 16 PCTs read "every PCT ranked" and "Summary for England"."""
    past = timezone.now() - datetime.timedelta(days=1)
    round_ = AssessmentRoundFactory(slug="2010-11", name="Round 2010-11", published_at=past)
    west = SHAFactory(name="West Midlands")
    for _ in range(2):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=west), stage=Stage.PUBLISHED)
    SHAFactory(name="North East")  # not opened

    [text] = texts(client.get("/"), "published-round")

    assert "This round assessed the 2 PCTs of 1 of England's 2 SHAs only" in text
    assert "League table 2010-11 : the 2 PCTs assessed ranked by governance" in text
    assert "Summary 2010-11 :" in text and "beside all the PCTs assessed" in text


def test_home_logged_out_with_nothing_published_says_so(client):
    AssessmentRoundFactory(slug="2009-10", published_at=None)

    response = client.get("/")

    assert texts(response, "published-round") == []
    assert texts(response, "no-published-rounds") != []


def test_home_logged_in_keeps_the_users_work_and_no_login_link(client):
    client.force_login(national_user())

    response = client.get("/")

    assert response.templates[0].name == "home.html"
    assert texts(response, "login-link") == []
    assert b">Log out</button>" in response.content


def test_favicon_redirects_to_the_static_file(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/favicon.ico")


def test_unknown_page_answers_404_with_our_page(client):
    client.force_login(UserFactory())

    response = client.get("/no-such-page/")

    assert (response.status_code, texts(response, "roles")) == (404, [""])
    assert b"<h1>Page not found</h1>" in response.content


def test_healthz_is_public_and_checks_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz/")

    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"ok",
        "text/plain; charset=utf-8",
    )


def test_healthz_refuses_post(client):
    assert client.post("/healthz/").status_code == 405


def test_login_page_names_demo_users_and_password_from_settings(client, settings):
    settings.DEMO_PASSWORD = "another-demo-pass"
    settings.SHOW_DEMO_LOGINS = True

    response = client.get("/accounts/login/")

    assert texts(response, "demo-password") == ["another-demo-pass"]
    assert [t.split(" — ")[0] for t in texts(response, "demo-users")[0:1]] == ["national"]
    assert response.context["demo_users"][:4] == [
        ("national", "the national assurance team"),
        ("moderator.q34", "staff of the West Midlands SHA"),
        ("chair.q34", "chair of the West Midlands panels"),
        ("board.5pg", "the board of Birmingham East and North PCT"),
    ]


def test_login_page_names_no_demo_users_on_a_real_site(client, settings):
    settings.SHOW_DEMO_LOGINS = False

    response = client.get("/accounts/login/")

    assert "demo_users" not in response.context
    assert b"wcc-demo" not in response.content


def test_login_then_home(client):
    UserFactory(username="alice")

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "pass-for-tests", "next": "/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/")


def test_login_with_wrong_password_shows_error_summary(client):
    UserFactory(username="alice")

    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert b"There is a problem" in response.content


def test_logout_by_post_goes_to_login(client):
    client.force_login(UserFactory())

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert client.get("/").templates[0].name == "public_home.html"


# --- Layout ---------------------------------------------------------------------------


def test_header_shows_roles_and_admin_link_only_for_staff_users(client):
    sha = SHAFactory(name="West Midlands")
    user = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha, user=UserFactory(is_staff=True)).user
    RoleFactory(kind=Role.Kind.NATIONAL, user=user)
    client.force_login(user)

    response = client.get("/")

    assert texts(response, "roles") == ["National assurance team · SHA staff: West Midlands"]
    assert b'href="/admin/"' in response.content


def test_header_has_no_admin_link_for_other_users(client):
    client.force_login(national_user())

    response = client.get("/")

    assert b'href="/admin/"' not in response.content
    assert b'<a href="/" aria-current="page">Home</a>' in response.content


# --- No role --------------------------------------------------------------------------


def test_home_without_role_says_whom_to_ask(client):
    client.force_login(UserFactory())

    response = client.get("/")

    assert texts(response, "no-role") != []
    assert "ask your strategic health authority" in texts(response, "no-role")[0].lower()
    assert [texts(response, s) for s in ("panels", "region", "board", "national")] == [[]] * 4


# --- Panel member ---------------------------------------------------------------------


def test_home_lists_seats_newest_round_first_then_by_pct(client):
    user = UserFactory()
    old, new = AssessmentRoundFactory(slug="2008-09"), AssessmentRoundFactory(slug="2009-10")
    new.scoring_due = datetime.date(2009, 11, 30)
    new.save()
    seat(user, AssessmentFactory(round=old, pct=PCTFactory(name="Bolton PCT", ods_code="5HQ")))
    seat(
        user,
        AssessmentFactory(round=new, pct=PCTFactory(name="Tower Hamlets PCT", ods_code="5C4")),
        number=1,
        is_chair=True,
    )
    seat(
        user,
        AssessmentFactory(round=new, pct=PCTFactory(name="Hull PCT", ods_code="5NX")),
        submitted_at=datetime.datetime(2009, 11, 20, 12, tzinfo=datetime.UTC),
    )
    client.force_login(user)

    response = client.get("/")

    assert texts(response, "pct", within="panels") == [
        "Hull PCT",
        "Tower Hamlets PCT",
        "Bolton PCT",
    ]
    assert rows(response, "panels") == [
        [
            "Hull PCT 5NX",
            "Round 2009-10",
            "Seat 2",
            "Self-assessment",
            "30 November 2009",
            "Submitted 20 November 2009",
        ],
        [
            "Tower Hamlets PCT 5C4",
            "Round 2009-10",
            "Local SHA director (chair)Consensus for Tower Hamlets PCT",
            "Self-assessment",
            "30 November 2009",
            "Not submitted",
        ],
        [
            "Bolton PCT 5HQ",
            "Round 2008-09",
            "Seat 2",
            "Self-assessment",
            "Not set",
            "Not submitted",
        ],
    ]
    assert texts(response, "roles") == ["Panel member"]
    assert texts(response, "no-role") == []


@pytest.mark.parametrize("n", [1, 3])
def test_home_panel_member_query_count(client, django_assert_num_queries, n):
    user = UserFactory()
    for _ in range(n):
        seat(user, AssessmentFactory())
    client.force_login(user)

    with django_assert_num_queries(5):  # 4 + scores due
        response = client.get("/")

    assert len(texts(response, "pct", within="panels")) == n


# --- SHA staff ------------------------------------------------------------------------


def test_home_shows_region_by_round_and_stage(client):
    sha = SHAFactory(name="West Midlands")
    old, new = AssessmentRoundFactory(slug="2008-09"), AssessmentRoundFactory(slug="2009-10")
    a = PCTFactory(sha=sha, name="Birmingham East and North PCT", ods_code="BEN")
    b = PCTFactory(sha=sha, name="Coventry PCT", ods_code="COV")
    c = PCTFactory(sha=sha, name="Dudley PCT", ods_code="DUD")
    for pct in (a, b, c):
        AssessmentFactory(round=old, pct=pct, stage=Stage.PUBLISHED)
    AssessmentFactory(round=new, pct=a, stage=Stage.SCORING)
    AssessmentFactory(round=new, pct=b, stage=Stage.SCORING)
    AssessmentFactory(round=new, pct=c, stage=Stage.CONSENSUS)
    AssessmentFactory(round=new, pct=PCTFactory(name="Elsewhere PCT"))  # another SHA
    client.force_login(staff_of(sha))

    response = client.get("/")

    assert texts(response, "stage-count", within="region") == [
        "Scoring: 2",
        "Panel consensus: 1",
        "Published: 3",
    ]
    assert (
        texts(response, "pct", within="region")
        == [
            "Birmingham East and North PCT",
            "Coventry PCT",
            "Dudley PCT",
        ]
        * 2
    )
    assert rows(response, "region")[:3] == [
        ["Birmingham East and North PCT", "BEN", "Scoring"],
        ["Coventry PCT", "COV", "Scoring"],
        ["Dudley PCT", "DUD", "Panel consensus"],
    ]
    assert texts(response, "roles") == ["SHA staff: West Midlands"]


@pytest.mark.parametrize("n", [1, 3])
def test_home_sha_staff_query_count(client, django_assert_num_queries, n):
    sha = SHAFactory()
    for _ in range(n):
        AssessmentFactory(pct=PCTFactory(sha=sha))
    client.force_login(staff_of(sha))

    with django_assert_num_queries(13):  # 5 + eight SHA staff queues
        response = client.get("/")

    assert len(texts(response, "pct", within="region")) == n


# --- PCT board ------------------------------------------------------------------------


def test_home_shows_board_its_pct_and_assessments(client):
    sha = SHAFactory(name="West Midlands")
    pct = PCTFactory(name="Birmingham East and North PCT", ods_code="5PG", sha=sha)
    published = AssessmentRoundFactory(
        slug="2008-09", published_at=timezone.now() - datetime.timedelta(days=1)
    )
    AssessmentFactory(pct=pct, round=published, stage=Stage.PUBLISHED)
    AssessmentFactory(pct=pct, round=AssessmentRoundFactory(slug="2009-10"), stage=Stage.SCORING)
    AssessmentFactory(pct=PCTFactory(sha=sha))  # a neighbour
    client.force_login(board_of(pct))

    response = client.get("/")

    assert texts(response, "pct", within="board") == ["Birmingham East and North PCT"]
    assert texts(response, "board-pct")[0].startswith(
        "Birmingham East and North PCT 5PG Primary care trust in West Midlands strategic "
        "health authority."
    )
    assert rows(response, "board") == [
        ["Round 2009-10", "Scoring", "View the 2009-10 self-assessment", "After publication"],
        [
            "Round 2008-09",
            "Published",
            "View the 2008-09 self-assessment",
            "Results for 2008-09 · Download (PDF) for 2008-09",
        ],
    ]


@pytest.mark.parametrize(
    ("closes_in", "report"),
    [
        (
            datetime.timedelta(days=2),
            "Results (draft) for 2009-10 · Download (PDF): draft for 2009-10",
        ),
        (-datetime.timedelta(minutes=1), "After publication"),
    ],
)
def test_home_links_the_boards_draft_only_while_its_window_is_open(client, closes_in, report):
    pct = PCTFactory(ods_code="5ND")
    round_ = AssessmentRoundFactory(slug="2009-10")
    AssessmentFactory(pct=pct, round=round_, stage=Stage.FACTUAL_ACCURACY)
    RegionReviewFactory(
        round=round_,
        sha=pct.sha,
        status="confirmed",
        factual_accuracy_closes=timezone.now() + closes_in,
    )
    client.force_login(board_of(pct))

    response = client.get("/")

    assert rows(response, "board")[0][3] == report


def test_home_calls_a_held_back_report_a_draft_after_publication(client):
    """An unanswered comment holds the PCT back: the board's report is still its draft."""
    pct = PCTFactory(ods_code="5PG")
    round_ = AssessmentRoundFactory(
        slug="2009-10", published_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assessment = AssessmentFactory(pct=pct, round=round_, stage=Stage.FACTUAL_ACCURACY)
    RegionReviewFactory(
        round=round_,
        sha=pct.sha,
        status="confirmed",
        factual_accuracy_closes=timezone.now() - datetime.timedelta(days=1),
    )
    board = board_of(pct)
    FactualAccuracyCommentFactory(assessment=assessment, raised_by=board)
    client.force_login(board)

    response = client.get("/")

    assert rows(response, "board")[0][3] == (
        "Results (draft) for 2009-10 · Download (PDF): draft for 2009-10"
    )
    # the public walk: the stage read "Factual-accuracy check", as if nothing were wrong
    assert rows(response, "board")[0][1] == "Held back: a comment to answer"


def test_home_calls_a_round_past_its_publication_time_published(client):
    """Before the notices move the stage on, the results are out: the public walk read
    "Factual-accuracy check" beside "Results · Download (PDF)"."""
    pct = PCTFactory(ods_code="5PG")
    round_ = AssessmentRoundFactory(
        slug="2009-10", published_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    AssessmentFactory(pct=pct, round=round_, stage=Stage.FACTUAL_ACCURACY)
    RegionReviewFactory(
        round=round_,
        sha=pct.sha,
        status="confirmed",
        factual_accuracy_closes=timezone.now() - datetime.timedelta(days=1),
    )
    client.force_login(board_of(pct))

    assert rows(client.get("/"), "board")[0][1] == "Published"


@pytest.mark.parametrize("n", [1, 3])
def test_home_board_query_count(client, django_assert_num_queries, n):
    user = UserFactory()
    for _ in range(n):
        pct = PCTFactory()
        RoleFactory(user=user, kind=Role.Kind.PCT_BOARD, pct=pct)
        AssessmentFactory(pct=pct)
    client.force_login(user)

    with django_assert_num_queries(11):  # 6 + four board queues + the take-backs
        response = client.get("/")

    assert len(texts(response, "board-pct")) == n


@pytest.mark.parametrize("n", [1, 3])
def test_home_board_query_count_at_the_factual_accuracy_check(client, django_assert_num_queries, n):
    """Each assessment's report link asks its factual-accuracy window: read all at once."""
    user = UserFactory()
    for _ in range(n):
        pct = PCTFactory()
        RoleFactory(user=user, kind=Role.Kind.PCT_BOARD, pct=pct)
        assessment = AssessmentFactory(pct=pct, stage=Stage.FACTUAL_ACCURACY)
        RegionReviewFactory(
            round=assessment.round,
            sha=pct.sha,
            factual_accuracy_closes=timezone.now() + timedelta(days=5),
        )
    client.force_login(user)

    with django_assert_num_queries(14):  # the page as above, and the windows in three
        response = client.get("/")

    assert len(texts(response, "board-pct")) == n
    assert response.content.decode().count('data-test="report-pdf"') == n


# --- National team --------------------------------------------------------------------


def test_home_shows_national_table_with_totals(client):
    round_ = AssessmentRoundFactory(slug="2009-10")
    north = SHAFactory(name="North West", ods_code="Q31")
    west = SHAFactory(name="West Midlands", ods_code="Q34")
    for stage in (Stage.MODERATION, Stage.MODERATION, Stage.CROSS_CHECK):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=north), stage=stage)
    for _ in range(2):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=west), stage=Stage.SCORING)
    client.force_login(national_user())

    response = client.get("/")

    assert rows(response, "national") == [
        ["North West Q31", "0", "0", "0", "0", "2", "1", "0", "0", "3"],
        ["West Midlands Q34", "0", "0", "2", "0", "0", "0", "0", "0", "2"],
    ]
    assert texts(response, "totals-row", within="national") == ["England 0 0 2 0 2 1 0 0 5"]
    assert texts(response, "no-role") == []


@pytest.mark.parametrize("n", [1, 3])
def test_home_national_query_count(client, django_assert_num_queries, n):
    for _ in range(n):
        AssessmentFactory(pct=PCTFactory(sha=SHAFactory()))
    client.force_login(national_user())

    with django_assert_num_queries(9):  # 5 + four national queues
        response = client.get("/")

    assert len(texts(response, "sha-row", within="national")) == n
