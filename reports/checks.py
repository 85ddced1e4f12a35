"""System checks of the reports app (``manage.py check``, and before ``runserver`` and
``migrate``).

WeasyPrint embeds only the glyphs a PDF uses. It does that with HarfBuzz's subsetter
(Debian's ``libharfbuzz-subset0``), which it loads at run time if it can; without it,
it falls back to fontTools, logs a warning per font and render, and every PDF takes far
longer: on this project's machines a one-page PDF went from 13.5 ms to 222 ms and the
9-page feedback report from 414 ms to 617 ms (docs/performance.md). Nothing else
tells an operator why reports are slow, so the check does.
"""

from django.core.checks import Warning, register


def harfbuzz_subset_loaded() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (its own test: the library loaded
    and HarfBuzz at least 4.1.0)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


@register()
def harfbuzz_subset_check(app_configs=None, **kwargs):
    if harfbuzz_subset_loaded():
        return []
    return [
        Warning(
            "WeasyPrint could not load HarfBuzz's font subsetter (libharfbuzz-subset, 4.1.0 "
            "or later): every PDF report will subset its fonts with fontTools instead, "
            "about 200 ms more per PDF.",
            hint="On Debian or Ubuntu: apt-get install libharfbuzz-subset0 "
            "(bash .ci/run installs it).",
            id="reports.W001",
        )
    ]
