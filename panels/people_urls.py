"""URLs of the people pages, mounted at ``/people/`` (CONTRACTS.md) with the namespace
``people``; the views and their routes are in ``panels.views.people``."""

from panels.views import people

app_name = "people"

urlpatterns = people.urlpatterns
