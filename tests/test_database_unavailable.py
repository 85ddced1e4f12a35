"""Issue 12: the database cannot be reached (PostgreSQL restarting or down).

Every request gets a 503 page saying "The service is unavailable, try again shortly", not
a 500, and the site answers normally again as soon as the database does. The real outage
(PostgreSQL stopped and started under load) is ``loadtest/`` (docs/reliability.md); here
every query fails the way psycopg reports a lost server.
"""

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from tests.factories import UserFactory

UNAVAILABLE = "The service is unavailable, try again shortly."


def failing(error):
    def wrapper(execute, sql, params, many, context):
        raise error

    return wrapper


@pytest.fixture
def member():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
        ),
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
    ids=["refused", "terminated", "closed"],
)
def test_a_lost_database_answers_503_unavailable_not_500(member, error):
    with connection.execute_wrapper(failing(error)):
        page = member.get("/panels/mine/")
        post = member.post("/panels/mine/", {})
    assert page.status_code == 503
    assert UNAVAILABLE in page.content.decode()
    assert page["Retry-After"] == "10"
    assert "Signed in as" not in page.content.decode()  # rendered without the database
    assert post.status_code in (503, 405)  # mine/ is GET-only; either way no 500


@pytest.mark.django_db
def test_the_login_page_post_during_an_outage_is_503(client):
    anonymous = Client(raise_request_exception=False)
    anonymous.get("/accounts/login/")
    with connection.execute_wrapper(failing(OperationalError("server closed the connection"))):
        response = anonymous.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()


@pytest.mark.django_db
def test_the_site_recovers_once_the_database_answers(member):
    with connection.execute_wrapper(failing(OperationalError("connection refused"))):
        assert member.get("/panels/mine/").status_code == 503
    assert member.get("/panels/mine/").status_code == 200


@pytest.mark.django_db
def test_other_errors_stay_500(member, monkeypatch):
    with connection.execute_wrapper(failing(ValueError("a bug"))):
        response = member.get("/panels/mine/")
    assert response.status_code == 500
    # The site's own page (the ops walk: Django's bare "Server Error (500)"), rendered
    # without the request's context: nothing on it may need the database.
    page = response.content.decode()
    assert "<title>Sorry, there is a problem with the service" in page
    assert 'data-test="server-error"' in page
    assert '<link rel="stylesheet"' in page
