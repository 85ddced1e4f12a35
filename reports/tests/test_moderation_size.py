"""The moderation page of the demo's North East (Q30) for its moderator: its size.

Every cell of the grid carried a whole adjust form (a select, a reason, a security token):
545 kB and 9,200 DOM nodes at 10,000 PCTs, 1-3.5 s to parse and lay out. A cell now carries
its value, flags, the adjust trigger and its live region; the form is on the page once, in
a ``<template>``. Measured: 270,952 bytes before, 150,384 after (the national team's
read-only view of the same page: 70,732).
"""

import pytest
from django.contrib.auth import get_user_model

URL = "/reports/moderation/2009-10/Q30/"
BOUND = 160_000  # bytes: 150,384 measured, with room for a little more wording


@pytest.mark.django_db
def test_moderation_page_of_the_demo_stays_under_its_size_bound(client, demo):
    client.force_login(get_user_model().objects.get(username="moderator.q30"))

    response = client.get(URL)

    page = response.content.decode()
    assert (
        response.status_code,
        len(response.content) < BOUND,
        page.count('class="mod-adjust"'),
        page.count("<form "),  # sign-out, the lookup, sign-off and the template's adjust form
        page.count('name="csrfmiddlewaretoken"'),
    ) == (200, True, 168, 4, 3)
