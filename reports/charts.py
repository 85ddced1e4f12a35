"""Charts as SVG text (matplotlib), the same in pages and PDFs.

Colours are from the Okabe-Ito palette, which reads for colour-blind people, and each
series also differs by shape (bars, a line with circles, a dashed line with diamonds) so
the chart reads in greyscale. Text stays text (``svg.fonttype = none``), so it is
selectable and searchable in the PDF. A chart is a pure function of its inputs and is
cached, so it is not rebuilt when nothing changed: in the process, and where ``CACHE_URL``
names a cache that processes share, there too, under its inputs (``chart``).
"""

import functools
import io
import re
import textwrap
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

import matplotlib

matplotlib.use("Agg")  # no display; never pyplot's global state

from matplotlib.figure import Figure

from competencies.vocabulary import LEVELS
from reports.kept import shared_value
from reports.numbers import fixed

BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#555555"
# The profile chart's two lines cross the bars: dark enough against white (4.7:1 and
# 18.9:1), each over a wider white line that sets it off the blue bars (WCAG 1.4.11; the
# accessibility walk measured the light orange at 2.3:1 and the grey markers at 1.4:1 on
# the bars). The white is a line of its own, not a stroke round the series, so that the
# markers keep their colour and the legend shows each series as drawn.
SHA_LINE, ENGLAND_LINE, EDGE = "#B35C00", "#111111", "white"


def chart(draw: Callable[..., str]) -> Callable[..., str]:
    """A chart function (keyword arguments only) whose SVG is kept by its arguments: 512 in
    the process, and in the shared cache for every other worker (a summary's 13 charts took
    a new worker about a second to draw). The arguments are everything a chart is made of,
    so the same arguments give the same chart in any database (``versions=None``)."""

    @functools.lru_cache(maxsize=512)
    @functools.wraps(draw)
    def kept(**arguments) -> str:
        key = tuple(sorted(arguments.items()))
        return shared_value(draw.__name__, key, lambda: draw(**arguments), versions=None)

    return kept


# The pages' Content-Security-Policy allows no inline style (``style-src 'self'``), which
# blocks matplotlib's ``<style>`` element and ``style=""`` attributes in an inline SVG. Every
# property matplotlib writes has an SVG presentation attribute of the same name and
# meaning, so ``_without_inline_styles`` turns each declaration into that attribute. An
# unknown property stops with an error rather than being dropped silently.
PRESENTATION_ATTRIBUTES = frozenset(
    {
        "clip-path",
        "fill",
        "fill-opacity",
        "fill-rule",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
    }
)
# matplotlib's one style sheet: ``*{stroke-linejoin: round; stroke-linecap: butt}``; as
# attributes of the root ``<svg>`` these are inherited by every shape without its own.
_STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>\*\{([^}]*)\}</style>")
# A style attribute inside a tag (text content cannot hold "<" or an unescaped quote).
_STYLE_ATTRIBUTE = re.compile(r'(<[A-Za-z][^<>]*?) style="([^"]*)"')


def _attributes(declarations: str) -> str:
    attributes = []
    for declaration in declarations.split(";"):
        if not declaration.strip():
            continue
        name, _colon, value = (part.strip() for part in declaration.partition(":"))
        if name not in PRESENTATION_ATTRIBUTES:
            raise ValueError(f"matplotlib wrote the style {name!r}, which has no attribute here")
        attributes.append(f" {name}={quoteattr(value)}")
    return "".join(attributes)


def _without_inline_styles(svg: str) -> str:
    """The SVG with matplotlib's style sheet and style attributes as presentation
    attributes, so that it draws the same under ``style-src 'self'``."""
    sheet = _STYLE_ELEMENT.search(svg)
    if sheet:
        svg = svg[: sheet.start()] + svg[sheet.end() :]
        svg = svg.replace("<svg", "<svg" + _attributes(sheet.group(1)), 1)
    svg = _STYLE_ATTRIBUTE.sub(lambda m: m.group(1) + _attributes(m.group(2)), svg)
    svg = svg.replace("<defs>\n </defs>", "")
    if "<style" in svg or " style=" in svg:
        raise ValueError("the chart still holds an inline style")
    return svg


@chart
def competency_profile_svg(
    *,
    labels: tuple[str, ...],
    pct: tuple[float | None, ...],
    sha: tuple[float | None, ...],
    england: tuple[float | None, ...],
    title: str,
    pct_name: str = "This PCT",
    sha_name: str = "SHA mean",
) -> str:
    """The PCT's level per competency as bars, against its SHA's and England's means."""
    positions = list(range(len(labels)))
    figure = Figure(figsize=(7.2, 3.4), dpi=100)
    axes = figure.add_subplot()
    axes.bar(positions, [v or 0 for v in pct], color=BLUE, width=0.6, label=pct_name)
    for values in (sha, england):  # the white under both lines, below them both
        axes.plot(positions, values, color=EDGE, linewidth=4.5, solid_capstyle="round", zorder=2.5)
    axes.plot(
        positions,
        england,
        color=ENGLAND_LINE,
        marker="D",
        markersize=6,
        markeredgecolor=EDGE,
        markeredgewidth=0.8,
        linestyle="--",
        linewidth=1.4,
        label="England mean",
        zorder=3,
    )
    axes.plot(  # on top: where the means meet, the SHA's line shows and England's diamonds
        positions,
        sha,
        color=SHA_LINE,
        marker="o",
        markersize=5,
        markeredgecolor=EDGE,
        markeredgewidth=0.8,
        linewidth=1.8,
        label=sha_name,
        zorder=4,
    )
    axes.set_xticks(positions, labels)
    axes.set_ylim(0, LEVELS[-1] + 0.2)
    axes.set_yticks(list(LEVELS))
    axes.set_ylabel("Level")
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False, fontsize=8)
    figure.tight_layout()
    buffer = io.StringIO()
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": "wcc"}
    ):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype, to inline it
    svg = _without_inline_styles(svg)
    description = "; ".join(
        f"{label}: {p if p is not None else 'none'} (SHA {fixed(s, 2)}, England {fixed(e, 2)})"
        for label, p, s, e in zip(labels, pct, sha, england, strict=True)
        if s is not None and e is not None
    )
    head = f'<svg role="img" aria-label={quoteattr(title)}'
    return svg.replace("<svg", head, 1).replace(
        ">", f"><title>{escape(title)}</title><desc>{escape(description)}</desc>", 1
    )


# Series of a distribution chart, in order: colour (Okabe-Ito) and hatching, so that the
# bars differ in greyscale and for colour-blind readers too.
SERIES_STYLES = (
    (BLUE, ""),
    (ORANGE, "///"),
    ("#009E73", "..."),
    (GREY, "xx"),
)


@chart
def distribution_svg(
    *,
    title: str,
    categories: tuple[str, ...],
    series: tuple[tuple[str, tuple[float, ...]], ...],
    size: tuple[float, float] = (3.6, 2.5),
) -> str:
    """Grouped bars: the share (%) of PCTs at each category (a level, a light) for each series
    (a region, England). Each bar is labelled with its share; ``<title>`` and ``<desc>`` carry
    the chart's title and every number, for screen readers and for search."""
    if not 1 <= len(series) <= len(SERIES_STYLES):
        raise ValueError(f"distribution_svg draws 1 to {len(SERIES_STYLES)} series")
    positions = list(range(len(categories)))
    width = 0.8 / len(series)
    figure = Figure(figsize=size, dpi=100)
    axes = figure.add_subplot()
    for index, ((name, shares), (colour, hatch)) in enumerate(
        zip(series, SERIES_STYLES, strict=False)
    ):
        offset = (index - (len(series) - 1) / 2) * width
        bars = axes.bar(
            [p + offset for p in positions],
            shares,
            width=width * 0.95,
            color=colour,
            hatch=hatch,
            edgecolor="white" if not hatch else "#222222",
            linewidth=0.4,
            label=name,
        )
        axes.bar_label(bars, labels=[f"{fixed(s, 0)}%" for s in shares], fontsize=6.5, padding=1)
    axes.set_xticks(positions, categories, fontsize=8)
    axes.set_ylim(0, 115)
    axes.set_yticks([0, 50, 100], ["0%", "50%", "100%"], fontsize=7)
    lines = textwrap.wrap(title, 46) or [""]
    axes.set_title("\n".join(lines), fontsize=8.5, loc="left")
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(series) > 1:
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=len(series),
            frameon=False,
            fontsize=7,
        )
    # Fixed margins rather than tight_layout(), which measures every text twice: a page
    # draws a dozen of these charts.
    figure.subplots_adjust(
        left=0.13,
        right=0.98,
        top=0.94 - 0.055 * len(lines),
        bottom=0.22 if len(series) > 1 else 0.12,
    )
    buffer = io.StringIO()
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "svg.hashsalt": "wcc",
            "hatch.linewidth": 0.6,
        }
    ):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype, to inline it
    svg = _without_inline_styles(svg)
    description = "; ".join(
        f"{category}: " + ", ".join(f"{name} {fixed(shares[i], 0)}%" for name, shares in series)
        for i, category in enumerate(categories)
    )
    head = f'<svg role="img" aria-label={quoteattr(title)}'
    return svg.replace("<svg", head, 1).replace(
        ">", f"><title>{escape(title)}</title><desc>{escape(description)}</desc>", 1
    )
