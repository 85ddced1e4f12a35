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
        # And the members and chairs who work to the scoring and consensus deadlines are
        # told when the national team changes one (``assessments.deadlines``).
        from assessments.deadlines import deadline_finder_add
        from panels.selectors import deadline_work

        deadline_finder_add(deadline_work)
