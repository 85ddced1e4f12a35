"""Forms of the reports app: the file of agreed ratings to import, the publication time and
the withdrawal of a publication."""

from pathlib import Path

from crispy_forms.helper import FormHelper
from django import forms

from assessments.form_errors import MarksInvalid, NoTruncation, VisibleTextField

# A whole round's league table with every rationale is about 0.9 MB (the 2009-10 demo); the
# file waits in the session between preview and confirm, so the limit is kept small.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_SUFFIXES = (".csv", ".xlsx")
# An import's reason (a correction's, or a change after consensus): each changed rating's.
IMPORT_REASON_MAX_CHARS = 2000


class RatingsImportForm(NoTruncation):
    """A CSV or XLSX file in the league-table columns, checked to be readable as a table.

    ``cleaned_data`` then holds ``filename`` (the name without any path), ``content`` (the
    bytes), and ``header`` and ``rows`` as ``reports.imports.read_table`` reads them.
    """

    file = forms.FileField(
        label="File of agreed ratings",
        help_text="CSV or XLSX in the league table's columns (as the league table downloads it),",
    )
    reason = VisibleTextField(
        label="Reason for the correction",
        help_text="The reason of every rating the file changes: the public PCT pages, the "
        "feedback reports and the e-mail to each board whose ratings change show it.",
        max_length=IMPORT_REASON_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Keep the reason to %(limit_value)d characters."},
    )

    def __init__(self, *args, correction: bool = False, **kwargs):
        """``correction``: the round's publication was withdrawn, so a reason is required
        (it replaces "Imported from <file>" as each changed rating's reason); otherwise the
        form has no reason field."""
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += f" up to {_size(IMPORT_MAX_BYTES)}."
        if correction:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "Reason for the correction: say why the published ratings are corrected (the "
                "boards are told it)."
            )
        else:
            del self.fields["reason"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_file(self):
        from reports.imports import ImportRefused, read_table  # pandas on first use

        upload = self.cleaned_data["file"]
        filename = Path(upload.name).name
        if Path(filename).suffix.lower() not in IMPORT_SUFFIXES:
            raise forms.ValidationError(f"{filename}: use a .csv or .xlsx file.", code="file_type")
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"{filename} is {_size(upload.size)}; the limit is {_size(IMPORT_MAX_BYTES)}.",
                code="file_size",
            )
        content = upload.read()
        try:
            header, rows = read_table(content, filename)
        except ImportRefused as exc:
            raise forms.ValidationError(exc.errors, code="unreadable") from None
        self.cleaned_data.update(filename=filename, content=content, header=header, rows=rows)
        return upload


class ImportReasonForm(NoTruncation):
    """The import check page's reason, when the file changes agreed ratings at or after
    regional moderation (``reports.imports.needing_reason``): each changed rating's reason,
    which its board reads beside the new value (walk: "Imported from walkU-import.csv")."""

    reason = VisibleTextField(
        label="Reason for the change",
        help_text="The reason of each rating the import changes (listed above): each board reads it "
        "beside its rating on its PCT page.",
        max_length=IMPORT_REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Reason for the change: say why these agreed ratings change (each "
            "board reads it beside its rating).",
            "max_length": "Keep the reason to %(limit_value)d characters.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # inside the check page's confirm form
        self.helper.disable_csrf = True


def _size(n: int) -> str:
    """A size as people read it: "2 MB", "3.4 MB", "512 KB", "90 bytes"."""
    for unit, factor in (("MB", 1_048_576), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


class UkDateTimeField(forms.DateTimeField):
    """A date and time in UK time that says, in words, when the clocks make it impossible
    (a time skipped in March) or ambiguous (one that happens twice in October)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "ambiguous_timezone":
                raise forms.ValidationError(
                    "The clocks change that night: this time does not exist or happens twice "
                    "in the UK. Choose another time, such as 09:00.",
                    code="ambiguous_timezone",
                ) from None
            raise


class PublicationForm(MarksInvalid):
    """The round's publication time, in UK time, to the minute (the browser's picker)."""

    published_at = UkDateTimeField(
        label="Publication time (UK time)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
        error_messages={
            "required": "Enter a date and a time, such as 17 February 2010 at 09:30.",
            "invalid": "Enter a date and a time, such as 17 February 2010 at 09:30, with "
            "the date and time picker.",
        },
    )


class WithdrawForm(MarksInvalid):
    reason = VisibleTextField(
        label="Why the publication is withdrawn (the boards read this)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={
            "required": "Enter the reason: the boards are told it.",
            "max_length": "Keep the reason to %(limit_value)d characters.",
        },
    )
