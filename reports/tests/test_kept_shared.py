"""Figures shared between processes through Django's cache (``reports.kept.shared_value``).

A new worker (a restart, ``max_requests``, another server) reads what another computed
under the same figures version instead of computing it again, and still sees every change
on the next request. A file-based cache stands for Redis here: it is shared between
processes as Redis is, and needs no server. "Another process" is this one with everything
it keeps forgotten (``forget_kept``), which is all a new worker lacks.
"""

import logging
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.services import agreed_rating_adjust
from reports.kept import Kept, code_token, forget_kept, shared_cache, shared_key
from reports.tests.test_fresh_figures import _moderation_rating, _standing_table_read
from reports.tests.test_kept import recorded_makers
from tests.users import demo_user

LEAGUE = "/reports/league-table/{}/"


@pytest.fixture
def shared(settings, tmp_path):
    """A cache that processes share, in a directory of the test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    return caches["default"]


def counted(name="test", shared=True):
    """A ``Kept`` and ``recorded_makers``' maker and list of what it made."""
    return Kept(name, shared=shared), *recorded_makers()


def test_a_value_made_by_one_process_is_read_by_another(shared):
    first, make, made = counted()
    second = Kept("test", shared=True)  # the same Kept in a new worker

    assert first.get(("round", 1, 77), make("computed"), versions=(77,)) == "computed"
    assert second.get(("round", 1, 77), make("again"), versions=(77,)) == "computed"
    assert made == ["computed"]


def test_a_new_version_is_computed_again(shared):
    kept, make, made = counted()
    kept.get(("round", 1, 77), make("old"), versions=(77,))
    forget_kept()

    assert kept.get(("round", 1, 78), make("new"), versions=(78,)) == "new"
    assert made == ["old", "new"]


def test_version_0_is_never_shared(shared):
    # 0 is every database's version of a round nothing has changed yet: it does not say
    # which figures are behind it.
    kept, make, made = counted()
    kept.get(("round", 1, 0), make("here"), versions=(0,))
    forget_kept()

    assert kept.get(("round", 1, 0), make("there"), versions=(0,)) == "there"
    assert kept.get(("league", 1, 5, 2, 0), make("with previous"), versions=(5, 0)) == (
        "with previous"
    )
    assert made == ["here", "there", "with previous"]
    assert shared.get(shared_key("test", ("round", 1, 0))) is None


def test_keys_without_versions_and_kepts_not_shared_stay_in_the_process(shared):
    kept, make, made = counted()
    local, make_local, made_local = counted("local", shared=False)
    kept.get("no version", make("a"))
    local.get(("round", 1, 77), make_local("b"), versions=(77,))
    forget_kept()

    kept.get("no version", make("a again"))
    local.get(("round", 1, 77), make_local("b again"), versions=(77,))
    assert (made, made_local) == (["a", "a again"], ["b", "b again"])


def test_local_memory_is_not_a_shared_cache(settings):
    # The default (CACHE_URL=locmem://) is one process's memory: Kept already does that.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert shared_cache() is None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert shared_cache() is None


def test_a_cache_that_cannot_be_reached_costs_a_warning_not_an_error(settings, caplog):
    settings.CACHES = {  # nothing listens on port 1
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    kept, make, made = counted()

    with caplog.at_level(logging.WARNING, logger="reports.kept"):
        assert kept.get(("round", 1, 77), make("computed"), versions=(77,)) == "computed"

    assert made == ["computed"]
    assert [r.getMessage() for r in caplog.records] == [
        "Shared cache: could not read test; computing it.",
        "Shared cache: could not keep test.",
    ]


def test_keys_name_the_code_that_computed_the_value():
    key = shared_key("ratings frames", (3, 77, True, None))
    assert key == shared_key("ratings frames", (3, 77, True, None))
    assert key != shared_key("ratings frames", (3, 78, True, None))
    assert key != shared_key("league tables", (3, 77, True, None))
    assert len(code_token()) == 20 and key.startswith("wcc-kept:")


@pytest.mark.django_db
def test_a_new_worker_reads_the_round_from_the_shared_cache_and_sees_a_change(client, demo, shared):
    client.force_login(demo_user("national"))
    first = client.get(LEAGUE.format("2009-10"))
    forget_kept()  # a new worker

    with CaptureQueriesContext(connection) as new_worker:
        second = client.get(LEAGUE.format("2009-10"))
    rating = _moderation_rating()
    new = next(n for n in (1, 2, 3, 4) if n not in (rating.level, rating.panel_level))
    agreed_rating_adjust(
        rating=rating,
        value=new,
        reason="Moderated.",
        by=demo_user("national"),
        expected_version=rating.version,
    )
    forget_kept()  # and another one, after the change
    with CaptureQueriesContext(connection) as after_change:
        third = client.get(LEAGUE.format("2009-10"))

    assert not _standing_table_read(new_worker.captured_queries)
    assert second.context["rows"] == first.context["rows"]
    assert _standing_table_read(after_change.captured_queries)
    row = next(r for r in third.context["rows"] if r["ods_code"] == rating.assessment.pct.ods_code)
    assert row[f"c{rating.competency.number}"] == new


def _page(response) -> bytes:
    """The page less what differs on every request (the CSP nonce, the CSRF token)."""
    return re.sub(rb'(nonce|csrfmiddlewaretoken" value)="[^"]*"', rb'\1=""', response.content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("moderator.{sha}", "/reports/moderation/2009-10/{sha}/"),
        ("national", "/reports/cross-check/2009-10/"),
        ("national", "/reports/league-table/2009-10/?format=csv"),
        ("board.5pg", "/reports/pct/5PG/2008-09/"),
        (None, "/api/results/2008-09.json"),
    ],
)
def test_each_shared_page_is_the_same_from_a_new_worker_with_fewer_queries(
    client, demo, shared, who, url
):
    sha = _moderation_rating().assessment.pct.sha.ods_code
    if who:
        client.force_login(demo_user(who.format(sha=sha.lower())))
    url = url.format(sha=sha)
    computing = client.get(url)  # the first worker computes and shares
    forget_kept()
    with CaptureQueriesContext(connection) as first_read:
        client.get(url)  # a new worker reads what the first shared
    forget_kept()
    shared.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(url)  # a new worker with nothing shared computes it all again
    forget_kept()

    with CaptureQueriesContext(connection) as second_read:
        reading = client.get(url)  # and the next new worker reads what that one shared

    assert reading.status_code == computing.status_code == 200
    assert _page(reading) == _page(computing)
    assert len(second_read.captured_queries) < len(cold.captured_queries)
    assert len(first_read.captured_queries) == len(second_read.captured_queries)


def test_a_key_that_holds_everything_is_shared_without_versions(shared):
    kept, make, made = counted()
    kept.made(("chart", "title", (1, 2)), make("drawn"), versions=None)
    forget_kept()

    assert kept.made(("chart", "title", (1, 2)), make("again"), versions=None) == "drawn"
    assert made == ["drawn"]


def test_a_chart_drawn_by_one_worker_is_read_by_another(shared):
    from reports.charts import distribution_svg

    arguments = {
        "title": "1. Locally leading the NHS: share of PCTs at each level",
        "categories": ("Level 1", "Level 2"),
        "series": (("England", (40.0, 60.0)),),
    }
    distribution_svg.cache_clear()
    drawn = distribution_svg(**arguments)
    key = shared_key("distribution_svg", tuple(sorted(arguments.items())))
    assert shared.get(key) == drawn and drawn.startswith("<svg")

    shared.set(key, "<svg>as another worker left it</svg>")
    distribution_svg.cache_clear()  # a new worker

    assert distribution_svg(**arguments) == "<svg>as another worker left it</svg>"
    distribution_svg.cache_clear()
