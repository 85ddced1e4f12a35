"""The person form when the user has more PCTs than a list can hold
(``panels.selectors.PCT_CHOICES``: a region or England at 10,000 organisations): the list
offers "A PCT" and the PCT is given by its ODS code.

Personas: staff of SHA Alpha (may), of SHA Beta (same role, other region), the national
team."""

import pytest

from assessments.models import PrimaryCareTrust, Role
from panels.forms.people import PCT_BY_CODE
from panels.models import JobRole, Person
from panels.selectors import PCT_CHOICES
from tests.factories import PCTFactory, PersonFactory, RoleFactory, SHAFactory

pytestmark = pytest.mark.django_db
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def add_pcts(sha, count: int, prefix: str) -> None:
    PrimaryCareTrust.objects.bulk_create(
        PrimaryCareTrust(
            ods_code=f"{prefix}{ALPHABET[n // 26]}{ALPHABET[n % 26]}",
            name=f"Trust {prefix}{n:03d}",
            org_type="pct",
            sha=sha,
        )
        for n in range(count)
    )


@pytest.fixture
def world():
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    beta = SHAFactory(ods_code="Q35", name="SHA Beta")
    add_pcts(alpha, PCT_CHOICES + 1, "X")  # one more than a list holds
    return {
        "alpha": alpha,
        "beta": beta,
        "pct_b": PCTFactory(sha=beta, name="Beta PCT", ods_code="5BB"),
        "staff_a": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "staff_b": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=beta).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
    }


def _post(client, **fields):
    return client.post(
        "/people/add/",
        {
            "full_name": "Dee Doctor",
            "email": "",
            "job_role": JobRole.MEDICAL_DIRECTOR,
            "job_title": "",
            **fields,
        },
    )


def test_the_form_offers_a_pct_by_code_instead_of_every_pct(
    client, django_assert_num_queries, world
):
    client.force_login(world["staff_a"])

    # Session, user, roles; the SHAs, the first PCT_CHOICES + 1 PCTs, the organisations
    # outside the NHS: whatever the number of PCTs.
    with django_assert_num_queries(6):
        response = client.get("/people/add/")

    page = response.content.decode()
    assert f'<option value="{PCT_BY_CODE}">A PCT: give its ODS code below</option>' in page
    assert 'name="pct_code"' in page and "Trust X000" not in page
    assert len(page) < 20_000


def test_a_pct_given_by_its_code_in_any_case_is_the_persons(client, world):
    client.force_login(world["staff_a"])

    response = _post(client, organisation=PCT_BY_CODE, pct_code=" xab ")

    person = Person.objects.get(full_name="Dee Doctor")
    assert response["Location"] == f"/people/{person.pk}/"
    assert (person.pct.ods_code, person.sha, person.external_organisation) == ("XAB", None, None)


@pytest.mark.parametrize(
    ("who", "code", "message"),
    [
        ("staff_a", "", "Enter the ODS code of their PCT, for example 5PG."),
        ("staff_a", "5BB", "No PCT of your region has the ODS code 5BB."),  # Beta's
        ("national", "ZZZ", "No PCT of England has the ODS code ZZZ."),
    ],
)
def test_a_missing_or_unknown_code_is_an_error_on_its_field(client, world, who, code, message):
    client.force_login(world[who])

    response = _post(client, organisation=PCT_BY_CODE, pct_code=code)

    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["pct_code"]
    assert f'<a href="#id_pct_code">ODS code of the PCT: {message}</a>' in page
    assert not Person.objects.filter(full_name="Dee Doctor").exists()


def test_the_code_is_ignored_for_another_organisation(client, world):
    client.force_login(world["staff_a"])

    _post(client, organisation=f"sha-{world['alpha'].pk}", pct_code="XAB")

    person = Person.objects.get(full_name="Dee Doctor")
    assert (person.sha, person.pct) == (world["alpha"], None)


def test_editing_a_pct_person_shows_their_pct_by_code(client, world):
    person = PersonFactory(full_name="Pat Pct", pct=PrimaryCareTrust.objects.get(ods_code="XAC"))
    client.force_login(world["staff_a"])

    form = client.get(f"/people/{person.pk}/edit/").context["form"]

    assert (form["organisation"].value(), form["pct_code"].value()) == (PCT_BY_CODE, "XAC")


def test_a_region_within_the_list_keeps_the_list(client, world):
    client.force_login(world["staff_b"])  # Beta has one PCT

    page = client.get("/people/add/").content.decode()

    assert f'value="pct-{world["pct_b"].pk}"' in page
    assert PCT_BY_CODE not in page and 'name="pct_code"' not in page


def test_the_error_summary_lists_the_code_where_the_page_shows_it(client, world):
    client.force_login(world["national"])

    response = _post(client, organisation=PCT_BY_CODE, pct_code="", job_role="")

    page = response.content.decode()
    assert list(response.context["form"].errors) == ["job_role", "pct_code"]  # as found
    assert page.index('href="#id_pct_code"') < page.index('href="#id_job_role"')  # as shown
