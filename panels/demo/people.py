"""Invented people for the demo panels, seated within the seat rules.

Names are drawn from common British first names and surnames with a seeded generator.
Each SHA has its own director (the chair of all its panels); clinical leaders and
services directors come from a third of each SHA's PCTs and sit on several panels of their
own region; chief executives sit on panels in other regions, never two on each other's;
international reviewers come from Kaiser Permanente in year one (as reported) and from
other organisations outside the NHS in year two.
"""

import random
import unicodedata
from dataclasses import dataclass, field

FIRST_NAMES = (
    "Alison Andrew Angela Anthony Catherine Charles Christine Claire David Deborah Elaine "
    "Elizabeth Fiona Gareth Gillian Graham Helen Ian Jacqueline James Janet Jennifer John "
    "Jonathan Julia Karen Kathryn Kevin Linda Louise Margaret Mark Martin Michael Nicola "
    "Nigel Patricia Paul Peter Philip Rachel Richard Robert Ruth Sally Sandra Sarah Simon "
    "Stephen Susan Timothy Victoria William Amrit Priya Sanjay Nadia Tariq Adaeze Kwame "
    "Mei Siobhan Declan Rhys Bethan Ewan Morag"
).split()

SURNAMES = (
    "Adams Ahmed Allen Armstrong Bailey Baker Barnes Bennett Bradley Brooks Burton Carter "
    "Chapman Clarke Collins Cooper Cox Davies Dawson Edwards Ellis Evans Fisher Fletcher "
    "Foster Gibson Graham Grant Green Hall Harris Harrison Hughes Hunt Jackson James "
    "Jenkins Johnson Kaur Kelly Khan Knight Lawrence Lewis Lloyd Marshall Mason Matthews "
    "Mitchell Moore Morgan Morris Murphy Murray Owen Palmer Parker Patel Pearson Phillips "
    "Price Reynolds Richards Roberts Robinson Rogers Russell Saunders Scott Shaw Simpson "
    "Singh Stevens Stewart Taylor Thomas Thompson Turner Walker Ward Watson Webb Wells "
    "White Williams Wilson Wood Wright Young Okafor Mensah Nwosu Chowdhury Begum Sharma "
    "Campbell MacLeod Doherty Quinn"
).split()

KAISER = ("Kaiser Permanente", "Integrated health care", "United States")
OTHER_OUTSIDE = (
    ("Kaiser Permanente", "Integrated health care", "United States"),
    ("Northbridge Retail Group (illustrative)", "Retail", "United Kingdom"),
    ("Halden Engineering (illustrative)", "Manufacturing", "United Kingdom"),
    ("Meridian Mutual Insurance (illustrative)", "Financial services", "United Kingdom"),
    ("Nordvik Regional Health Authority (illustrative)", "Public health care", "Norway"),
)


@dataclass
class PersonSpec:
    key: str
    full_name: str
    job_role: str
    job_title: str
    username: str
    sha: str | None = None  # SHA ODS code
    pct: str | None = None  # PCT ODS code
    external: tuple[str, str, str] | None = None  # (name, sector, country)


@dataclass
class Cast:
    """Everybody in the demo, and who sits in which seat of which panel."""

    people: dict[str, PersonSpec] = field(default_factory=dict)
    # (round slug, PCT code) -> {seat number: person key}
    seats: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()
        self.usernames: set[str] = set()

    def person(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
            full = f"{first} {last}"
            if full not in self.used:
                self.used.add(full)
                base = f"{_ascii(first)}.{_ascii(last)}"
                username, n = base, 2
                while username in self.usernames:
                    username, n = f"{base}{n}", n + 1
                self.usernames.add(username)
                return full, username


def cast_panels(
    *,
    seed: int,
    shas: dict[str, str],
    pcts: dict[str, tuple[str, str]],
    rounds: list[str],
) -> Cast:
    """People and seats for every PCT in every round.

    ``shas`` maps SHA code to name; ``pcts`` maps PCT code to (name, SHA code).
    """
    rng = random.Random(f"people-{seed}")
    names = _Names(rng)
    cast = Cast()
    by_sha: dict[str, list[str]] = {code: [] for code in shas}
    for code in sorted(pcts):
        by_sha[pcts[code][1]].append(code)

    def add(spec: PersonSpec) -> str:
        cast.people[spec.key] = spec
        return spec.key

    chairs = {}
    for sha_code, sha_name in shas.items():
        full, _ = names.person()
        chairs[sha_code] = add(
            PersonSpec(
                key=f"chair-{sha_code}",
                full_name=full,
                job_role="sha_director",
                job_title=f"Director of Commissioning, NHS {sha_name}",
                username=f"chair.{sha_code.lower()}",
                sha=sha_code,
            )
        )

    # Clinical leaders (seat 2) and services directors (seat 3): a third of each SHA's PCTs.
    clinical: dict[str, list[str]] = {}
    services: dict[str, list[str]] = {}
    chief_executives: list[str] = []
    for sha_code, codes in by_sha.items():
        pool = rng.sample(codes, max(3, round(len(codes) / 3)))
        clinical[sha_code], services[sha_code] = [], []
        for pct_code in sorted(pool):
            pct_name = pcts[pct_code][0]
            role = rng.choice(["pec_chair", "medical_director"])
            title = (
                "Chair of the Professional Executive Committee"
                if role == "pec_chair"
                else "Medical Director"
            )
            full, username = names.person()
            clinical[sha_code].append(
                add(
                    PersonSpec(
                        f"clin-{pct_code}",
                        full,
                        role,
                        f"{title}, {pct_name}",
                        username,
                        pct=pct_code,
                    )
                )
            )
            role = rng.choice(["director_adult_services", "director_childrens_services"])
            title = (
                "Director of Adult Services"
                if role == "director_adult_services"
                else "Director of Children's Services"
            )
            full, username = names.person()
            services[sha_code].append(
                add(
                    PersonSpec(
                        f"serv-{pct_code}",
                        full,
                        role,
                        f"{title}, {pct_name}",
                        username,
                        pct=pct_code,
                    )
                )
            )
            full, username = names.person()
            chief_executives.append(
                add(
                    PersonSpec(
                        f"ce-{pct_code}",
                        full,
                        "chief_executive",
                        f"Chief Executive, {pct_name}",
                        username,
                        pct=pct_code,
                    )
                )
            )

    externals: dict[str, list[str]] = {}
    for round_index, slug in enumerate(rounds):
        orgs = [KAISER] if round_index == 0 else list(OTHER_OUTSIDE)
        externals[slug] = []
        for index in range(12):
            org = orgs[index % len(orgs)]
            key = f"ext-{org[0]}-{index}"
            if key not in cast.people:
                full, username = names.person()
                title = rng.choice(
                    [
                        "Executive Director, Strategy",
                        "Executive Director, Operations",
                        "Chief Medical Officer",
                        "Executive Vice President, Quality",
                    ]
                )
                add(
                    PersonSpec(
                        key,
                        full,
                        "external_executive",
                        f"{title}, {org[0]}",
                        username,
                        external=org,
                    )
                )
            externals[slug].append(key)

    for round_index, slug in enumerate(rounds):
        ce_pairs: set[tuple[str, str]] = set()  # (CE's PCT, assessed PCT)
        ce_cursor = round_index * 7
        for sha_code, codes in by_sha.items():
            for index, pct_code in enumerate(codes):
                offset = index + round_index
                seat2 = _rotate(clinical[sha_code], offset, exclude=f"clin-{pct_code}")
                seat3 = _rotate(services[sha_code], offset + 1, exclude=f"serv-{pct_code}")
                seat4 = externals[slug][(index + len(cast.seats)) % len(externals[slug])]
                # Seat 5: a chief executive from another SHA, never a reciprocal pair.
                for step in range(len(chief_executives)):
                    candidate = chief_executives[(ce_cursor + step) % len(chief_executives)]
                    ce_pct = cast.people[candidate].pct
                    if pcts[ce_pct][1] != sha_code and (pct_code, ce_pct) not in ce_pairs:
                        ce_cursor += step + 1
                        break
                else:  # pragma: no cover - the pools are far larger than needed
                    raise RuntimeError(f"no chief executive available for {pct_code}")
                ce_pairs.add((ce_pct, pct_code))
                cast.seats[(slug, pct_code)] = {
                    1: chairs[sha_code],
                    2: seat2,
                    3: seat3,
                    4: seat4,
                    5: candidate,
                }
    return cast


def _rotate(pool: list[str], offset: int, *, exclude: str) -> str:
    choices = [key for key in pool if key != exclude]
    return choices[offset % len(choices)]
