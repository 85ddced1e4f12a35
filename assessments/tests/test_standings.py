"""The read model: one standing per assessment, written with the ratings, and the figures
version that tells the reports when to read it again (``assessments.standings``)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from assessments.models import FiguresVersion, Standing
from assessments.standings import (
    figures_changed,
    figures_versions,
    standing_of,
    standings_deferred,
)
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
)

pytestmark = pytest.mark.django_db


def rows(*items):
    """Rows as ``standing_of`` reads them: (number, area, level, light, panel level/light)."""
    return [(1, 1, *item) for item in items]


def test_standing_of_a_complete_assessment():
    standing = standing_of(
        rows(
            (1, None, 3, "", 2, ""),
            (2, None, 4, "", 4, ""),
            (None, "strategy", None, "green", None, "green"),
            (None, "finance", None, "amber", None, "red"),
            (None, "board", None, "red", None, "red"),
        ),
        ["c1", "c2"],
    )

    assert standing == {
        "values": {"c1": 3, "c2": 4, "strategy": "green", "finance": "amber", "board": "red"},
        "moderated": {"c1": "2", "finance": "red"},
        "governance": 3,  # green 2 + amber 1 + red 0
        "total": 7,
        "complete": True,
    }


def test_standing_of_an_assessment_missing_an_item_is_not_complete():
    standing = standing_of(
        rows((1, None, 3, "", 3, ""), (None, "strategy", None, "green", None, "green")),
        ["c1", "c2"],
    )

    assert (standing["complete"], standing["governance"], standing["total"]) == (False, None, 3)


def test_a_rating_written_gives_its_assessment_a_standing_and_its_round_a_new_version():
    assessment = AssessmentFactory()
    competency = CompetencyFactory(framework=assessment.round.framework, number=1)
    before = figures_versions([assessment.round_id])[assessment.round_id]

    AgreedRatingFactory(assessment=assessment, competency=competency, level=3)

    standing = Standing.objects.get(assessment=assessment)
    assert (standing.values, standing.total, standing.complete) == ({"c1": 3}, 3, False)
    assert figures_versions([assessment.round_id])[assessment.round_id] != before


def test_a_version_rolled_back_never_comes_back():
    """A counter would hand the next change the number of the undone one, whose figures a
    process may still keep; the version is random instead."""
    round_id = AssessmentFactory().round_id
    figures_changed(round_ids=[round_id])
    committed = figures_versions([round_id])[round_id]
    undone = []
    for _attempt in range(3):
        with transaction.atomic():
            figures_changed(round_ids=[round_id])
            undone.append(figures_versions([round_id])[round_id])
            transaction.set_rollback(True)
    figures_changed(round_ids=[round_id])

    assert figures_versions([round_id])[round_id] not in {committed, *undone}
    assert FiguresVersion.objects.filter(round_id=round_id).count() == 1


def test_changes_in_a_deferred_block_rewrite_the_standing_once():
    assessment = AssessmentFactory()
    framework = assessment.round.framework
    competencies = [CompetencyFactory(framework=framework, number=n) for n in (1, 2, 3)]
    area = GovernanceAreaFactory(framework=framework, code="strategy")

    with transaction.atomic(), standings_deferred():
        for competency in competencies:
            AgreedRatingFactory(assessment=assessment, competency=competency, level=2)
        AgreedRatingFactory(assessment=assessment, area=area, light="green")
        assert not Standing.objects.filter(assessment=assessment).exists()

    standing = Standing.objects.get(assessment=assessment)
    assert standing.values == {"c1": 2, "c2": 2, "c3": 2, "strategy": "green"}
    assert standing.total == 6


def test_refresh_standings_rewrites_a_round_loaded_past_the_services():
    assessment = AssessmentFactory()
    competency = CompetencyFactory(framework=assessment.round.framework, number=1)
    AgreedRatingFactory(assessment=assessment, competency=competency, level=3)
    Standing.objects.all().delete()  # as a bulk load leaves it
    out = StringIO()

    call_command("refresh_standings", "--round", assessment.round.slug, stdout=out)

    assert Standing.objects.get(assessment=assessment).values == {"c1": 3}
    assert "1 standings rewritten in 1 round(s)" in out.getvalue()


def test_refresh_standings_refuses_an_unknown_round_and_writes_nothing():
    assessment = AssessmentFactory()
    AgreedRatingFactory(
        assessment=assessment, competency=CompetencyFactory(framework=assessment.round.framework)
    )
    Standing.objects.all().delete()

    with pytest.raises(
        CommandError, match=r"No round with the slug 1999-00\. Nothing was written\."
    ):
        call_command("refresh_standings", "--round", assessment.round.slug, "1999-00")

    assert not Standing.objects.exists()
