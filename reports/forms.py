"""Forms of the reports app: the file of agreed ratings to import."""

from pathlib import Path

from crispy_forms.helper import FormHelper
from django import forms

# A whole round's league table with every rationale is about 0.9 MB (the 2009-10 demo); the
# file waits in the session between preview and confirm, so the limit is kept small.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_SUFFIXES = (".csv", ".xlsx")


class RatingsImportForm(forms.Form):
    """A CSV or XLSX file in the league-table columns, checked to be readable as a table.

    ``cleaned_data`` then holds ``filename`` (the name without any path), ``content`` (the
    bytes), and ``header`` and ``rows`` as ``reports.imports.read_table`` reads them.
    """

    file = forms.FileField(
        label="File of agreed ratings",
        help_text="CSV or XLSX in the league table's columns (as the league table downloads it),",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += f" up to {_size(IMPORT_MAX_BYTES)}."
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


def _size(n: int) -> str:
    """A size as people read it: "2 MB", "3.4 MB", "512 KB", "90 bytes"."""
    for unit, factor in (("MB", 1_048_576), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


class PctLookupForm(forms.Form):
    """ "Find a PCT" on the moderation page: an ODS code, a name or part of one, resolved
    against the region's PCTs in the grid's order (``pcts``: entries with ``ods_code`` and
    ``name``), so that the page can jump to the grid page holding it.

    ``cleaned_data["pct"]`` is the PCT's position in ``pcts``; ``matches`` is how many PCTs
    matched (the first in the grid's order is taken: an ODS code or a whole name before a
    part of a name).
    """

    pct = forms.CharField(
        label="Find a PCT",
        max_length=100,
        help_text="Its ODS code (such as 5ND) or part of its name.",
        error_messages={"required": "Enter the ODS code or part of the name of a PCT."},
    )

    def __init__(self, *args, pcts, region: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.pcts = pcts
        self.region = region
        self.matches = 0
        self.fields["pct"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "off", "spellcheck": "false"}
        )
        if self.is_bound and self.errors:
            self.fields["pct"].widget.attrs["class"] += " is-invalid"

    def clean_pct(self) -> int:
        text = self.cleaned_data["pct"].strip()
        wanted = text.casefold()
        whole = [
            n
            for n, pct in enumerate(self.pcts)
            if pct.ods_code.casefold() == wanted or pct.name.casefold() == wanted
        ]
        found = whole or [n for n, pct in enumerate(self.pcts) if wanted in pct.name.casefold()]
        if not found:
            raise forms.ValidationError(
                f"No PCT of {self.region} matches “{text}”: enter its ODS code (such as "
                f"{self.pcts[0].ods_code if self.pcts else '5ND'}) or part of its name.",
                code="no_match",
            )
        self.matches = len(found)
        return found[0]
