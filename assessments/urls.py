"""URLs of the assessments app (pages come with later work)."""

app_name = "assessments"

urlpatterns: list = []
