from django.apps import AppConfig


class PanelsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "panels"

    def ready(self):
        # Nobody acts for the board of a PCT whose panel they sit on: the board accounts
        # (assessments, which cannot import panels) ask this app about seats.
        from assessments.separation import board_conflict_finder_add
        from panels.eligibility import seated_on_panels

        board_conflict_finder_add(seated_on_panels)
