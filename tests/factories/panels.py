import datetime

import factory

from panels.models import (
    ConflictRule,
    ExternalOrganisation,
    JobRole,
    MemberScore,
    Panel,
    Person,
    PersonChange,
    ReminderSent,
    Seat,
    SeatChange,
    SeatType,
)
from tests.factories.assessments import AssessmentFactory, PCTFactory, UserFactory


class ExternalOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalOrganisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Outside Organisation {n}")
    sector = "Healthcare"
    country = "United States"


class PersonFactory(factory.django.DjangoModelFactory):
    """A person affiliated with a PCT by default; pass ``pct=None`` with ``sha=`` or
    ``external_organisation=`` for another affiliation."""

    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Person {n}")
    job_role = JobRole.CHIEF_EXECUTIVE
    pct = factory.SubFactory(PCTFactory)


class SeatTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatType
        django_get_or_create = ("number",)

    number = 1
    code = factory.LazyAttribute(lambda o: f"seat-{o.number}")
    name = factory.LazyAttribute(lambda o: f"Seat {o.number}")
    description = "A seat."
    eligible_roles = factory.LazyFunction(lambda: [JobRole.CHIEF_EXECUTIVE.value])
    affiliation = SeatType.Affiliation.OTHER_PCT


class PanelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Panel

    assessment = factory.SubFactory(AssessmentFactory)


class SeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seat

    panel = factory.SubFactory(PanelFactory)
    seat_type = factory.SubFactory(SeatTypeFactory)
    person = factory.SubFactory(PersonFactory)


class MemberScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberScore

    seat = factory.SubFactory(SeatFactory)
    level = factory.LazyAttribute(lambda o: 2 if o.competency else None)
    light = ""


class ConflictRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConflictRule
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"rule-{n}")
    description = "A conflict of interest."
    severity = ConflictRule.Severity.WARNING


class SeatChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatChange

    seat = factory.SubFactory(SeatFactory)
    how = SeatChange.How.FORMATION
    old_person = None
    new_person = factory.SelfAttribute("seat.person")
    changed_by = factory.SubFactory(UserFactory)


class PersonChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonChange

    person = factory.SubFactory(PersonFactory)
    action = PersonChange.Action.ADDED


class ReminderSentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderSent

    person = factory.SubFactory(PersonFactory)
    kind = ReminderSent.Kind.SCORING
    day = datetime.date(2009, 11, 30)
    summary = "overdue: 5PG"
