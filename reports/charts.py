"""Charts as SVG text (matplotlib), the same in pages and PDFs.

Colours are from the Okabe-Ito palette, which reads for colour-blind people, and each
series also differs by shape (bars, a line with circles, a dashed line with diamonds) so
the chart reads in greyscale. Text stays text (``svg.fonttype = none``), so it is
selectable and searchable in the PDF. A chart is a pure function of its inputs and is
cached, so it is not rebuilt when nothing changed.
"""

import io
from functools import lru_cache
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")  # no display; never pyplot's global state

from matplotlib.figure import Figure

BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#555555"


@lru_cache(maxsize=512)
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
    axes.plot(positions, sha, color=ORANGE, marker="o", linewidth=1.5, label=sha_name)
    axes.plot(
        positions,
        england,
        color=GREY,
        marker="D",
        linestyle="--",
        linewidth=1.2,
        label="England mean",
    )
    axes.set_xticks(positions, labels)
    axes.set_ylim(0, 4.2)
    axes.set_yticks([1, 2, 3, 4])
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
    description = "; ".join(
        f"{label}: {p if p is not None else 'none'} (SHA {s:.2f}, England {e:.2f})"
        for label, p, s, e in zip(labels, pct, sha, england, strict=True)
        if s is not None and e is not None
    )
    head = f'<svg role="img" aria-label="{escape(title)}"'
    return svg.replace("<svg", head, 1).replace(
        ">", f"><title>{escape(title)}</title><desc>{escape(description)}</desc>", 1
    )
