"""The league table (page, CSV, XLSX) and the open data of a round.

The embargo (CONTRACTS.md): after the round's publication time everyone, signed in or
not, sees the whole table; before it, the national team sees every row and SHA staff only
their own region's rows, ranked within the region so that nothing of other regions leaks;
everyone else gets 404. The open data is public after publication and 404 before, for
everyone.
"""

import json
from urllib.parse import urlencode

from django.core.paginator import InvalidPage, Page, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from assessments.access import regions_visible_to, round_by_slug, view_access
from assessments.models import AssessmentRound, StrategicHealthAuthority
from assessments.selectors import user_scope
from competencies.vocabulary import AREA_CODES, AreaCode
from reports.kept import Kept

# pandas (through reports.tables) is imported inside the views, not at start-up.
AREAS = list(AREA_CODES)
FILE_COLUMNS = ["rank", "ods_code", "pct", "sha", *AREAS]
SORTS = {
    "rank": "rank",
    "pct": "pct",
    "governance": "governance",
    "total": "total",
    "change": "rank_change",
}


def _scope(request, round_: AssessmentRound) -> tuple[list[str] | None, bool, bool]:
    """``(sha codes to restrict to or None, rank within the region, may see rationales)``;
    404 when the user may not see this round's table (or the region asked for)."""
    requested = request.GET.get("sha", "").strip().upper()
    if requested and not StrategicHealthAuthority.objects.filter(ods_code=requested).exists():
        raise Http404("No such SHA.")
    user = request.user
    scope = user_scope(user)
    if round_.is_published() or user.has_perm("reports.view_league_table", round_):
        staff_rationales = scope.is_national or scope.is_sha_staff
        return ([requested] if requested else None), False, staff_rationales
    own = sorted(regions_visible_to(user).values_list("ods_code", flat=True))
    if not own or (requested and requested not in own):
        raise Http404("Not found.")  # as for a round that does not exist: no hint of one
    return ([requested] if requested else own), True, True


def league_rows(request, round_: AssessmentRound, columns: list[str]):
    """The table this request asks for (``reports.tables.League``: kept per version, scope,
    filter and sort) and what the page says of it; 404 outside the user's scope."""
    from reports.tables import PATTERNS, kept_league, league_sort

    sha_codes, within_region, may_see_rationales = _scope(request, round_)
    pattern = request.GET.get("pattern", "")
    pattern = pattern if pattern in PATTERNS else ""
    sort = league_sort(request.GET.get("sort", "rank"), columns)
    previous = round_.previous
    if sort.removeprefix("-") == "change" and not (previous and previous.is_published()):
        sort = "rank"  # no previous round compared, no Change column to sort by
    league = kept_league(
        round_=round_,
        columns=columns,
        sha_codes=sha_codes,
        within_region=within_region,
        pattern=pattern,
        sort=sort,
    )
    return league, {
        "sha_codes": sha_codes,
        "within_region": within_region,
        "may_see_rationales": may_see_rationales,
        "pattern": pattern,
        "sort": sort,
        "columns": columns,
        "previous": league.previous,
    }


def _file_name(round_, info, fmt: str, *, sub_indicators: bool, rationales: bool) -> str:
    """``league-table-2009-10-Q34-no-red-by-c3-sub-indicators.csv``: what the file holds, so that
    two different downloads never share a name. SHA codes upper case, as CONTRACTS.md
    writes codes; "ranked-in-region" when the ranks are the region's own."""
    parts = ["league-table", round_.slug, *(info["sha_codes"] or [])]
    if info["within_region"]:
        parts.append("ranked-in-region")
    if info["pattern"]:
        parts.append(info["pattern"])
    sort = info.get("sort", "rank")
    if sort != "rank":  # the rows' order is part of what the file holds (the data walk)
        parts.append(f"by-{sort.removeprefix('-')}" + ("-reversed" if sort.startswith("-") else ""))
    parts += ["sub-indicators"] * sub_indicators + ["rationales"] * rationales
    return (
        "-".join(slugify(p) if p not in (info["sha_codes"] or []) else p.upper() for p in parts)
        + f".{fmt}"
    )


def _file(league, round_, columns, fmt, request, info) -> HttpResponse:
    """The table as a CSV or XLSX file. The plain file (the CONTRACTS.md columns, the one
    the public downloads) is kept per version (``reports.tables.kept_file``). A file with
    sub-indicators or rationales, for staff, is read from the ratings themselves (not from
    the versioned standings) on each request, a chunk of rows at a time
    (``reports.tables.with_extras``): the CSV is sent as it is read, the XLSX written row
    by row into a temporary file and sent from it, so neither is held whole in memory."""
    from reports.exports import column_widths, csv_pieces, table_csv, table_xlsx, xlsx_file
    from reports.tables import kept_file, with_extras

    table = league.frame[[*FILE_COLUMNS, *columns, "governance", "total"]]
    sub_indicators = request.GET.get("sub_indicators") == "1"
    rationales = request.GET.get("rationales") == "1" and info["may_see_rationales"]
    filename = _file_name(round_, info, fmt, sub_indicators=sub_indicators, rationales=rationales)
    content_type = CONTENT_TYPES[fmt]
    headers = {"Content-Disposition": content_disposition_header(True, filename)}
    if not (sub_indicators or rationales):
        make = table_csv if fmt == "csv" else table_xlsx
        return HttpResponse(
            kept_file(league, fmt, lambda: make(table)), content_type=content_type, headers=headers
        )
    chunks = with_extras(table, round_=round_, sub_indicators=sub_indicators, rationales=rationales)
    if fmt == "csv":
        return StreamingHttpResponse(csv_pieces(chunks), content_type=content_type, headers=headers)
    file = xlsx_file(chunks, widths=column_widths(table))
    return FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# What the caption says a table is sorted by: the first click's order, then the other way
# round (a ``-`` before the sort).
SORT_LABELS = {
    "rank": ("rank", "rank, from the last"),
    "pct": ("PCT name", "PCT name, Z to A"),
    "sha": ("SHA", "SHA, Z to A"),
    **{
        code: (f"{name.lower()}, green first", f"{name.lower()}, red first")
        for code, name in AreaCode.choices
    },
    "governance": ("governance points, most first", "governance points, fewest first"),
    "total": ("total, highest first", "total, lowest first"),
    "change": (
        "change since the previous round, biggest rise first",
        "change since the previous round, biggest fall first",
    ),
}
SORT_LABELS_ALL = tuple(SORT_LABELS)


def _sort_label(sort: str, key: list[tuple[str, str]]) -> str:
    name, reverse = sort.removeprefix("-"), sort.startswith("-")
    names = {
        code: (f"{code.upper()} {title}, highest first", f"{code.upper()} {title}, lowest first")
        for code, title in key
    }
    return (SORT_LABELS.get(name) or names.get(name) or (name, name))[reverse]


def _sort_header(sort: str, name: str) -> dict[str, str]:
    """A sortable column's header: the sort its link asks for (the other way round when
    the table is sorted by it already) and its ``aria-sort``."""
    from reports.tables import sort_ascending

    if sort.removeprefix("-") != name:
        return {"link": name, "aria": ""}
    return {
        "link": name if sort.startswith("-") else f"-{name}",
        "aria": "ascending" if sort_ascending(sort) else "descending",
    }


# A table of more than PAGINATE_OVER rows is shown PER_PAGE rows a page (the whole of it
# stays one click away as CSV or XLSX): 10,000 rows make a page no one reads and that
# takes seconds to send and lay out, while a region's or England's 152 fit on one page.
PER_PAGE = 50
PAGINATE_OVER = 200


def _page(request, frame) -> Page:
    """The page of ``frame``'s rows ``?page=N`` asks for (the first without it); 404 for a
    page that is not a number or does not exist, as for any other URL that names nothing."""
    per_page = PER_PAGE if len(frame) > PAGINATE_OVER else max(len(frame), 1)
    try:  # Paginator refuses what is not a whole number (PageNotAnInteger: InvalidPage)
        return Paginator(frame, per_page).page(request.GET.get("page", "1"))
    except InvalidPage as exc:
        raise Http404("No such page.") from exc


# A page's rows and their HTML, per (the table's key: versions, scope, filter, sort; page
# number and size). Rendering a cell costs the same whoever asks, and 152 rows of 20 cells
# were most of a warm page's time; the rows hold nothing that depends on the user, so one
# rendering serves every request until the figures change.
_PAGES: Kept[tuple[list[dict], str]] = Kept("league table pages", size=64)


def _page_rows(league, page: Page, round_: AssessmentRound, columns: list[str]):
    """``(rows, their HTML)`` of this page of the table, made once per version."""
    from reports.tables import page_rows

    def make():
        rows = page_rows(page.object_list, round_=round_, columns=columns)
        html = render_to_string(
            "reports/league_rows.html", {"rows": rows, "previous": league.previous}
        )
        return rows, html

    return _PAGES.get((*league.key, page.number, page.paginator.per_page), make)


def _filter_query(info) -> str:
    """The page's filters as the start of a query string (``sha=Q34&pattern=no-red&``, or
    empty), for links that add a sort, a page or a format."""
    params = {}
    if info["sha_codes"] is not None and len(info["sha_codes"]) == 1:
        params["sha"] = info["sha_codes"][0]
    if info["pattern"]:
        params["pattern"] = info["pattern"]
    return urlencode(params) + "&" if params else ""


@require_safe
@view_access("reports.view_league_rows", lookup=round_by_slug, public=True)
def league_table(request, round_: AssessmentRound):
    from reports.tables import PATTERNS, competency_key

    # Any case, as codes are elsewhere (walk M: ``?format=CSV`` was a 404 for everyone).
    fmt = request.GET.get("format", "").strip().lower()
    if fmt and fmt not in CONTENT_TYPES:
        raise Http404("Unknown format: use csv or xlsx.")
    key = competency_key(round_)
    league, info = league_rows(request, round_, [code for code, _name in key])
    if fmt:
        response = _file(league, round_, info["columns"], fmt, request, info)
        if not round_.is_published():
            # Embargoed results: no cache may keep the file, whoever asked for it
            # (wcc_site's PrivateCacheMiddleware also covers every signed-in answer).
            patch_cache_control(response, private=True, no_store=True)
        return response
    page = _page(request, league.frame)
    rows, tbody = _page_rows(league, page, round_, info["columns"])
    # The filter's options: two columns of each SHA, read on every request.
    shas = StrategicHealthAuthority.objects.order_by("name").values("ods_code", "name")
    if info["within_region"]:
        shas = shas.filter(ods_code__in=info["sha_codes"])
    return render(
        request,
        "reports/league_table.html",
        {
            "round": round_,
            "rows": rows,
            "tbody": tbody,
            "count": len(league.frame),
            # "10,152", as the GOV.UK style writes numbers over 999.
            "count_text": f"{len(league.frame):,}",
            "first_text": f"{page.start_index():,}",
            "last_text": f"{page.end_index():,}",
            "page": page,
            "paginated": page.paginator.num_pages > 1,
            "page_numbers": list(page.paginator.get_elided_page_range(page.number)),
            "filter_query": _filter_query(info),
            # The filters and sort: the page links keep them.
            "query": _filter_query(info) + urlencode({"sort": info["sort"]}),
            "published": round_.is_published(),
            "shas": list(shas),
            "patterns": [(code, label) for code, (label, _test) in PATTERNS.items()],
            "pattern_label": PATTERNS[info["pattern"]][0] if info["pattern"] else "",
            "competency_key": key,
            # One region's rows (filtered, or SHA staff's own before publication): named.
            "region_name": next(
                (sha["name"] for sha in shas if [sha["ods_code"]] == info["sha_codes"]), ""
            ),
            "sort_label": _sort_label(info["sort"], key),
            "headers": {name: _sort_header(info["sort"], name) for name in SORT_LABELS_ALL},
            "competency_headers": [
                (code, name, _sort_header(info["sort"], code)) for code, name in key
            ],
            **info,
        },
    )


# The open data's bytes, per (round, figures version, published): a warm request reads
# the version and sends them. Nothing else goes into the file, so nothing else can make
# kept bytes stale.
_OPEN_DATA: Kept[bytes] = Kept("open data", size=8, shared=True)


@require_safe
@view_access("reports.view_open_data", lookup=round_by_slug, public=True)
def open_data(request, round_: AssessmentRound):
    content = _OPEN_DATA.for_round(
        round_,
        lambda: _open_data(round_),
        round_.published_at,
        round_.first_published_at,
        round_.illustrative,
    )
    return HttpResponse(content, content_type="application/json")


def _open_data(round_: AssessmentRound) -> bytes:
    """The file as ``JsonResponse`` wrote it before it was kept (one-space indent, Django's
    encoder), so that scripts reading it see the same bytes."""
    from reports.tables import competency_columns, ratings_frame

    frame = ratings_frame(round_=round_)
    frame = frame[frame["complete"]]
    columns = competency_columns(round_)
    results = [
        {
            "ods_code": row["ods_code"],
            "pct": row["pct"],
            "sha": row["sha"],
            "rank": int(row["rank"]),
            **{area: row[area] for area in AREAS},
            "competencies": {c[1:]: int(row[c]) for c in columns},
            "governance": int(row["governance"]),
            "total": int(row["total"]),
        }
        for row in frame.to_dict("records")
    ]
    # ``published_at`` is the latest publication (a correction's, after a withdrawal);
    # ``first_published_at`` the first, which a correction keeps.
    first = round_.first_published_at or round_.published_at
    body = {
        "round": round_.slug,
        "published_at": round_.published_at.isoformat(),
        "first_published_at": first.isoformat(),
    }
    if round_.illustrative:  # invented for the demo: say so in the data too (DOMAIN.md)
        body["illustrative"] = "Illustrative data: invented for the demo."
    return json.dumps({**body, "results": results}, cls=DjangoJSONEncoder, indent=1).encode()


urlpatterns = [
    path("reports/league-table/<slug:round_slug>/", league_table, name="league_table"),
    path("api/results/<slug:round_slug>.json", open_data, name="open_data"),
]
