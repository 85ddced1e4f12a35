"""Two sessions of the chair save the same consensus at the same moment, many times.

    DATABASE_URL=... python loadtest/race.py --base http://127.0.0.1:PORT [--rounds 50]

Run by ``loadtest/run.py race`` once the demo's West Midlands panels are at consensus.
Each round both sessions open the consensus page (so both hold the same version of the
panel), then post different agreed values and rationales at the same moment (a barrier
releases both threads). Exactly one must win ("Consensus saved."), the other must get the
conflict message ("changed since you opened it"), and the agreed ratings stored must be
the winner's, with the panel's version one above what both sessions saw. Anything else is
a lost update (both acknowledged, or stored values that are not the winner's) or a failed
round (no winner, an unexpected answer). Prints the counts as JSON on the last line; exits
1 on any lost update or failed round. Bounded: ``--rounds`` at most 200, 30 s timeout per
request.
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wcc_site.settings")

from loadtest.forms import Forms

TIMEOUT = 30
CONFLICT = "changed since you opened"  # this page (the views) or it (the services)
CHAIR, ODS, ROUND = "chair.q34", "5PG", "2009-10"


def sign_in(base: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=TIMEOUT).raise_for_status()
    answer = session.post(
        f"{base}/accounts/login/",
        {
            "username": CHAIR,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"log in as {CHAIR}: {answer.status_code}")
    return session


def stored(assessment) -> tuple[int, dict]:
    from panels.models import Panel
    from panels.selectors import panel_view

    panel = Panel.objects.get(assessment=assessment)
    values = {}
    for row in panel_view(assessment=assessment).rows:
        for r in [row, *row.subs]:
            agreed = r.agreed
            values[r.code] = str(agreed.value) if agreed is not None else ""
            values[f"{r.code}_rationale"] = agreed.rationale if agreed is not None else ""
    return panel.version, values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    rounds = min(args.rounds, 200)

    import django

    django.setup()
    from django.conf import settings

    from assessments.models import Assessment, Stage

    assessment = Assessment.objects.get(round__slug=ROUND, pct__ods_code=ODS)
    if assessment.stage != Stage.CONSENSUS:
        raise RuntimeError(f"{ODS} {ROUND} is not at consensus ({assessment.get_stage_display()})")
    url = f"{args.base}/panels/{ROUND}/{ODS}/consensus/"
    sessions = [sign_in(args.base, settings.DEMO_PASSWORD) for _ in range(2)]
    counts = {
        "race_rounds": rounds,
        "exactly_one_winner": 0,
        "conflicts_shown": 0,
        "lost_updates": 0,
        "failed_rounds": 0,
    }
    times = []

    for number in range(1, rounds + 1):
        forms = []
        for session in sessions:
            page = session.get(url, timeout=TIMEOUT)
            page.raise_for_status()
            forms.append(Forms(page.text).with_field("version"))
        versions = {f["fields"]["version"] for f in forms}
        if len(versions) != 1:
            raise RuntimeError(f"round {number}: the sessions saw versions {versions}")
        seen = int(versions.pop())
        posts = []
        for i, form in enumerate(forms):
            values = {
                name: random.choice([o for o in options if o])  # noqa: S311
                for name, options in form["radios"].items()
            }
            values.update(
                {
                    name: f"round {number} session {'AB'[i]} {uuid.uuid4().hex[:8]}"
                    for name in form["textareas"]
                }
            )
            posts.append({**form["fields"], **values})
        barrier, answers = threading.Barrier(2), [None, None]

        def post(i, data, barrier=barrier, answers=answers):
            barrier.wait()
            began = time.perf_counter()
            try:
                answer = sessions[i].post(url, data, allow_redirects=False, timeout=TIMEOUT)
            except requests.RequestException as exc:
                answers[i] = f"no answer: {exc}"
                return
            times.append(time.perf_counter() - began)
            if answer.status_code == 302:
                shown = sessions[i].get(urljoin(url, answer.headers["Location"]), timeout=TIMEOUT)
                answers[i] = "saved" if "Consensus saved." in shown.text else "other"
            elif answer.status_code == 200 and CONFLICT in answer.text:
                answers[i] = "conflict"
            else:
                answers[i] = f"unexpected {answer.status_code}"

        threads = [threading.Thread(target=post, args=(i, d)) for i, d in enumerate(posts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        version, values = stored(assessment)
        winners = [i for i, a in enumerate(answers) if a == "saved"]
        counts["conflicts_shown"] += answers.count("conflict")
        if len(winners) == 1 and answers.count("conflict") == 1:
            sent = posts[winners[0]]
            mine = {k: v for k, v in sent.items() if k in values}
            if mine == {k: values[k] for k in mine} and version == seen + 1:
                counts["exactly_one_winner"] += 1
            else:
                counts["lost_updates"] += 1
                print(f"round {number}: stored v{version} is not the winner's (saw v{seen})")
        elif len(winners) == 2:
            counts["lost_updates"] += 1
            print(f"round {number}: both sessions were told 'Consensus saved.'")
        else:
            counts["failed_rounds"] += 1
            print(f"round {number}: answers {answers}")

    counts["post_p50_ms"] = round(statistics.median(times) * 1000)
    counts["post_p95_ms"] = round(statistics.quantiles(times, n=20)[-1] * 1000)
    print(json.dumps(counts))
    return 1 if counts["lost_updates"] or counts["failed_rounds"] else 0


if __name__ == "__main__":
    sys.exit(main())
