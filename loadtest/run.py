"""Load and fault runs: `make loadtest` (docs/reliability.md). Not part of `make test`.

    .venv/bin/python loadtest/run.py [load] [outage] [race] [--users 200] [--run-time 60]

Each run starts its own throw-away PostgreSQL cluster (``initdb`` + ``pg_ctl`` in a
temporary folder, as the ``postgres`` user when run as root) listening on 127.0.0.1 only,
migrates, loads the reference data and the demo (``seed_demo``), collects static files,
starts gunicorn (2 workers x 4 threads, DEBUG off) on 127.0.0.1, then:

- ``load``: locust, headless, ``--users`` simulated panel members (spawned at
  ``--spawn-rate`` a second) log in, open their scoring page, save drafts and submit,
  for ``--run-time`` seconds; then ``loadtest/check.py`` checks every acknowledged save.
- ``outage``: the same, shorter (``--outage-run-time``), with PostgreSQL stopped
  (``pg_ctl stop -m fast``) ``--outage-at`` seconds in and started again
  ``--outage-for`` seconds later. During the outage the answers must be the 503 page
  "The service is unavailable, try again shortly" (no 500); afterwards the health check
  must answer again without any restart of gunicorn, saves must be acknowledged again,
  and every acknowledged save must be stored.
- ``race``: ``demo_advance`` three times (the West Midlands panels reach consensus), then
  ``loadtest/race.py``: two sessions of the chair post the same consensus at the same
  moment, ``--race-rounds`` times.

Bounded: users, spawn rate and time are capped; every request of the race has a timeout;
locust stops by itself (``--run-time``, ``--stop-timeout``). Everything listens on
127.0.0.1; the cluster and its folder are removed at the end. Exits 1 on any lost write,
any unexpected answer (500, no answer, 503 without the page) or a site that did not
recover.
"""

import argparse
import contextlib
import csv
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_USERS = 300
MAX_SECONDS = 180


def say(text: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throw-away cluster in a temporary folder, stopped and started at will."""

    def __init__(self, folder: Path):
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.data = folder / "pgdata"
        self.socket_dir = folder / "pgsocket"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(folder, "postgres")
        self.socket_dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.socket_dir, "postgres")
        self.run(
            "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )

    def run(self, tool: str, *args) -> None:
        command = [str(self.bin / tool), *map(str, args)]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} "
            "-c max_connections=50"
        )
        self.run("pg_ctl", "-D", self.data, "-o", options, "-l", self.data / "log", "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/wcc"


class Site:
    def __init__(self, folder: Path, pg: Postgres):
        self.folder, self.pg, self.port = folder, pg, free_port()
        self.server = None
        self.keep_alive = 2  # gunicorn's default; --keep-alive changes it
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")},
            "DATABASE_URL": pg.url,
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "LOG_LEVEL": "CRITICAL",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DJANGO_SETTINGS_MODULE": "wcc_site.settings",
            "PYTHONPATH": str(ROOT),
        }

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args, "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def prepare(self) -> None:
        self.pg.run("createdb", "-h", "127.0.0.1", "-p", self.pg.port, "-U", "postgres", "wcc")
        for command in (
            ["migrate"],
            ["load_reference_data"],
            ["seed_demo"],
            ["collectstatic", "--noinput"],
        ):
            self.manage(*command)

    def accounts(self, path: Path, users: int) -> int:
        """One entry per simulated member: a seat at scoring (member *i* takes seat
        ``i mod seats``) and a session made beforehand (``Client.force_login``, no password
        hashing), for the members who do not log in through the form. Returns the number
        of seats."""
        code = """
import json, sys, django
django.setup()
from django.test import Client
from assessments.models import Stage
from panels.models import Seat
seats = list(Seat.objects.filter(panel__assessment__stage=Stage.SCORING, submitted_at__isnull=True,
         absence_reason="", person__user__isnull=False)
         .select_related("person__user", "panel__assessment__round", "panel__assessment__pct")
         .order_by("pk"))
out = []
for i in range(int(sys.argv[1]) if seats else 0):
    s = seats[i % len(seats)]
    client = Client()
    client.force_login(s.person.user)
    a = s.panel.assessment
    out.append({"username": s.person.user.username, "session": client.cookies["sessionid"].value,
                "path": f"/panels/{a.round.slug}/{a.pct.ods_code}/score/"})
print(json.dumps({"seats": len(seats), "members": out}))
"""
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code, str(users)],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data = json.loads(out.strip().splitlines()[-1])
        path.write_text(json.dumps(data["members"]))
        return data["seats"]

    def start(self) -> None:
        self.server = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                "wcc_site.wsgi",
                "--workers=2",
                "--threads=4",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=60",
                "--graceful-timeout=5",
                f"--keep-alive={self.keep_alive}",
                "--log-level=warning",
                "--error-logfile",
                str(self.folder / "gunicorn.log"),
            ],
            cwd=ROOT,
            env=self.env,
        )
        if not self.wait_healthy(60):
            raise RuntimeError("gunicorn did not answer /healthz/ within 60 s")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz/", timeout=5) as r:  # noqa: S310  # nosec B310: http://127.0.0.1 only
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_healthy(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.healthy():
                return True
            time.sleep(0.25)
        return False

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()


def locust(site: Site, folder: Path, *, users, spawn_rate, run_time, name) -> dict:
    """Run locust headless; returns the aggregated figures and its failures."""
    prefix = folder / name
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "loadtest" / "locustfile.py"),
        "--headless",
        "--host",
        site.base,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    subprocess.run(command, cwd=ROOT, env=site.locust_env, check=True, timeout=run_time + 120)  # noqa: S603
    with open(f"{prefix}_stats.csv") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    with open(f"{prefix}_failures.csv") as f:
        failures = {
            f"{r['Method']} {r['Name']}: {r['Error']}": int(r["Occurrences"])
            for r in csv.DictReader(f)
        }
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "per_request": {
            r["Name"]: {
                "requests": int(r["Request Count"]),
                "failures": int(r["Failure Count"]),
                "p50_ms": float(r["50%"]),
                "p95_ms": float(r["95%"]),
            }
            for r in rows
            if r["Name"] != "Aggregated"
        },
        "failures_by_kind": failures,
    }


def check(site: Site, results: Path) -> dict:
    out = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "loadtest" / "check.py"), str(results)],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in out.stdout.splitlines()[:-1]:
        print(line)
    if out.returncode not in (0, 1):
        print(out.stderr)
        raise RuntimeError("check.py failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def unexpected(figures: dict) -> int:
    return sum(
        n for kind, n in figures["failures_by_kind"].items() if "503 unavailable page" not in kind
    )


def scenario(kind: str, args) -> tuple[dict, list[str]]:
    """One run on a fresh cluster and demo; returns its figures and what went wrong."""
    folder = Path(tempfile.mkdtemp(prefix=f"wcc-loadtest-{kind}-"))
    folder.chmod(0o755)
    pg, site, problems, figures = None, None, [], {"run": kind}
    try:
        pg = Postgres(folder)
        pg.start()
        site = Site(folder, pg)
        site.keep_alive = args.keep_alive
        say(f"{kind}: PostgreSQL on 127.0.0.1:{pg.port}; migrating and seeding the demo")
        site.prepare()
        if kind == "race":
            for _ in range(3):
                site.manage("demo_advance", "--round", "2009-10")
        accounts, results = folder / "accounts.json", folder / "results.jsonl"
        users = args.outage_users if kind == "outage" else args.users
        seats = site.accounts(accounts, users)
        site.locust_env = {
            **site.env,
            "LOADTEST_ACCOUNTS": str(accounts),
            "LOADTEST_RESULTS": str(results),
            "LOADTEST_FORM_LOGINS": str(args.form_logins),
        }
        site.start()
        say(f"{kind}: gunicorn on {site.base} (2 workers x 4 threads); {seats} seats at scoring")
        if kind == "race":
            out = subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    str(ROOT / "loadtest" / "race.py"),
                    "--base",
                    site.base,
                    "--rounds",
                    str(args.race_rounds),
                ],
                cwd=ROOT,
                env=site.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            print(out.stdout.rstrip())
            if out.returncode not in (0, 1):
                print(out.stderr)
                problems.append("race.py failed")
                return figures, problems
            figures.update(json.loads(out.stdout.strip().splitlines()[-1]))
            if out.returncode:
                problems.append("consensus race: lost update or not exactly one winner")
            return figures, problems

        run_time = args.run_time if kind == "load" else args.outage_run_time
        outage = {}
        if kind == "outage":

            def cut():
                time.sleep(args.outage_at)
                say(f"outage: stopping PostgreSQL for {args.outage_for} s")
                outage["stopped"] = time.time()
                pg.stop()
                time.sleep(args.outage_for)
                pg.start()
                outage["started"] = time.time()
                say("outage: PostgreSQL started again")
                recovered = site.wait_healthy(60)
                outage["recovered_s"] = (
                    round(time.time() - outage["started"], 2) if recovered else None
                )

            threading.Thread(target=cut, daemon=True).start()
        figures.update(
            locust(
                site,
                folder,
                users=users,
                spawn_rate=args.spawn_rate,
                run_time=run_time,
                name=kind,
            )
        )
        figures.update(users=users, form_logins=args.form_logins, run_time_s=run_time, seats=seats)
        if kind == "outage":
            figures["outage"] = outage
            if outage.get("recovered_s") is None:
                problems.append("the site did not answer /healthz/ after PostgreSQL came back")
            after = [
                json.loads(line)
                for line in results.read_text().splitlines()
                if '"ack"' in line and json.loads(line)["t"] > outage.get("started", 1e12)
            ]
            figures["acknowledged_after_restart"] = len(after)
            bad = [json.loads(line) for line in results.read_text().splitlines() if '"bad"' in line]
            figures["unexpected_answers_sample"] = [
                {k: b.get(k) for k in ("status", "name", "error")} for b in bad[:3]
            ]
            if not after:
                problems.append("no save was acknowledged after PostgreSQL came back")
            if not any("503 unavailable page" in k for k in figures["failures_by_kind"]):
                problems.append("no 503 page was seen during the outage")
        site.stop()
        figures.update(check(site, results))
        if figures["lost_writes"]:
            problems.append(f"{figures['lost_writes']} lost writes")
        if unexpected(figures):
            problems.append(f"{unexpected(figures)} unexpected answers")
        return figures, problems
    finally:
        if site is not None:
            site.stop()
        if pg is not None:
            with contextlib.suppress(subprocess.CalledProcessError):
                pg.stop()
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", default=["load", "outage", "race"])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", type=int, default=60)
    parser.add_argument("--outage-run-time", type=int, default=45)
    parser.add_argument(
        "--outage-users",
        type=int,
        default=50,
        help="simulated members in the outage run (fewer than --users, so that saves are "
        "acknowledged again within the seconds after the restart)",
    )
    parser.add_argument("--outage-at", type=int, default=15)
    parser.add_argument("--outage-for", type=int, default=10)
    parser.add_argument(
        "--form-logins",
        type=int,
        default=20,
        help="how many simulated members log in through the login form (the others start "
        "with a session made beforehand: each form login costs ~0.5 s of CPU for PBKDF2)",
    )
    parser.add_argument(
        "--keep-alive", type=int, default=2, help="gunicorn's --keep-alive (seconds; default 2)"
    )
    parser.add_argument("--race-rounds", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    args.users = min(args.users, MAX_USERS)
    args.outage_users = min(args.outage_users, MAX_USERS)
    args.run_time = min(args.run_time, MAX_SECONDS)
    args.outage_run_time = min(args.outage_run_time, MAX_SECONDS)
    failed = False
    summary = []
    for kind in args.runs:
        figures, problems = scenario(kind, args)
        summary.append(figures)
        short = {k: v for k, v in figures.items() if k not in ("per_request", "failures_by_kind")}
        say(f"{kind}: {json.dumps(short)}")
        say(f"{kind}: {'FAILED: ' + '; '.join(problems) if problems else 'passed'}")
        failed |= bool(problems)
    print("\n==== make loadtest: figures ====")
    for figures in summary:
        print(json.dumps(figures, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
