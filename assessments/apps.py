from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self):
        from assessments.sqlite import register_like

        connection_created.connect(register_like, dispatch_uid="assessments.sqlite.like")
