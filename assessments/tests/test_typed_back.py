"""What a check page's "Go back" restores (``assessments.confirmation``): each check page's
typed values under a token its "Go back" address carries, so that another tab's fresh page
of the same form shows what is stored, and two tabs each get back their own (walk W: tab B
showed tab A's unconfirmed SHA, and tab A's "Go back" brought tab B's choice)."""

from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from assessments.confirmation import keep_typed, typed_back, with_typed_token

PAGE = "pct:5PE"


def _request(method: str, session, path: str = "/organisations/5PE/"):
    request = getattr(RequestFactory(), method)(path)
    request.session = session
    return request


def test_each_tab_gets_back_its_own_and_a_fresh_page_nothing():
    session = SessionStore()
    tab_a = _request("post", session)
    keep_typed(tab_a, PAGE, sha="London")
    back_a = with_typed_token(tab_a, "/organisations/5PE/#name")
    tab_b = _request("post", session)
    keep_typed(tab_b, PAGE, sha="North East")
    back_b = with_typed_token(tab_b, "/organisations/5PE/")

    assert typed_back(_request("get", session), PAGE) == {}  # a fresh page
    assert back_a.startswith("/organisations/5PE/?typed=") and back_a.endswith("#name")
    assert typed_back(_request("get", session, back_a), PAGE) == {"sha": "London"}
    assert typed_back(_request("get", session, back_a), PAGE) == {}  # once
    assert typed_back(_request("get", session, back_b), PAGE) == {"sha": "North East"}


def test_a_post_forgets_what_was_kept_and_an_address_with_a_query_keeps_it():
    session = SessionStore()
    tab = _request("post", session)
    keep_typed(tab, PAGE, reason="x")
    back = with_typed_token(tab, "/rounds/2010-11/take-back/?shas=3")

    assert "?shas=3&typed=" in back
    typed_back(_request("post", session), PAGE)  # saved: forget
    assert typed_back(_request("get", session, back), PAGE) == {}
