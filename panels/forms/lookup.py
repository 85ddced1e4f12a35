""" "Find a PCT" on the panel formation list and the moderation grid: an ODS code, a whole
name or part of one (here in panels, which reports may import)."""

from django import forms

from assessments.form_errors import NoTruncation


class PctLookupForm(NoTruncation):
    """Resolves the text against ``pcts`` (entries with ``ods_code`` and ``name``, in the
    list's order) so that the page can jump to the page of the list holding it.

    ``cleaned_data["pct"]`` is the PCT's position in ``pcts``; ``matches`` is how many PCTs
    matched (the first in the list's order is taken: an ODS code or a whole name before a
    part of a name).
    """

    pct = forms.CharField(
        label="Find a PCT",
        max_length=100,
        help_text="Its ODS code (such as 5ND) or part of its name.",
        error_messages={"required": "Enter the ODS code or part of the name of a PCT."},
    )

    def __init__(self, *args, pcts, where: str, label: str = "", **kwargs):
        """``where``: the list's scope in the no-match message ("of London", "in England");
        ``label``: the field's, for a page that finds a PCT to do something with it."""
        super().__init__(*args, **kwargs)
        self.pcts = pcts
        self.where = where
        self.matches = 0
        if label:
            self.fields["pct"].label = label
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
                f"No PCT {self.where} matches “{text}”: enter its ODS code (such as "
                f"{self.pcts[0].ods_code if self.pcts else '5ND'}) or part of its name.",
                code="no_match",
            )
        self.matches = len(found)
        return found[0]

    @property
    def found(self):
        """The entry of ``pcts`` found (once the form is valid)."""
        return self.pcts[self.cleaned_data["pct"]]

    def several_matched(self) -> str:
        """What to tell the user when more than one PCT matched and the first was taken
        (empty when only one matched)."""
        if self.matches < 2:
            return ""
        return (
            f"{self.matches} PCTs match “{self.data['pct'].strip()}”: this is "
            f"{self.found.name} ({self.found.ods_code}). Enter an ODS code to find another."
        )
