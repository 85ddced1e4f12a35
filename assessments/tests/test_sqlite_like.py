"""Searches fold the case of every letter, not only ASCII ones (``assessments.sqlite``):
the SHA walk's search for "élise" did not find "Élise" on SQLite."""

import pytest

from assessments.models import PrimaryCareTrust
from assessments.sqlite import like
from tests.factories import PCTFactory


@pytest.mark.parametrize(
    ("pattern", "value", "escape", "matches"),
    [
        ("%élise%", "Dr Élise Durand", None, 1),
        ("%ÅSA%", "Åsa Lind", None, 1),
        ("%strasse%", "Große Straße", None, 1),  # casefold: ß is ss
        ("a_c", "ABC", None, 1),
        ("a_c", "abbc", None, 0),
        (r"100\%", "100%", "\\", 1),
        (r"100\%", "1000", "\\", 0),
        (r"a\_c", "abc", "\\", 0),
        ("%x%", None, None, None),
        ("5", 5, None, 1),
    ],
)
def test_like_folds_every_letter_with_sqls_wildcards(pattern, value, escape, matches):
    assert like(pattern, value, escape) == matches


@pytest.mark.django_db
def test_icontains_and_iexact_fold_accented_capitals():
    PCTFactory(name="Émile Teaching PCT", ods_code="ZZ1")
    PCTFactory(name="Plain PCT", ods_code="ZZ2")

    found = PrimaryCareTrust.objects.filter(name__icontains="émile").values_list(
        "ods_code", flat=True
    )
    assert list(found) == ["ZZ1"]
    assert PrimaryCareTrust.objects.filter(name__iexact="ÉMILE TEACHING PCT").count() == 1
    assert PrimaryCareTrust.objects.filter(name__icontains="100%").count() == 0
