"""The self-assessment page: who sees it, what it shows, and what the server refuses.

On the real frameworks of both years (the services' tests use a small one)."""

import re

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from assessments.models import (
    Assessment,
    EvidenceDocument,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
)
from assessments.services import evidence_upload, self_assessment_save
from competencies.models import FrameworkVersion, SubIndicator
from competencies.reference import frameworks_load
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    UserFactory,
)
from tests.factories.files import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def frameworks() -> dict[str, FrameworkVersion]:
    """The real framework versions of both years, from the reference data."""
    frameworks_load(path=django_settings.BASE_DIR / "fixtures" / "frameworks.json")
    return {f.slug: f for f in FrameworkVersion.objects.all()}


def assessment_in(framework: FrameworkVersion, **kwargs) -> Assessment:
    return AssessmentFactory(
        round=AssessmentRoundFactory(slug=framework.slug, framework=framework),
        stage=kwargs.pop("stage", Stage.SELF_ASSESSMENT),
        **kwargs,
    )


@pytest.fixture
def framework(frameworks) -> FrameworkVersion:
    """The real 2009-10 framework for conftest's ``assessment`` (5PG, 2009-10 round)."""
    return frameworks["2009-10"]


def board_of(pct):
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct).user


def url(assessment, ods=None) -> str:
    return f"/assessments/{assessment.round.slug}/{ods or assessment.pct.ods_code}/self-assessment/"


def complete_post(framework, version, action="save", level="2", light="amber") -> dict:
    data = {"version": str(version), "action": action, "commentary": ""}
    data |= {c.code: level for c in framework.competencies.all()}
    data |= {a.code: light for a in framework.governance_areas.all()}
    data |= {s.code: light for s in sub_indicators(framework)}
    return data


def sub_indicators(framework) -> list:
    return list(SubIndicator.objects.filter(area__framework=framework).select_related("area"))


def complete_values(framework, level=2, light="amber") -> dict:
    return (
        {c: (level, "") for c in framework.competencies.all()}
        | {a: (light, "") for a in framework.governance_areas.all()}
        | {s: (light, "") for s in sub_indicators(framework)}
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- What the page shows -------------------------------------------------------------------


YEAR_TWO_AREAS = [
    *[f"strategy_{n}" for n in range(1, 7)],
    "strategy",
    *[f"finance_{n}" for n in range(1, 6)],
    "finance",
    *[f"board_{n}" for n in range(1, 6)],
    "board",
]


@pytest.mark.parametrize(
    ("slug", "codes", "area_codes"),
    [
        (
            "2008-09",
            [f"c{n}" for n in range(1, 11)],
            ["strategy", "finance_1", "finance_2", "finance_3", "finance", "board"],
        ),
        ("2009-10", [f"c{n}" for n in range(1, 12)], YEAR_TWO_AREAS),
    ],
)
def test_page_offers_the_items_and_descriptors_of_the_rounds_framework(
    client, frameworks, slug, codes, area_codes
):
    framework = frameworks[slug]
    assessment = assessment_in(framework)
    client.force_login(board_of(assessment.pct))
    c5 = framework.competencies.get(number=5)
    finance = framework.governance_areas.get(code="finance")

    response = client.get(url(assessment))

    form = response.context["form"]
    assert [item.code for item, *_ in form.items] == [*codes, *area_codes]
    assert form.fields["c5"].choices == [
        (str(d.level), f"Level {d.level}: {d.descriptor}") for d in c5.levels.order_by("level")
    ]
    assert form.fields["finance"].choices == [
        ("green", f"Green: {finance.green_meaning}"),
        ("amber", f"Amber: {finance.amber_meaning}"),
        ("red", f"Red: {finance.red_meaning}"),
    ]
    page = response.content.decode()
    assert escape(c5.levels.get(level=2).descriptor) in page
    assert form.fields["finance_1"].choices == [
        ("green", "Green: No concerns"),
        ("amber", "Amber: Some concerns"),
        ("red", "Red: Serious concerns"),
    ]
    assert page.count('type="radio"') == 4 * len(codes) + 3 * len(area_codes)
    assert page.count("<legend") == len(codes) + len(area_codes)


def test_every_id_on_the_page_is_unique_and_each_headline_light_has_its_label(client, frameworks):
    """A sub-indicator's code (strategy_1) once gave its radios' container the id of its
    area's amber radio (id_strategy_1): the label "Amber" then chose nothing."""
    import collections
    import re

    assessment = assessment_in(frameworks["2009-10"])
    client.force_login(board_of(assessment.pct))

    page = client.get(url(assessment)).content.decode()

    ids = collections.Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [name for name, n in ids.items() if n > 1] == []
    for area in ("strategy", "finance", "board"):  # "Amber" is the label of the amber radio
        assert re.search(rf'name="{area}" value="amber"\s+id="id_{area}_1"', page)
        assert f'<label for="id_{area}_1"' in page


def test_page_does_not_show_the_other_years_descriptors(client, frameworks):
    assessment = assessment_in(frameworks["2009-10"])
    client.force_login(board_of(assessment.pct))
    year_one = frameworks["2008-09"].competencies.get(number=5).levels.get(level=2)

    response = client.get(url(assessment))

    assert escape(year_one.descriptor) not in response.content.decode()


def test_ods_code_is_case_insensitive(client, assessment):
    client.force_login(board_of(assessment.pct))

    response = client.get(url(assessment, ods="5pg"))

    assert (response.status_code, response.context["assessment"]) == (200, assessment)


# --- Who may see and change it ---------------------------------------------------------------


def test_board_edits_another_board_and_an_outsider_get_404(client, assessment):
    users = {
        "board": board_of(assessment.pct),
        "other board": board_of(PCTFactory(sha=assessment.pct.sha)),
        "outsider": UserFactory(),
    }
    seen = {}

    for name, user in users.items():
        client.force_login(user)
        page = client.get(url(assessment))
        posted = client.post(url(assessment), {"version": "0", "action": "save", "c1": "4"})
        seen[name] = (page.status_code, page.context.get("editable"), posted.status_code)

    assert seen == {
        "board": (200, True, 302),
        "other board": (404, None, 404),
        "outsider": (404, None, 404),
    }
    assert SelfAssessmentRating.objects.get(competency__number=1).level == 4


def test_sha_staff_read_only_and_staff_of_another_sha_404(client, assessment, frameworks):
    self_assessment_save(
        assessment=assessment,
        values={frameworks["2009-10"].competencies.get(number=1): (3, "Strong.")},
        commentary="",
        by=board_of(assessment.pct),
        expected_version=0,
    )
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user
    other = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=PCTFactory().sha).user

    client.force_login(staff)
    page = client.get(url(assessment))
    posted = client.post(url(assessment), {"version": "1", "action": "save", "c1": "4"})
    client.force_login(other)
    elsewhere = client.get(url(assessment))

    assert (page.status_code, page.context["editable"]) == (200, False)
    assert "Save draft" not in page.content.decode()
    assert page.context["form"]["c1"].value() == "3"
    assert posted.status_code == 403  # may see, may not change
    assert elsewhere.status_code == 404
    assert SelfAssessmentRating.objects.get().level == 3


def test_national_team_reads_only(client, assessment):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(url(assessment))

    assert (response.status_code, response.context["editable"]) == (200, False)


def test_seat_holders_read_the_self_assessment_on_their_scoring_page_not_here(client, assessment):
    user = UserFactory()
    SeatFactory(
        panel__assessment=assessment,
        seat_type=SeatTypeFactory(number=2),
        person=PersonFactory(user=user, pct=PCTFactory()),
    )
    client.force_login(user)

    assert client.get(url(assessment)).status_code == 404


# --- Saving and submitting -------------------------------------------------------------------


def test_conflict_keeps_what_was_typed_and_saving_again_replaces(client, assessment, frameworks):
    framework = frameworks["2009-10"]
    alice, bob = board_of(assessment.pct), UserFactory()
    RoleFactory(user=bob, kind=Role.Kind.PCT_BOARD, pct=assessment.pct)
    client.force_login(alice)
    client.post(url(assessment), complete_post(framework, 0, level="1"))
    # Both open the page at version 1; Alice saves first.
    client.post(url(assessment), complete_post(framework, 1, level="3") | {"commentary": "A."})
    other_client = Client()
    other_client.force_login(bob)

    response = other_client.post(
        url(assessment), complete_post(framework, 1, level="4") | {"commentary": "B."}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors() == [
        "This self-assessment changed since you opened this page (someone saved in another "
        "window or browser). Your answers are still below. Save again to replace what was "
        "saved with them, or reload the page to see what was saved instead."
    ]
    assert (form["c1"].value(), form["commentary"].value(), form["version"].value()) == (
        "4",
        "B.",
        "2",
    )
    assert set(
        SelfAssessmentRating.objects.exclude(level=None).values_list("level", flat=True)
    ) == {3}

    other_client.post(url(assessment), complete_post(framework, 2, level="4"))

    assert set(
        SelfAssessmentRating.objects.exclude(level=None).values_list("level", flat=True)
    ) == {4}


def test_submit_with_missing_items_names_each_beside_its_field_and_at_the_top(
    client, assessment, frameworks
):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="submit") | {"confirm": "on"}
    del data["c5"], data["finance"]

    response = client.post(url(assessment), data)

    form = response.context["form"]
    assert form.errors == {
        "c5": ["5. Managing knowledge and assessing need: choose a level."],
        "finance": ["Financial management: choose a light."],
    }
    page = response.content.decode()
    summary = page[page.index('data-test="error-summary"') :]
    assert re.findall(r'<a href="#(id_\w+)">', summary[: summary.index("</div>")]) == [
        "id_c5_0",
        "id_finance_0",
    ]
    assert "<title>Error: Self-assessment:" in page
    assert 'id="id_c5_0"' in page  # where the summary's link leads
    assert 'id="id_finance_0"' in page
    assert form["c1"].value() == "2"  # what the board chose is still on the page
    assert SelfAssessment.objects.count() == 0
    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT


def test_submit_needs_the_confirmation_but_a_draft_does_not(client, assessment, frameworks):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))

    refused = client.post(url(assessment), complete_post(framework, 0, action="submit"))
    saved = client.post(url(assessment), complete_post(framework, 0, action="save"), follow=True)

    assert refused.context["form"].errors == {
        "confirm": ["Tick this box to submit: the board must have agreed it."]
    }
    assert messages_of(saved) == ["Draft saved. You can come back and finish at any time."]
    assert SelfAssessment.objects.get().status == "draft"


def test_submit_reports_the_missing_items_and_the_tick_together(client, assessment, frameworks):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="submit")
    del data["c1"], data["finance"]

    response = client.post(url(assessment), data)

    links = [
        (href, message)
        for href, message in re.findall(
            r'<li><a href="#(\w+)">([^<]+)</a></li>', response.content.decode()
        )
    ]
    assert links == [
        ("id_c1_0", "1. Locally leading the NHS: choose a level."),
        ("id_finance_0", "Financial management: choose a light."),
        ("id_confirm", "Tick this box to submit: the board must have agreed it."),
    ]
    page = response.content.decode()
    assert page.count('data-test="error-summary"') == 1
    assert page.index('data-test="error-summary"') < page.index('id="evidence-heading"')
    assert "Our level for" not in page[: page.index('id="evidence-heading"')]
    assert SelfAssessment.objects.count() == 0


def test_upload_saves_the_typed_answers_as_a_draft_first(client, assessment, frameworks, media):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="upload", level="3") | {
        "c1_commentary": "Typed before uploading.",
        "doc_type": "other",
        "title": "Board minutes",
        "file": SimpleUploadedFile("minutes.pdf", PDF),
    }

    response = client.post(
        f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/evidence/",
        data,
        follow=True,
    )

    assert messages_of(response) == [
        "Your answers were saved as a draft and the document uploaded: Board minutes."
    ]
    rating = SelfAssessmentRating.objects.get(competency__number=1)
    assert (rating.level, rating.commentary) == (3, "Typed before uploading.")
    assert SelfAssessment.objects.get().status == "draft"
    assert response.context["form"]["c1_commentary"].value() == "Typed before uploading."


def test_upload_without_a_type_keeps_the_typed_answers_and_asks_for_it(
    client, assessment, frameworks, media
):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="upload") | {
        "c1_commentary": "Typed before uploading.",
        "file": SimpleUploadedFile("minutes.pdf", PDF),
    }

    response = client.post(
        f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/evidence/", data
    )

    page = response.content.decode()
    assert '<a href="#id_doc_type">Type of document: Choose the type of document.</a>' in page
    assert "<title>Error: Self-assessment:" in page
    assert response.context["form"]["c1_commentary"].value() == "Typed before uploading."
    assert SelfAssessment.objects.count() == 0
    # The page came back at the upload's address: Save draft and Submit must still post to
    # the self-assessment, not to the upload again.
    sa_url = f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/self-assessment/"
    assert f'<form method="post" action="{sa_url}" novalidate id="self-assessment"' in page


def test_upload_on_a_stale_page_keeps_the_typed_answers_and_uploads_nothing(
    client, assessment, frameworks, media
):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    client.post(url(assessment), complete_post(framework, 0, level="2"))  # version 1
    client.post(url(assessment), complete_post(framework, 1, level="3"))  # another window
    data = complete_post(framework, 1, action="upload", level="4") | {
        "c1_commentary": "Typed on the stale page.",
        "doc_type": "other",
        "title": "Board minutes",
        "file": SimpleUploadedFile("minutes.pdf", PDF),
    }

    response = client.post(
        f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/evidence/", data
    )

    page = response.content.decode()
    assert "This self-assessment changed since you opened this page" in page
    assert (
        "Not uploaded: your answers could not be saved first, since the self-assessment "
        "was saved elsewhere meanwhile. Choose the file again." in page
    )
    form = response.context["form"]
    assert (form["c1_commentary"].value(), form["c1"].value(), form["version"].value()) == (
        "Typed on the stale page.",
        "4",
        "2",
    )
    assert EvidenceDocument.objects.count() == 0
    assert SelfAssessmentRating.objects.get(competency__number=1).level == 3


def _evidence(assessment) -> EvidenceDocument:
    return evidence_upload(
        assessment=assessment,
        doc_type="other",
        title="Board minutes",
        file=SimpleUploadedFile("minutes.pdf", PDF),
        by=board_of(assessment.pct),
    )


def _remove_url(document) -> str:
    a = document.assessment
    return f"/assessments/{a.round.slug}/{a.pct.ods_code}/evidence/{document.pk}/delete/"


def test_remove_belongs_to_the_self_assessment_form(client, assessment, frameworks, media):
    document = _evidence(assessment)
    client.force_login(board_of(assessment.pct))

    page = client.get(url(assessment)).content.decode()

    assert (
        f'<button type="submit" form="self-assessment" name="action" value="remove" '
        f'formaction="{_remove_url(document)}"' in page
    )


def test_remove_without_script_saves_the_typed_answers_before_asking(
    client, assessment, frameworks, media
):
    """The board walk: without JavaScript, Remove was a form of its own and lost what was
    typed in the self-assessment below it."""
    framework = frameworks["2009-10"]
    document = _evidence(assessment)
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="remove", level="3") | {
        "c1_commentary": "Typed before removing."
    }

    check = client.post(_remove_url(document), data)

    assert check.context["happens"][0] == "Your answers were saved as a draft first."
    assert check.context["button"] == "Confirm and remove Board minutes"
    rating = SelfAssessmentRating.objects.get(competency__number=1)
    assert (rating.level, rating.commentary) == (3, "Typed before removing.")
    assert EvidenceDocument.objects.count() == 1  # asking removes nothing
    back = client.get(url(assessment))
    assert back.context["form"]["c1_commentary"].value() == "Typed before removing."


def test_remove_with_answers_that_cannot_be_saved_keeps_them_and_removes_nothing(
    client, assessment, frameworks, media
):
    framework = frameworks["2009-10"]
    document = _evidence(assessment)
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="remove") | {
        "c1_commentary": "Typed before removing.",
        "p1_indicator": "",
        "p1_baseline": "12,5",
    }

    response = client.post(_remove_url(document), data)

    page = response.content.decode()
    assert "<title>Error: Self-assessment:" in page
    assert "Board minutes was not removed: your answers below could not be saved first." in page
    assert response.context["form"]["c1_commentary"].value() == "Typed before removing."
    assert EvidenceDocument.objects.count() == 1
    assert SelfAssessment.objects.count() == 0


def test_remove_on_a_stale_page_keeps_the_typed_answers_and_removes_nothing(
    client, assessment, frameworks, media
):
    framework = frameworks["2009-10"]
    document = _evidence(assessment)
    client.force_login(board_of(assessment.pct))
    client.post(url(assessment), complete_post(framework, 0, level="2"))  # version 1
    data = complete_post(framework, 0, action="remove", level="4") | {
        "c1_commentary": "Typed on the stale page."
    }

    response = client.post(_remove_url(document), data)

    page = response.content.decode()
    assert "This self-assessment changed since you opened this page" in page
    form = response.context["form"]
    assert (form["c1_commentary"].value(), form["version"].value()) == (
        "Typed on the stale page.",
        "1",
    )
    assert EvidenceDocument.objects.count() == 1
    assert SelfAssessmentRating.objects.get(competency__number=1).level == 2


def test_evidence_type_has_no_default(client, assessment, frameworks):
    client.force_login(board_of(assessment.pct))

    page = client.get(url(assessment)).content.decode()

    assert '<option value="" selected>Choose the type of document</option>' in page


def test_submitted_page_is_read_only_and_a_post_is_refused(client, assessment, frameworks):
    framework = frameworks["2009-10"]
    board = board_of(assessment.pct)
    client.force_login(board)
    check = client.post(
        url(assessment), complete_post(framework, 0, action="submit") | {"confirm": "on"}
    )

    assert check.templates[0].name == "assessments/self_assessment_confirm.html"
    assert (SelfAssessment.objects.get().status, Assessment.objects.get().stage) == (
        "draft",
        Stage.SELF_ASSESSMENT,
    )
    assert check.context["blocked"] is False
    submitted = client.post(
        url(assessment), dict(check.context["carry"]) | {"confirmed": "1"}, follow=True
    )

    refused = client.post(url(assessment), complete_post(framework, 2, level="4"), follow=True)

    assert messages_of(submitted) == [
        "Self-assessment submitted: it now goes to your panel. Nobody was e-mailed; "
        f"the staff of {assessment.pct.sha.name} see it at panel formation."
    ]
    assert submitted.context["editable"] is False
    assert "Save draft" not in submitted.content.decode()
    assert messages_of(refused) == [
        "The self-assessment is closed: this assessment is at Panel formation."
    ]
    assert set(
        SelfAssessmentRating.objects.exclude(level=None).values_list("level", flat=True)
    ) == {2}
    assert Assessment.objects.get().stage == Stage.PANEL_FORMATION


def test_board_saves_a_draft_with_item_commentary_then_submits(client, assessment, framework):
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, level="3") | {
        "commentary": "Agreed by the board.",
        "c1_commentary": "JSNA in use.",
    }

    client.post(url(assessment), data, follow=True)
    check = client.post(
        url(assessment), data | {"version": "1", "action": "submit", "confirm": "on"}
    )
    response = client.post(
        url(assessment), dict(check.context["carry"]) | {"confirmed": "1"}, follow=True
    )

    assert messages_of(response) == [
        "Self-assessment submitted: it now goes to your panel. Nobody was e-mailed; "
        f"the staff of {assessment.pct.sha.name} see it at panel formation."
    ]
    stored = SelfAssessment.objects.get()
    assert (stored.status, stored.commentary) == ("submitted", "Agreed by the board.")
    assert SelfAssessmentRating.objects.get(competency__number=1).commentary == "JSNA in use."
    assert response.context["editable"] is False


@pytest.mark.parametrize("documents", [1, 3])
def test_board_page_query_count_does_not_grow_with_documents(
    client, assessment, django_assert_num_queries, media, documents
):
    board = board_of(assessment.pct)
    for n in range(documents):
        evidence_upload(
            assessment=assessment,
            doc_type="other",
            title=f"Document {n}",
            file=SimpleUploadedFile(f"d{n}.pdf", PDF + f"\n% document {n}".encode()),
            by=board,
        )
    client.force_login(board)

    with django_assert_num_queries(13):
        response = client.get(url(assessment))

    assert response.context["editable"] is True
    assert len(response.context["detail"].evidence) == documents
    assert len(response.context["evidence_changes"]) == documents


@pytest.mark.parametrize("documents", [1, 3])
def test_read_only_page_query_count_does_not_grow_with_documents(
    client, assessment, frameworks, django_assert_num_queries, media, documents
):
    board = board_of(assessment.pct)
    for n in range(documents):
        evidence_upload(
            assessment=assessment,
            doc_type="other",
            title=f"Document {n}",
            file=SimpleUploadedFile(f"d{n}.pdf", PDF + f"\n% document {n}".encode()),
            by=board,
        )
    self_assessment_save(
        assessment=assessment,
        values=complete_values(frameworks["2009-10"]),
        commentary="Agreed.",
        by=board,
        expected_version=0,
        submit=True,
    )
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user)

    with django_assert_num_queries(13):
        response = client.get(url(assessment))

    assert len(response.context["detail"].evidence) == documents
    assert len(response.context["evidence_changes"]) == documents


# --- The home page ----------------------------------------------------------------------------


def test_home_links_the_board_to_its_self_assessment_with_its_status(
    client, assessment, frameworks
):
    framework = frameworks["2009-10"]
    board = board_of(assessment.pct)
    client.force_login(board)

    def cell() -> str:
        page = client.get("/").content.decode()
        found = re.search(r'<td data-test="self-assessment">(.*?)</td>', page, re.S)
        return re.sub(r"<[^>]+>", "", found.group(1)).strip()

    before = cell()
    self_assessment_save(
        assessment=assessment, values={}, commentary="", by=board, expected_version=0
    )
    draft = cell()
    self_assessment_save(
        assessment=assessment,
        values=complete_values(framework),
        commentary="",
        by=board,
        expected_version=1,
        submit=True,
    )

    assert [before, draft, cell()] == [
        "Not started: start the 2009-10 self-assessment",
        "Draft: continue the 2009-10 self-assessment",
        "Submitted the 2009-10 self-assessment",
    ]
    assert f'href="{url(assessment)}"' in client.get("/").content.decode()


# --- Governance sub-indicators ------------------------------------------------------------


def test_submit_needs_every_sub_indicator_of_the_framework(client, assessment, frameworks):
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="submit") | {"confirm": "on"}
    del data["board_5"]

    response = client.post(url(assessment), data)

    assert response.status_code == 200
    assert response.context["form"].errors["board_5"] == [
        "Board governance: Accountability and transparency: choose a light."
    ]
    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.SELF_ASSESSMENT


def test_sub_indicator_lights_are_saved_and_shown_read_only(client, assessment, frameworks):
    framework = frameworks["2009-10"]
    board = board_of(assessment.pct)
    client.force_login(board)
    data = complete_post(framework, 0, action="submit") | {
        "confirm": "on",
        "finance_3": "red",
        "finance_3_commentary": "Relies on unidentified savings.",
    }

    check = client.post(url(assessment), data)
    client.post(url(assessment), dict(check.context["carry"]) | {"confirmed": "1"})
    response = client.get(url(assessment))

    rating = SelfAssessmentRating.objects.get(
        self_assessment__assessment=assessment,
        sub_indicator__area__code="finance",
        sub_indicator__number=3,
    )
    assert (rating.light, rating.commentary) == ("red", "Relies on unidentified savings.")
    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.PANEL_FORMATION
    assert response.context["detail"].ratings["finance_3"] == rating


@pytest.mark.parametrize("rated", [1, 3])
def test_board_page_query_count_does_not_grow_with_rated_sub_indicators(
    client, assessment, frameworks, django_assert_num_queries, rated
):
    board = board_of(assessment.pct)
    subs = SubIndicator.objects.filter(area__framework=frameworks["2009-10"]).order_by(
        "area__position", "number"
    )[:rated]
    self_assessment_save(
        assessment=assessment,
        values={sub: ("amber", "Why") for sub in subs},
        commentary="",
        by=board,
        expected_version=0,
    )
    client.force_login(board)

    # 15: a draft's page also asks whether SHA staff sent it back (and why); one more for
    # the history of the evidence.
    with django_assert_num_queries(15):
        response = client.get(url(assessment))

    assert sorted(
        code for code, r in response.context["detail"].ratings.items() if r.sub_indicator_id
    ) == sorted(sub.code for sub in subs)


def test_check_page_names_each_sub_indicator_and_shows_its_light(client, assessment, frameworks):
    # A sub-indicator has a number too: the check page used to take it for a competency,
    # showing "1." with no name and its light as a bare level.
    framework = frameworks["2009-10"]
    client.force_login(board_of(assessment.pct))
    data = complete_post(framework, 0, action="submit") | {"confirm": "on", "finance_3": "red"}

    check = client.post(url(assessment), data)

    html = check.content.decode()
    assert "<dt>Financial management: " in html
    assert '<span class="light-red">Red</span>' in html
    assert "<dt>1. Locally leading the NHS</dt>" in html
    assert '<span class="wcc-level">2</span>' in html
    assert "<dt>1. </dt>" not in html


@pytest.mark.parametrize(
    "data",
    [
        {"version": "1", "action": "submit"},
        {"version": "1", "action": "submit", "confirm": "on", "confirmed": "1"},
        {"action": "save"},
        {},
    ],
    ids=["submit", "confirmed submit", "draft save", "no action"],
)
def test_a_post_to_a_closed_self_assessment_says_it_is_closed_whatever_the_action(
    client, assessment, frameworks, data
):
    """Walk M: a forged submit after SHA staff proceeded without the self-assessment showed
    the form's errors ("Version: This field is required. ...") instead of saying it is
    closed, as a draft save did."""
    board = board_of(assessment.pct)
    self_assessment_save(
        assessment=assessment,
        values={},
        commentary="Half done.",
        by=board,
        expected_version=0,
    )
    Assessment.objects.filter(pk=assessment.pk).update(stage=Stage.PANEL_FORMATION)
    client.force_login(board)

    response = client.post(url(assessment), data, follow=True)

    assert messages_of(response) == [
        "The self-assessment is closed: this assessment is at Panel formation."
    ]
    assert response.context["form"].errors == {}
    saved = SelfAssessment.objects.get()
    assert (saved.version, saved.status, saved.commentary) == (1, "draft", "Half done.")
    assert SelfAssessmentRating.objects.exclude(level=None).count() == 0
