"""``send_scoring_reminders``: the old name of ``send_reminders``, kept so that schedulers
set up with it go on working. It does exactly what ``send_reminders`` does."""

from panels.management.commands.send_reminders import Command as SendReminders


class Command(SendReminders):
    help = "The old name of send_reminders (the same command). " + SendReminders.help
