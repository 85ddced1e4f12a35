"""Pages against ``/healthz/``, served by the same gunicorn in the same run (issue 13).

    .venv/bin/python bench/pages.py [--scale N] [--repeat 20] [--db PATH] [--json FILE]

1. Prepares a SQLite database file: ``migrate``, ``load_reference_data`` and
   ``seed_demo --scale N`` (the demo, plus N synthetic PCTs when N is above 0). With
   ``--db PATH`` the file is kept, and reused (after ``migrate``) by later runs with the
   same ``--scale``, so a 10,000-PCT seed is paid once; without it, a temporary file is
   used and removed.
2. Starts gunicorn (2 workers, DEBUG off) on 127.0.0.1 on a free port, with the repository's
   ``gunicorn.conf.py`` when there is one, and logs in through the login form as the demo
   users who see each page (CONTRACTS.md): nobody for the published league table, open
   data, England's summary and the directed development list, ``national``, the moderator of the region at moderation with the most PCTs, a
   panel member of a 2009-10 panel at scoring, ``board.5pg``.
3. For each page, ``--repeat`` times: ``/healthz/`` then the page, on the same kept-alive
   session (interleaved, so that both see the same load). "League table right after a
   rating changed" is: a real change through the moderation adjust POST (the page's
   script's JSON form, untimed), then the national team's league table of that round;
   "moderation page after a change" the same change, then the moderator's reload; the
   adjust POST is a row of its own. "Score save"
   is the scoring form's "save draft" POST; each answer must be the redirect to the form,
   which then says "Draft saved.".
4. Queries per request: each page once more through Django's test client in this process,
   on the same database file, under ``CaptureQueriesContext`` (not through gunicorn).

Prints one row per page: median and p95 in ms, the health check's median in the same
pairs, the ratios (median/median, p95/p95), the answer's size and the queries it made, with
the load average before and after. Asserts nothing about speed; exits 1 if any request
failed (an answer other than 2xx/3xx, or a save that was not acknowledged), 2 if the
database could not be prepared. Each run changes its database a little (ratings adjusted
back and forth, score drafts saved), as the pages' users would.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import load_average, median_ms, p95_ms  # noqa: E402
from loadtest.forms import Forms  # noqa: E402
from loadtest.run import free_port  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = os.environ.get("DEMO_PASSWORD", "wcc-demo")
PUBLISHED, OPEN = "2008-09", "2009-10"  # the demo's published round and the one in progress


class Failed(Exception):
    """A request answered something other than 2xx/3xx, or not what it should."""


class Unprepared(Exception):
    """The database could not be prepared (a command failed, or a file of another kind)."""


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def site_env(db: Path, folder: Path) -> dict:
    """The environment of every command and of gunicorn: the database file, DEBUG off,
    plain HTTP on 127.0.0.1."""
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")
        },
        "DATABASE_URL": f"sqlite:///{db}",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "wcc_site.settings",
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict, *args: str) -> None:
    """A management command; its own message (stderr) is shown if it fails."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args, "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        hint = ""
        if "--scale" in args and "unrecognized arguments" in done.stderr:
            hint = (
                "\n`seed_demo --scale N` does not exist in this checkout (it is built "
                "separately, see CONTRACTS.md); run without --scale, or on a branch that has it."
            )
        raise Unprepared(
            f"`manage.py {' '.join(args)}` failed "
            f"(exit {done.returncode}):\n{done.stderr.strip()}{hint}"
        )


def prepare(db: Path, scale: int, env_for) -> None:
    """Migrate and seed into ``db``, unless it was already prepared with this scale. The
    file appears only once complete (prepared beside it, then renamed)."""
    marker = db.with_name(db.name + ".bench.json")
    if db.exists():
        prepared = json.loads(marker.read_text()) if marker.exists() else {}
        if prepared.get("scale") != scale:
            raise Unprepared(
                f"{db} exists but was not prepared by this benchmark with "
                f"--scale {scale} ({marker.name}: {prepared or 'missing'}); give another --db."
            )
        say(f"reusing {db} (prepared with --scale {scale}); applying any new migrations")
        manage(env_for(db), "migrate")
        return
    partial = db.with_name(db.name + ".partial")
    partial.unlink(missing_ok=True)
    env = env_for(partial)
    started = time.monotonic()
    # seed_demo --scale builds the demo itself first, then adds the synthetic PCTs.
    commands = [["migrate"], ["load_reference_data"], ["seed_demo", "--scale", str(scale)]]
    for command in commands:
        say(f"preparing {db.name}: manage.py {' '.join(command)}")
        manage(env, *command)
    partial.rename(db)
    for suffix in ("-wal", "-shm"):
        db.with_name(partial.name + suffix).unlink(missing_ok=True)
    marker.write_text(json.dumps({"scale": scale}))
    say(f"prepared {db} in {time.monotonic() - started:.0f} s")


@dataclass
class Targets:
    """What the demo offers to measure, found in the database."""

    region: str  # the SHA at regional moderation in OPEN with the most PCTs
    moderator: str
    rating_id: int  # one of its agreed competency ratings
    rating_version: int
    rating_value: int
    member: str  # a panel member with an open seat on a panel at scoring
    scoring_path: str
    pcts: int


def find_targets() -> Targets:
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from assessments.models import AgreedRating, Assessment, Stage
    from panels.models import Seat

    # The region at moderation with the most PCTs whose moderator is a demo user (the
    # synthetic organisations of --scale may belong to regions without one).
    regions = (
        Assessment.objects.filter(round__slug=OPEN, stage=Stage.MODERATION)
        .values_list("pct__sha__ods_code", flat=True)
        .annotate(n=Count("pk"))
        .order_by("-n", "pct__sha__ods_code")
    )
    moderators = set(
        get_user_model()
        .objects.filter(username__startswith="moderator.")
        .values_list("username", flat=True)
    )
    sha = next((code for code in regions if f"moderator.{code.lower()}" in moderators), None)
    if sha is None:
        raise Unprepared(f"no region of {OPEN} with a demo moderator is at regional moderation")
    rating = (
        AgreedRating.objects.filter(
            assessment__round__slug=OPEN,
            assessment__pct__sha__ods_code=sha,
            assessment__stage=Stage.MODERATION,
            competency__isnull=False,
            sub_indicator__isnull=True,
        )
        .order_by("assessment__pct__name", "competency__number")
        .first()
    )
    seat = (
        Seat.objects.filter(
            panel__assessment__round__slug=OPEN,
            panel__assessment__stage=Stage.SCORING,
            submitted_at__isnull=True,
            absence_reason="",
            person__user__isnull=False,
        )
        .select_related("person__user", "panel__assessment__pct")
        .order_by("panel__assessment__pct__name", "pk")
        .first()
    )
    if rating is None or seat is None:
        raise Unprepared("the demo has no rating at moderation or no open seat")
    return Targets(
        region=sha,
        moderator=f"moderator.{sha.lower()}",
        rating_id=rating.pk,
        rating_version=rating.version,
        rating_value=rating.level,
        member=seat.person.user.username,
        scoring_path=f"/panels/{OPEN}/{seat.panel.assessment.pct.ods_code}/score/",
        pcts=Assessment.objects.filter(round__slug=PUBLISHED).count(),
    )


@dataclass
class Page:
    name: str
    user: str | None
    url: str
    times: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    size: int = 0
    queries: int | None = None

    def row(self) -> dict:
        page, health = median_ms(self.times), median_ms(self.health)
        page95, health95 = p95_ms(self.times), p95_ms(self.health)
        return {
            "page": self.name,
            "user": self.user or "(anonymous)",
            "url": self.url,
            "requests": len(self.times),
            "median_ms": round(page, 2),
            "p95_ms": round(page95, 2),
            "healthz_median_ms": round(health, 2),
            "healthz_p95_ms": round(health95, 2),
            "ratio": round(page / health, 1),
            "ratio_p95": round(page95 / health95, 1),
            "bytes": self.size,
            "queries": self.queries,
        }


def expect(response: requests.Response, what: str) -> requests.Response:
    if not 200 <= response.status_code < 400:
        raise Failed(f"{what}: HTTP {response.status_code}")
    return response


class Server:
    """gunicorn on 127.0.0.1, 2 workers, DEBUG off (the repository's gunicorn.conf.py,
    when present, gives the rest of its settings)."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder, self.port = env, folder, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        conf = ROOT / "gunicorn.conf.py"
        # Without a config file: threads, so that connections are kept alive (gthread), as
        # in loadtest/run.py.
        options = [f"--config={conf}"] if conf.exists() else ["--threads=4", "--keep-alive=5"]
        self.command = [
            str(BIN / "gunicorn"),
            "wcc_site.wsgi",
            *options,
            "--workers=2",
            f"--bind=127.0.0.1:{self.port}",
            "--error-logfile",
            str(folder / "gunicorn.log"),
        ]
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/healthz/", timeout=5).status_code == 200:
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.25)
        self.__exit__()
        log = (self.folder / "gunicorn.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench/pages.py: gunicorn did not answer /healthz/:\n{log}")

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def session(self, username: str | None) -> requests.Session:
        """A kept-alive session, logged in through the login form (or anonymous)."""
        session = requests.Session()
        if username is None:
            return session
        expect(session.get(f"{self.base}/accounts/login/", timeout=30), "login page")
        answer = session.post(
            f"{self.base}/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
            },
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302 or "sessionid" not in session.cookies:
            raise Failed(f"login as {username}: HTTP {answer.status_code}, not logged in")
        return session


def timed(call) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    response = call()
    response.content  # noqa: B018  (read the whole answer inside the timing)
    return time.perf_counter() - start, response


def measure(
    page: Page,
    session: requests.Session,
    base: str,
    repeat: int,
    request=None,
    after=None,
    before=None,
) -> None:
    """``repeat`` pairs of ``/healthz/`` then the page (``request`` makes the page's
    request; by default a GET of its URL), after two untimed warm-ups. ``after`` is given
    each answer once its timing is taken, and is not timed (the save's acknowledgement);
    ``before`` runs, untimed, before each pair (the change the page must then show)."""
    request = request or (lambda: session.get(base + page.url, timeout=120))
    for _ in range(2):
        if before:
            before()
        response = expect(request(), page.name)
        if after:
            after(response)
    for _ in range(repeat):
        if before:
            before()
        seconds, response = timed(lambda: session.get(f"{base}/healthz/", timeout=30))
        expect(response, "/healthz/")
        page.health.append(seconds)
        seconds, response = timed(request)
        page.times.append(seconds)
        page.size = len(expect(response, page.name).content)
        if after:
            after(response)


class Adjuster:
    """Real changes to one agreed rating through the moderation adjust POST (the page's
    script's form, answered with JSON), back and forth between two levels."""

    def __init__(self, post, csrf: str, targets: Targets, base: str = ""):
        self.post, self.csrf = post, csrf
        self.url = f"{base}/reports/moderation/{OPEN}/{targets.region}/adjust/{targets.rating_id}/"
        self.version, self.value = targets.rating_version, targets.rating_value

    def __call__(self) -> requests.Response:
        value = self.value % 4 + 1
        answer = self.post(
            self.url,
            {
                "version": str(self.version),
                "value": str(value),
                "reason": f"Benchmark: level {value}, to measure the pages after a change.",
                "csrfmiddlewaretoken": self.csrf,
            },
            headers={"Accept": "application/json"},
        )
        body = answer.json() if answer.status_code in (200, 409, 422) else {}
        if answer.status_code != 200 or not body.get("ok"):
            raise Failed(f"moderation adjust: HTTP {answer.status_code} {body.get('message')}")
        self.version, self.value = body["rating"]["version"], body["rating"]["value"]
        return answer


class ScoreSaver:
    """The scoring form's "save draft" POST, with different levels each time; each save
    must redirect to the form, which then says "Draft saved." (and carries the new
    version)."""

    def __init__(self, session: requests.Session, url: str):
        self.session, self.url, self.count = session, url, 0
        self.form = self._form(expect(session.get(url, timeout=60), "scoring page").text)

    @staticmethod
    def _form(html: str) -> dict:
        form = Forms(html).with_field("version")
        if form is None:
            raise Failed("scoring page: no scoring form (is the seat still open?)")
        return form

    def post(self) -> requests.Response:
        self.count += 1
        values = {}
        for name, options in self.form["radios"].items():
            offered = [o for o in options if o]
            if offered:
                values[name] = offered[self.count % len(offered)]
        for name in self.form["textareas"]:
            values[name] = f"Benchmark note {self.count}."
        return self.session.post(
            self.url,
            {
                "csrfmiddlewaretoken": self.form["fields"].get("csrfmiddlewaretoken", ""),
                "version": self.form["fields"]["version"],
                "action": "save",
                **values,
            },
            allow_redirects=False,
            timeout=60,
        )

    def check(self, response: requests.Response) -> None:
        """After the timing: the save was acknowledged (and the form is read again)."""
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not urljoin(self.url, location).startswith(self.url):
            raise Failed(f"score save: HTTP {response.status_code} to {location!r}, not saved")
        page = expect(self.session.get(urljoin(self.url, location), timeout=60), "scoring page")
        if "Draft saved." not in page.text:
            raise Failed("score save: the form did not say 'Draft saved.'")
        self.form = self._form(page.text)


def benchmark(server: Server, targets: Targets, repeat: int) -> list[Page]:
    base = server.base
    sessions = {
        name: server.session(name)
        for name in (None, "national", targets.moderator, targets.member, "board.5pg")
    }
    league = f"/reports/league-table/{PUBLISHED}/"
    pages = [
        Page("league table (HTML)", None, league),
        Page("league table (CSV)", None, league + "?format=csv"),
        Page("open data (JSON)", None, f"/api/results/{PUBLISHED}.json"),
        Page(f"league table {OPEN} (national)", "national", f"/reports/league-table/{OPEN}/"),
        Page("PCT results page", "board.5pg", f"/reports/pct/5PG/{PUBLISHED}/"),
        Page("England summary", None, f"/reports/summary/{PUBLISHED}/"),
        Page("directed development", None, f"/reports/development/{PUBLISHED}/"),
        Page(
            f"moderation page ({targets.region})",
            targets.moderator,
            f"/reports/moderation/{OPEN}/{targets.region}/",
        ),
        Page("scoring page", targets.member, targets.scoring_path),
    ]
    for page in pages:
        say(f"{page.name}: {page.url} as {page.user or 'nobody'}")
        measure(page, sessions[page.user], base, repeat)

    # A real change, then the league table of that round (only the GET is timed).
    moderator = sessions[targets.moderator]
    moderator.get(base + f"/reports/moderation/{OPEN}/{targets.region}/", timeout=60)
    adjust = Adjuster(
        lambda url, data, headers: moderator.post(url, data, headers=headers, timeout=60),
        moderator.cookies.get("csrftoken", ""),
        targets,
        base,
    )
    changed = Page(f"league table {OPEN} after a change", "national", pages[3].url)
    say(f"{changed.name}: adjust rating {targets.rating_id} of {targets.region}, then GET")
    measure(changed, sessions["national"], base, repeat, before=adjust)
    pages.append(changed)

    # The moderator's reload after each adjustment (only the GET is timed).
    reload = Page(f"moderation page ({targets.region}) after a change", targets.moderator, "")
    reload.url = pages[5].url
    say(f"{reload.name}: adjust rating {targets.rating_id}, then GET")
    measure(reload, moderator, base, repeat, before=adjust)
    pages.append(reload)

    # The adjustment itself: the page's script's POST, answered with the cell as JSON.
    adjusted = Page(f"moderation adjust ({targets.region}, POST)", targets.moderator, "")
    adjusted.url = adjust.url.removeprefix(base)
    say(f"{adjusted.name}: {adjusted.url} as {targets.moderator}")
    measure(adjusted, moderator, base, repeat, adjust)
    pages.append(adjusted)

    # The score save: the POST is timed; its acknowledgement (following the redirect to
    # the scoring page) is checked after the timing.
    saver = ScoreSaver(sessions[targets.member], base + targets.scoring_path)
    save = Page("score save (POST)", targets.member, targets.scoring_path)
    say(f"{save.name}: {targets.scoring_path} as {targets.member}")
    measure(save, sessions[targets.member], base, repeat, saver.post, saver.check)
    pages.append(save)
    return pages


def count_queries(pages: list[Page], targets: Targets) -> None:
    """Each page's queries, through Django's test client in this process (same database
    file), the second time it is asked for (warm, as the timed requests are)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.models import AgreedRating

    users = get_user_model().objects.in_bulk(
        [p.user for p in pages if p.user], field_name="username"
    )
    clients = {}
    for username in {p.user for p in pages}:
        clients[username] = Client(HTTP_HOST="127.0.0.1")
        if username:
            clients[username].force_login(users[username])
    moderator = clients[targets.moderator]
    rating = AgreedRating.objects.get(pk=targets.rating_id)
    now = replace(targets, rating_version=rating.version, rating_value=rating.level)
    adjust = Adjuster(lambda url, data, headers: _post(moderator, url, data, headers), "", now)
    for page in pages:
        client = clients[page.user]
        saver = _ClientSaver(client, page.url) if page.name.startswith("score save") else None
        for attempt in range(2):
            if "after a change" in page.name:
                adjust()  # not counted: the change, then the page
            if saver:
                saver.read_form()  # not counted: the form, then the save
            with CaptureQueriesContext(connection) as queries:
                if saver:
                    response = saver.save()
                elif page.name.startswith("moderation adjust"):
                    response = adjust()
                else:
                    response = client.get(page.url)
            if not 200 <= response.status_code < 400:
                raise Failed(f"{page.name} (test client): HTTP {response.status_code}")
            if attempt == 1:
                page.queries = len(queries)


def _post(client, url, data, headers):
    response = client.post(url, data, headers=headers)
    response.json = lambda: json.loads(response.content)
    return response


class _ClientSaver:
    """The score save through the test client: the form's fields from the page, then a
    draft with the first level offered for each item."""

    def __init__(self, client, url: str):
        self.client, self.url, self.form = client, url, None

    def read_form(self) -> None:
        self.form = Forms(self.client.get(self.url).content.decode()).with_field("version")

    def save(self):
        form = self.form
        data = {"version": form["fields"]["version"], "action": "save"}
        for name, options in form["radios"].items():
            offered = [o for o in options if o]
            if offered:
                data[name] = offered[0]
        for name in form["textareas"]:
            data[name] = "Benchmark note (query count)."
        response = self.client.post(self.url, data)
        if response.status_code != 302 or not re.match(re.escape(self.url), response["Location"]):
            raise Failed(f"score save (test client): HTTP {response.status_code}, not saved")
        return response


def print_table(pages: list[Page], header: str) -> list[dict]:
    rows = [p.row() for p in pages]
    print(f"\n{header}")
    titles = ("page", "median ms", "p95 ms", "healthz ms", "ratio", "ratio p95", "bytes", "queries")
    print(f"{titles[0]:<38}" + "".join(f"{t:>11}" for t in titles[1:]))
    for r in rows:
        print(
            f"{r['page']:<38}{r['median_ms']:>11.1f}{r['p95_ms']:>11.1f}"
            f"{r['healthz_median_ms']:>11.2f}{r['ratio']:>10.1f}x{r['ratio_p95']:>10.1f}x"
            f"{r['bytes']:>11}{r['queries'] if r['queries'] is not None else '-':>11}"
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0, help="synthetic PCTs to add (0: none)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--db", type=Path, help="database file to prepare once and reuse")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.repeat < 1 or args.scale < 0:
        parser.error("--repeat must be at least 1 and --scale at least 0")

    folder = Path(tempfile.mkdtemp(prefix="wcc-bench-pages-"))
    db = args.db.resolve() if args.db else folder / "bench.sqlite3"
    try:
        prepare(db, args.scale, lambda path: site_env(path, folder))
        env = site_env(db, folder)
        say("collecting static files (DEBUG off serves the manifest's names)")
        manage(env, "collectstatic", "--noinput")
        os.environ.update(env)
        import django

        django.setup()
        targets = find_targets()
        say(
            f"{targets.pcts} PCTs; moderation region {targets.region}; scoring "
            f"{targets.scoring_path} as {targets.member}"
        )
        before = load_average()
        with Server(env, folder) as server:
            say(f"gunicorn: {' '.join(server.command[1:-2])}")
            pages = benchmark(server, targets, args.repeat)
        say("queries per request (test client, same database file)")
        count_queries(pages, targets)
        after = load_average()
        header = (
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {targets.pcts} PCTs in {PUBLISHED}, "
            f"{args.repeat} pairs per page, load average {before} (before) / {after} (after)"
        )
        rows = print_table(pages, header)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "date": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
                        "pcts": targets.pcts,
                        "scale": args.scale,
                        "repeat": args.repeat,
                        "load_average_before": before,
                        "load_average_after": after,
                        "gunicorn": server.command[1:-2],
                        "pages": rows,
                    },
                    indent=1,
                )
            )
            say(f"figures written to {args.json}")
        return 0
    except Unprepared as exc:
        print(f"bench/pages.py: the database could not be prepared: {exc}", file=sys.stderr)
        return 2
    except (Failed, requests.RequestException) as exc:
        print(f"bench/pages.py: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
