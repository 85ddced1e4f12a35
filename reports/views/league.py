"""The league table (page, CSV, XLSX) and the open data of a round.

The embargo (CONTRACTS.md): after the round's publication time everyone, signed in or
not, sees the whole table; before it, the national team sees every row and SHA staff only
their own region's rows, ranked within the region so that nothing of other regions leaks;
everyone else gets 404. The open data is public after publication and 404 before, for
everyone.
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from assessments.access import regions_visible_to, round_by_slug, view_access
from assessments.models import AssessmentRound, StrategicHealthAuthority
from assessments.selectors import user_scope
from competencies.vocabulary import AREA_CODES

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
        raise Http404("No such league table.")
    return ([requested] if requested else own), True, True


def league_rows(request, round_: AssessmentRound):
    """The rows of the page for this request, in page order, and what the page says of them."""
    from reports.tables import PATTERNS, SORTS, competency_columns, league_frame

    sha_codes, within_region, may_see_rationales = _scope(request, round_)
    pattern = request.GET.get("pattern", "")
    sort = request.GET.get("sort", "rank")
    columns = competency_columns(round_)
    frame, has_previous = league_frame(
        round_=round_, sha_codes=sha_codes, within_region=within_region, pattern=pattern, sort=sort
    )
    return frame, {
        "sha_codes": sha_codes,
        "within_region": within_region,
        "may_see_rationales": may_see_rationales,
        "pattern": pattern if pattern in PATTERNS else "",
        "sort": sort if (sort in SORTS or sort in columns) else "rank",
        "columns": columns,
        "previous": has_previous,
    }


def _file(frame, round_, columns, fmt, request, info) -> HttpResponse:
    from reports.exports import table_csv, table_xlsx
    from reports.tables import rationale_columns, sub_indicator_table

    table = frame[[*FILE_COLUMNS, *columns, "governance", "total"]]
    if request.GET.get("sub_indicators") == "1":
        table = table.merge(
            sub_indicator_table(round_=round_, ods_codes=list(table["ods_code"])),
            on="ods_code",
            how="left",
        )
    if request.GET.get("rationales") == "1" and info["may_see_rationales"]:
        table = table.merge(
            rationale_columns(round_=round_, ods_codes=list(table["ods_code"])),
            on="ods_code",
            how="left",
        )
    name = "league-table-" + slugify("-".join([round_.slug, *(info["sha_codes"] or [])]))
    if fmt == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(
            table_xlsx(table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


SORT_LABELS = {
    "rank": "rank",
    "pct": "PCT name",
    "governance": "governance points",
    "total": "total",
    "change": "change since the previous round",
}


def _sort_label(sort: str, key: list[tuple[str, str]]) -> str:
    names = {code: f"{code.upper()} {name}" for code, name in key}
    return SORT_LABELS.get(sort) or names.get(sort, sort)


@require_safe
@view_access("reports.view_league_rows", lookup=round_by_slug, public=True)
def league_table(request, round_: AssessmentRound):
    from reports.tables import PATTERNS, competency_key

    frame, info = league_rows(request, round_)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        response = _file(frame, round_, info["columns"], fmt, request, info)
        if not round_.is_published():
            # Embargoed results: no cache may keep the file, whoever asked for it
            # (wcc_site's PrivateCacheMiddleware also covers every signed-in answer).
            patch_cache_control(response, private=True, no_store=True)
        return response
    if fmt:
        raise Http404("Unknown format: use csv or xlsx.")
    key = competency_key(round_)
    shas = StrategicHealthAuthority.objects.order_by("name")
    if info["within_region"]:
        shas = shas.filter(ods_code__in=info["sha_codes"])
    return render(
        request,
        "reports/league_table.html",
        {
            "round": round_,
            "rows": [
                {
                    **row,
                    "lights": [(row[a], row["moderated"].get(a)) for a in AREAS],
                    "levels": [(row[c], row["moderated"].get(c)) for c in info["columns"]],
                }
                for row in frame.to_dict("records")
            ],
            "published": round_.is_published(),
            "shas": list(shas),
            "patterns": [(code, label) for code, (label, _test) in PATTERNS.items()],
            "pattern_label": PATTERNS[info["pattern"]][0] if info["pattern"] else "",
            "competency_key": key,
            "sort_label": _sort_label(info["sort"], key),
            **info,
        },
    )


@require_safe
@view_access("reports.view_open_data", lookup=round_by_slug, public=True)
def open_data(request, round_: AssessmentRound):
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
    body = {"round": round_.slug, "published_at": round_.published_at.isoformat()}
    if round_.illustrative:  # invented for the demo: say so in the data too (DOMAIN.md)
        body["illustrative"] = "Illustrative data: invented for the demo."
    return JsonResponse({**body, "results": results}, json_dumps_params={"indent": 1})


urlpatterns = [
    path("reports/league-table/<slug:round_slug>/", league_table, name="league_table"),
    path("api/results/<slug:round_slug>.json", open_data, name="open_data"),
]
