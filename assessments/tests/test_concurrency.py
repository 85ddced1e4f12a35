import pytest

from assessments.concurrency import claim
from assessments.exceptions import ConflictError
from assessments.models import Assessment, Stage
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def _conflict() -> ConflictError:
    return ConflictError("Someone else saved first.", current=None)


def test_claim_current_version_bumps_it_and_applies_updates():
    assessment = AssessmentFactory(stage=Stage.SELF_ASSESSMENT)

    new_version = claim(
        Assessment,
        pk=assessment.pk,
        expected_version=1,
        conflict=_conflict,
        stage=Stage.PANEL_FORMATION,
    )

    assert new_version == 2
    assert Assessment.objects.values_list("version", "stage").get(pk=assessment.pk) == (
        2,
        Stage.PANEL_FORMATION,
    )


def test_claim_stale_version_raises_the_callers_conflict_and_writes_nothing():
    assessment = AssessmentFactory(stage=Stage.SELF_ASSESSMENT)
    Assessment.objects.filter(pk=assessment.pk).update(version=3)

    with pytest.raises(ConflictError, match=r"^Someone else saved first\.$"):
        claim(
            Assessment.objects.all(),
            pk=assessment.pk,
            expected_version=1,
            conflict=_conflict,
            stage=Stage.PANEL_FORMATION,
        )

    assert Assessment.objects.values_list("version", "stage").get(pk=assessment.pk) == (
        3,
        Stage.SELF_ASSESSMENT,
    )
