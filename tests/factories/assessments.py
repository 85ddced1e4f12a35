import factory
from django.contrib.auth import get_user_model

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    PrimaryCareTrust,
    Role,
    StrategicHealthAuthority,
)
from tests.factories.competencies import FrameworkFactory


def _code(prefix: str, n: int) -> str:
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return prefix + alphabet[(n // len(alphabet)) % len(alphabet)] + alphabet[n % len(alphabet)]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("pass-for-tests")


class SHAFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicHealthAuthority
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: _code("X", n))
    name = factory.LazyAttribute(lambda o: f"SHA {o.ods_code}")


class PCTFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrimaryCareTrust
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: _code("Y", n))
    name = factory.LazyAttribute(lambda o: f"PCT {o.ods_code}")
    org_type = PrimaryCareTrust.OrgType.PCT
    sha = factory.SubFactory(SHAFactory)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    kind = Role.Kind.NATIONAL


class AssessmentRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentRound
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"20{n % 90 + 10}-{n % 90 + 11}")
    name = factory.LazyAttribute(lambda o: f"Round {o.slug}")
    framework = factory.SubFactory(FrameworkFactory)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    round = factory.SubFactory(AssessmentRoundFactory)
    pct = factory.SubFactory(PCTFactory)


class AgreedRatingFactory(factory.django.DjangoModelFactory):
    """An agreed level for a competency; pass ``area=`` and ``light=`` for a light."""

    class Meta:
        model = AgreedRating

    assessment = factory.SubFactory(AssessmentFactory)
    level = factory.LazyAttribute(lambda o: 2 if o.competency else None)
    panel_level = factory.SelfAttribute("level")
    light = ""
    panel_light = factory.SelfAttribute("light")
    rationale = "The panel's rationale."
