"""After a load run: is every acknowledged save in the database with its values?

    DATABASE_URL=... python loadtest/check.py RESULTS.jsonl

Reads the JSON lines written by ``loadtest/locustfile.py`` and compares them with each
seat's stored scores (through ``panel_view``, as the scoring page reads them). Each
write claims the seat's version ``v`` and leaves it at ``v + 1`` (the optimistic lock),
so the writes of one seat are ordered by version, not by clocks. For each seat:

- **lost write**: an acknowledged write whose version is above the stored version (it
  vanished), two acknowledged writes leaving the same version (one overwrote the other
  unseen), the stored version equal to an acknowledged write's but other values stored,
  or an acknowledged submission with the seat not submitted;
- **superseded by an unacknowledged write** (not lost): the stored version is above every
  acknowledged one; then the stored values must be those of a write that was sent from
  the version before (a POST whose answer was lost in the outage or at the end of the run),
  else it is counted as a lost write too.

Prints the counts as JSON on the last line; exits 1 when any write was lost.
"""

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wcc_site.settings")


def stored_values(seat) -> dict:
    from panels.selectors import panel_view

    values = {}
    for row in panel_view(assessment=seat.panel.assessment, seat=seat).rows:
        for r in [row, *row.subs]:
            mine = r.mine
            value = ""
            if mine is not None:
                value = str(mine.level) if mine.level is not None else mine.light
            values[r.code] = value
            values[f"{r.code}_notes"] = mine.notes_for_board if mine else ""
            values[f"{r.code}_internal"] = mine.internal_notes if mine else ""
    return values


def same(sent: dict, stored: dict) -> bool:
    return all(stored.get(k, "") == v for k, v in sent.items())


def main(path: str) -> int:
    import django

    django.setup()
    from panels.models import Seat

    acks, sent, bad = defaultdict(list), defaultdict(list), 0
    for line in Path(path).read_text().splitlines():
        entry = json.loads(line)
        if entry["kind"] == "bad":
            bad += 1
            continue
        key = (entry["user"], entry["path"])
        (acks if entry["kind"] == "ack" else sent)[key].append(entry)

    counts = {
        "seats_written": 0,
        "acknowledged_writes": 0,
        "acknowledged_submissions": 0,
        "superseded_by_unacknowledged": 0,
        "lost_writes": 0,
        "unexpected_answers_recorded": bad,
    }
    problems = []
    for key in sorted(set(acks) | set(sent)):
        user, url = key
        _, _panels, round_slug, ods, _score, _ = url.split("/")
        seat = Seat.objects.select_related("panel__assessment").get(
            panel__assessment__round__slug=round_slug,
            panel__assessment__pct__ods_code=ods,
            person__user__username=user,
        )
        counts["seats_written"] += 1
        stored = stored_values(seat)
        mine = acks[key]
        counts["acknowledged_writes"] += len(mine)
        by_version = defaultdict(list)
        for ack in mine:
            by_version[ack["version"]].append(ack)
        for version, same_version in by_version.items():
            if len(same_version) > 1:
                problems.append(f"{key}: {len(same_version)} acknowledged writes at v{version}")
            if version > seat.version:
                problems.append(f"{key}: acknowledged v{version} above stored v{seat.version}")
        for ack in mine:
            if ack["what"] == "submit":
                counts["acknowledged_submissions"] += 1
                if seat.submitted_at is None:
                    problems.append(f"{key}: acknowledged submission, seat not submitted")
        last = max(by_version, default=None)
        if last is not None and last == seat.version:
            if not same(by_version[last][0]["values"], stored):
                problems.append(f"{key}: stored values differ from acknowledged v{last}")
        elif seat.version > (last or 0) and (last is not None or seat.version > 1):
            candidates = [s for s in sent[key] if s["posted_version"] == seat.version - 1]
            if any(same(s["values"], stored) for s in candidates):
                counts["superseded_by_unacknowledged"] += 1
            elif last is not None or candidates:
                problems.append(
                    f"{key}: stored v{seat.version} matches no write sent from v{seat.version - 1}"
                )
    counts["lost_writes"] = len(problems)
    for problem in problems[:20]:
        print("LOST:", problem)
    print(json.dumps(counts))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
