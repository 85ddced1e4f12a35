import factory

from competencies.models import Competency, FrameworkVersion, GovernanceArea, LevelDescriptor


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FrameworkVersion
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"fw-{n}")
    name = factory.LazyAttribute(lambda o: f"Framework {o.slug}")


class CompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competency

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
