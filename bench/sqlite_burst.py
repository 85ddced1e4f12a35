"""How many panel members saving scores at once the embedded SQLite database serves.

Builds a demo database in a file (a temporary folder), starts gunicorn on 127.0.0.1
with 2 workers x 4 threads (DEBUG off, static files collected), and for each burst size
N lets N panel members, each signed in, save their draft scores at the same moment,
ROUNDS times in a row (load the scoring page, post the form, as a browser does). Prints,
per N: the answers by status (302 saved, 503 busy, 500 error, 0 no answer), the median
and slowest save, saves per second while the saves ran, and the wall time. The demo has
85 seats at scoring, so N stops there. Asserts nothing; bounded: at most 160 users, each request times
out after 60 s.

    .venv/bin/python bench/sqlite_burst.py [--users 8 16 32 64 128] [--rounds 3]
"""

import argparse
import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_USERS = 160
TIMEOUT = 60


class FormFields(HTMLParser):
    """The fields of the page's form that holds ``version`` (the scoring form)."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {}
            self.forms.append(self.current)
        elif self.current is None or ("name" not in a and tag != "option"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.current[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            self.current.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in a:
            self.current[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.current[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.current = None

    def scoring_form(self) -> dict:
        return next(f for f in self.forms if "version" in f)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)
        [sys.executable, "manage.py", *args, "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def setup(env) -> list[tuple[str, str]]:
    """Migrate and seed the file database; sign in every member of a panel at scoring.
    Returns ``(session cookie, scoring path)`` per member."""
    manage(env, "migrate")
    manage(env, "load_reference_data")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--noinput")
    code = """
import json, django
django.setup()
from django.test import Client
from assessments.models import Stage
from panels.models import Seat
seats = (Seat.objects.filter(panel__assessment__stage=Stage.SCORING, submitted_at__isnull=True,
         absence_reason="", person__user__isnull=False)
         .select_related("person__user", "panel__assessment__round", "panel__assessment__pct")
         .order_by("pk")[:MAX_USERS])
out = []
for seat in seats:
    client = Client()
    client.force_login(seat.person.user)
    a = seat.panel.assessment
    out.append([client.cookies["sessionid"].value,
                f"/panels/{a.round.slug}/{a.pct.ods_code}/score/"])
print(json.dumps(out))
""".replace("MAX_USERS", str(MAX_USERS))
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    import json

    return [tuple(x) for x in json.loads(result.stdout.strip().splitlines()[-1])]


class Member:
    def __init__(self, port, session, path):
        self.port, self.path = port, path
        self.cookies = {"sessionid": session}

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, content

    def form(self) -> dict:
        status, page = self.request("GET", self.path)
        if status != 200:
            raise RuntimeError(f"GET {self.path}: {status}")
        parser = FormFields()
        parser.feed(page)
        fields = parser.scoring_form()
        fields["action"] = "save"
        return fields

    def save(self, fields, start: threading.Barrier) -> tuple[int, float]:
        from urllib.parse import urlencode

        body = urlencode(fields)
        start.wait()
        began = time.perf_counter()
        try:
            status, _page = self.request("POST", self.path, body)
        except (TimeoutError, OSError):
            status = 0  # no answer within TIMEOUT
        return status, time.perf_counter() - began


def burst(members: list[Member], rounds: int) -> dict:
    statuses, times, posting = {}, [], 0.0
    began = time.perf_counter()
    with ThreadPoolExecutor(len(members)) as pool:
        for _ in range(rounds):
            forms = list(pool.map(Member.form, members))
            start = threading.Barrier(len(members))
            posted = time.perf_counter()
            saves = [
                pool.submit(member.save, fields, start)
                for member, fields in zip(members, forms, strict=True)
            ]
            for status, seconds in (save.result() for save in saves):
                statuses[status] = statuses.get(status, 0) + 1
                times.append(seconds)
            posting += time.perf_counter() - posted
    return {
        "statuses": dict(sorted(statuses.items())),
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "saves_per_s": round(len(times) / posting, 1),
        "wall_s": round(time.perf_counter() - began, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wcc-sqlite-burst-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")},
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "wcc_site.settings",
    }
    server = None
    try:
        seats = setup(env)
        print(f"{len(seats)} panel members at scoring; database {folder / 'db.sqlite3'}")
        server = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "wcc_site.wsgi",
                "--workers=2",
                "--threads=4",
                f"--bind=127.0.0.1:{port}",
                f"--timeout={TIMEOUT * 2}",
                "--log-level=error",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        for n in args.users:
            n = min(n, MAX_USERS, len(seats))
            members = [Member(port, s, p) for s, p in seats[:n]]
            result = burst(members, args.rounds)
            print(f"{n:3d} at once x {args.rounds} rounds: {result}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
