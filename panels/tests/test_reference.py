"""``load_reference_data``: the real SHAs and PCTs, both frameworks, the seats; idempotent."""

import io
import shutil
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from assessments.models import (
    OutcomeIndicator,
    PrimaryCareTrust,
    StrategicHealthAuthority,
    Supplier,
)
from competencies.models import (
    Competency,
    FrameworkVersion,
    GovernanceArea,
    LevelDescriptor,
    SubIndicator,
)
from panels.models import ConflictRule, SeatType
from panels.reference import FIXTURES_DIR

PCTS_PER_SHA = {
    "Q30": 12,  # North East
    "Q31": 24,  # North West
    "Q32": 14,  # Yorkshire and the Humber
    "Q33": 9,  # East Midlands
    "Q34": 17,  # West Midlands
    "Q35": 14,  # East of England
    "Q36": 31,  # London
    "Q37": 8,  # South East Coast
    "Q38": 9,  # South Central
    "Q39": 14,  # South West
}


def load(**kwargs) -> str:
    out = io.StringIO()
    call_command("load_reference_data", stdout=out, **kwargs)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    models = [
        StrategicHealthAuthority,
        PrimaryCareTrust,
        FrameworkVersion,
        Competency,
        LevelDescriptor,
        GovernanceArea,
        SubIndicator,
        SeatType,
        ConflictRule,
        OutcomeIndicator,
        Supplier,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def fixtures_copy(tmp_path):
    """A writable copy of the reference files, to spoil one of them."""
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, target)
    return target


@pytest.mark.django_db
def test_load_reference_data_counts_pcts_per_sha():
    load()

    counts = Counter(PrimaryCareTrust.objects.values_list("sha__ods_code", flat=True))

    assert counts == PCTS_PER_SHA
    assert StrategicHealthAuthority.objects.count() == 10
    assert PrimaryCareTrust.objects.count() == 152


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ods", "name", "sha"),
    [
        ("5PG", "Birmingham East and North", "Q34"),
        ("5C4", "Tower Hamlets", "Q36"),
        ("5QL", "Somerset", "Q39"),
    ],
)
def test_load_reference_data_places_the_leaders_in_their_shas(ods, name, sha):
    load()

    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code=ods)

    assert (pct.name, pct.sha.ods_code) == (name, sha)


@pytest.mark.django_db
def test_load_reference_data_frameworks_score_ten_then_eleven_competencies():
    load()

    per_framework = {f.slug: f.competencies.count() for f in FrameworkVersion.objects.all()}
    eleventh = Competency.objects.get(framework__slug="2009-10", number=11)

    assert per_framework == {"2008-09": 10, "2009-10": 11}
    assert eleventh.short_name == "Making sound financial investments"
    assert LevelDescriptor.objects.count() == (10 + 11) * 4


@pytest.mark.django_db
def test_load_reference_data_year_two_descriptors_differ_from_year_one():
    load()

    pairs = [
        (
            LevelDescriptor.objects.get(
                competency__framework__slug="2008-09", competency__number=n, level=level
            ).descriptor,
            LevelDescriptor.objects.get(
                competency__framework__slug="2009-10", competency__number=n, level=level
            ).descriptor,
        )
        for n in range(1, 11)
        for level in (1, 2, 3, 4)
    ]

    assert [p for p in pairs if p[0] == p[1]] == []


@pytest.mark.django_db
def test_load_reference_data_governance_areas_and_five_finance_factors():
    load()

    areas = list(
        GovernanceArea.objects.filter(framework__slug="2009-10").values_list("code", flat=True)
    )
    finance = list(
        SubIndicator.objects.filter(
            area__framework__slug="2009-10", area__code="finance"
        ).values_list("name", flat=True)
    )

    assert areas == ["strategy", "finance", "board"]
    assert len(finance) == 5
    assert SubIndicator.objects.filter(area__framework__slug="2009-10").count() == 16


@pytest.mark.django_db
def test_load_reference_data_seat_rules_are_data():
    load()

    seats = list(
        SeatType.objects.values_list("number", "affiliation", "eligible_roles", "is_chair")
    )

    assert seats == [
        (1, "own_sha", ["sha_director"], True),
        (2, "other_pct", ["pec_chair", "medical_director"], False),
        (3, "other_pct", ["director_adult_services", "director_childrens_services"], False),
        (4, "outside_nhs", ["external_executive"], False),
        (5, "other_sha_pct", ["chief_executive"], False),
    ]
    assert ConflictRule.objects.get(code="reciprocal-chief-executives").severity == "warning"


@pytest.mark.django_db
def test_load_reference_data_suppliers_are_labelled_illustrative():
    load()

    assert Supplier.objects.count() >= 10
    assert set(Supplier.objects.values_list("illustrative", flat=True)) == {True}


@pytest.mark.django_db
def test_load_reference_data_is_idempotent():
    load()
    first = snapshot()
    PrimaryCareTrust.objects.filter(ods_code="5PG").update(name="Changed by hand")

    load()

    assert snapshot() == first
    assert PrimaryCareTrust.objects.get(ods_code="5PG").name == "Birmingham East and North"


@pytest.mark.django_db
def test_load_reference_data_bad_pct_row_names_file_row_column_and_writes_nothing(fixtures_copy):
    path = fixtures_copy / "pcts_2009.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace(",Q30,", ",Q99,", 1)
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(CommandError) as excinfo:
        load(fixtures=fixtures_copy)

    message = str(excinfo.value)
    assert "pcts_2009.csv: row 6, column sha_ods_code: no SHA has the ODS code Q99" in message
    assert message.startswith("Nothing was loaded.")
    assert snapshot() == dict.fromkeys(snapshot(), 0)


@pytest.mark.django_db
def test_load_reference_data_refuses_a_file_given_for_the_folder(fixtures_copy):
    """The bad-input walk: ``--fixtures /etc/hostname`` ended in NotADirectoryError."""
    with pytest.raises(CommandError) as excinfo:
        load(fixtures=fixtures_copy / "shas.csv")

    assert str(excinfo.value) == (
        f"Nothing was loaded. --fixtures {fixtures_copy / 'shas.csv'}: not a folder; give the "
        "folder that holds shas.csv, pcts_2009.csv and the other reference files."
    )
    assert snapshot() == dict.fromkeys(snapshot(), 0)


@pytest.mark.django_db
def test_load_reference_data_missing_descriptor_is_refused(fixtures_copy):
    path = fixtures_copy / "frameworks.json"
    path.write_text(path.read_text().replace('"4": "', '"5": "', 1))

    with pytest.raises(CommandError) as excinfo:
        load(fixtures=fixtures_copy)

    assert (
        "framework 1 (2008-09), competency 1: 'levels' must describe levels 1, 2, 3 and 4"
        in str(excinfo.value)
    )
    assert FrameworkVersion.objects.count() == 0


@pytest.mark.django_db
def test_load_reference_data_malformed_json_names_the_line(fixtures_copy):
    (fixtures_copy / "seat_types.json").write_text('{"seat_types": [\n  {"number": 1,,}\n]}')

    with pytest.raises(CommandError) as excinfo:
        load(fixtures=fixtures_copy)

    assert "seat_types.json: line 2: not valid JSON" in str(excinfo.value)
    assert PrimaryCareTrust.objects.count() == 0
