import factory

from competencies.models import (
    Competency,
    FrameworkVersion,
    GovernanceArea,
    LevelDescriptor,
    SubIndicator,
)


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FrameworkVersion
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"fw-{n}")
    name = factory.LazyAttribute(lambda o: f"Framework {o.slug}")


class CompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competency
        skip_postgeneration_save = True

    framework = factory.SubFactory(FrameworkFactory)
    number = factory.Sequence(lambda n: n + 1)
    short_name = factory.LazyAttribute(lambda o: f"Competency {o.number}")
    statement = factory.LazyAttribute(lambda o: f"The statement of competency {o.number}.")

    @factory.post_generation
    def with_levels(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            LevelDescriptor.objects.bulk_create(
                LevelDescriptor(competency=obj, level=level, descriptor=f"Level {level} of {obj}")
                for level in (1, 2, 3, 4)
            )


class GovernanceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GovernanceArea

    framework = factory.SubFactory(FrameworkFactory)
    code = GovernanceArea.Code.STRATEGY
    position = 1
    name = factory.LazyAttribute(lambda o: GovernanceArea.Code(o.code).label)
    green_meaning = "No concerns."
    amber_meaning = "Some concerns."
    red_meaning = "Serious concerns."


class LevelDescriptorFactory(factory.django.DjangoModelFactory):
    """A descriptor; its competency is made without the four standard descriptors."""

    class Meta:
        model = LevelDescriptor

    competency = factory.SubFactory(CompetencyFactory, with_levels=False)
    level = 1
    descriptor = factory.LazyAttribute(lambda o: f"Level {o.level} of {o.competency}")


class SubIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubIndicator

    area = factory.SubFactory(GovernanceAreaFactory, code="finance", position=2)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Finance factor {o.number}")
