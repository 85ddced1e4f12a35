"""Templates compare stages with ``Stage`` members, which the ``stages`` processor supplies."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string

from assessments.models import Stage


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (Stage.SELF_ASSESSMENT, '<span class="wcc-tag wcc-tag--waiting">x</span>'),
        (Stage.SCORING, '<span class="wcc-tag">x</span>'),
        (Stage.PUBLISHED, '<span class="wcc-tag wcc-tag--done">x</span>'),
    ],
)
def test_stage_tag_compares_with_stage_members(rf, stage, expected):
    request = rf.get("/")
    request.user = AnonymousUser()

    html = render_to_string(
        "includes/stage_tag.html", {"stage": int(stage), "label": "x"}, request=request
    )

    assert html.strip() == expected
