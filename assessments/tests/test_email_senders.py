"""Who the take-back and send-back e-mails say acted (walk W): the sender's name, then the
body they act for, once, whether a real person's name or one of the demo's role accounts,
whose name already says it ("National Assurance Team", "SHA Staff (West Midlands)")."""

import datetime
from types import SimpleNamespace

import pytest

from assessments.mail import rendered

PCT = SimpleNamespace(name="Dudley PCT", ods_code="5PE", sha=SimpleNamespace(name="West Midlands"))
ROUND = SimpleNamespace(name="WCC 2010/11")


def body(template: str, context: dict) -> str:
    _subject, text, _sender, _to = rendered(template, context, "board@example.nhs.uk")
    return " ".join(text.split())


def taken_back(by: str) -> str:
    return body(
        "round_taken_back",
        {
            "round": ROUND,
            "pct": PCT,
            "by": by,
            "reason": "Wrong",
            "when": datetime.date(2010, 10, 5),
        },
    )


@pytest.mark.parametrize(
    ("by", "says"),
    [
        ("Nadia Okafor", "after all: Nadia Okafor of the national assurance team took back"),
        ("National Assurance Team", "after all: National Assurance Team took back its opening"),
        ("the national assurance team", "after all: the national assurance team took back its"),
    ],
)
def test_take_back_email_names_the_team_once(by, says):
    text = taken_back(by)

    assert says in text
    assert text.casefold().count("national assurance team") == 2  # here, and "contact ..."


def sent_back(sent_by: str, sender: str) -> str:
    return body(
        "self_assessment_sent_back",
        {
            "user": SimpleNamespace(get_full_name="Dana Director", username="dana"),
            "round": ROUND,
            "pct": PCT,
            "sha": PCT.sha,
            "reason": "Attach the plan.",
            "sent_by": sent_by,
            "sender": sender,
            "when": datetime.date(2010, 10, 5),
            "due": None,
            "overdue": False,
            "page_url": "https://wcc.example/x/",
        },
    )


@pytest.mark.parametrize(
    ("sent_by", "sender", "says"),
    [
        ("Sam Lee", "the West Midlands SHA", "Sam Lee of the West Midlands SHA has sent"),
        ("SHA Staff (West Midlands)", "the West Midlands SHA", "SHA Staff (West Midlands) has sent"),
        ("Nadia Okafor", "the national assurance team", "Nadia Okafor of the national assurance team has sent"),
        ("National Assurance Team", "the national assurance team", "National Assurance Team has sent"),
    ],
)  # fmt: skip
def test_send_back_email_names_the_sender_then_their_body_once(sent_by, sender, says):
    text = sent_back(sent_by, sender)

    assert text.startswith(f"Dear Dana Director, {says} the self-assessment of Dudley PCT")
    assert "(West Midlands) (West Midlands)" not in text
