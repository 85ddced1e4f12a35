"""Panel feedback for the demo, composed from the building blocks in ``fixtures/demo_texts.json``.

Every sentence there was written for its competency or governance area; a rationale is an
opener for the agreed level, then strengths and development points chosen by a seeded
generator per PCT and item, so that no two PCTs read alike.
"""

import json
import random
from functools import cached_property
from pathlib import Path

from competencies.vocabulary import AreaCode, Light

# Competencies whose findings bear on each governance area.
RELATED_COMPETENCIES = {
    AreaCode.STRATEGY: [1, 5, 6],
    AreaCode.FINANCE: [6, 10, 11],
    AreaCode.BOARD: [1, 8, 10],
}
TEXTS_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "demo_texts.json"


class Texts:
    def __init__(self, path: Path = TEXTS_PATH):
        self.path = path

    @cached_property
    def data(self) -> dict:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _fill(self, sentence: str, **values) -> str:
        defaults = {
            "pct": "the PCT",
            "sha": "the region",
            "evidence": "the evidence submitted",
            "level": "",
        }
        return sentence.format_map(defaults | values)

    def competency_rationale(
        self, rng: random.Random, *, number: int, level: int, pct: str, sha: str
    ) -> str:
        blocks = self.data["competencies"][str(number)]
        evidence = rng.choice(blocks["evidence"])
        values = {"pct": pct, "sha": sha, "evidence": evidence, "level": level}
        opener = rng.choice(self.data["level_openers"][str(level)])
        strengths = rng.sample(blocks["strengths"], 2 if level >= 3 else rng.choice([1, 2]))
        gaps = rng.sample(blocks["gaps"], 2 if level == 1 else rng.choice([1, 1, 2]))
        return " ".join(self._fill(s, **values) for s in [opener, *strengths, *gaps])

    def governance_rationale(
        self,
        rng: random.Random,
        *,
        area: str,
        light: str,
        pct: str,
        sha: str,
        competencies: list[int],
    ) -> str:
        """Two sentences on the light, then one from a related competency: a strength where
        the light is green, a development point otherwise."""
        sentences = rng.sample(self.data["governance"][area][light], 2)
        related = [n for n in RELATED_COMPETENCIES[area] if n in competencies]
        blocks = self.data["competencies"][str(rng.choice(related))]
        sentences.append(rng.choice(blocks["strengths" if light == Light.GREEN else "gaps"]))
        evidence = rng.choice(blocks["evidence"])
        return " ".join(self._fill(s, pct=pct, sha=sha, evidence=evidence) for s in sentences)

    def board_commentary(self, rng: random.Random, *, pct: str) -> str:
        """The board's overall commentary on its self-assessment (in the board's voice)."""
        return self._fill(rng.choice(self.data["board_commentary"]), pct=pct)

    def board_item_note(self, rng: random.Random, *, number: int, pct: str) -> str:
        """The board's note on one competency: a strength it claims, in its own words."""
        blocks = self.data["competencies"][str(number)]
        own_voice = [s for s in blocks["strengths"] if "panel" not in s.lower()]
        return self._fill(rng.choice(own_voice), pct=pct, evidence=rng.choice(blocks["evidence"]))

    def member_note_for_board(self, rng: random.Random, *, number: int, pct: str, sha: str) -> str:
        blocks = self.data["competencies"][str(number)]
        sentence = rng.choice(blocks["strengths"] + blocks["gaps"])
        return self._fill(
            sentence, pct=pct, sha=sha, evidence=rng.choice(blocks["evidence"]), level=""
        )

    def internal_note(self, rng: random.Random) -> str:
        return rng.choice(self.data["member_notes"])

    def adjustment_reason(self, rng: random.Random, *, sha: str, raised: bool) -> str:
        """A moderator's reason that agrees with the way the level moved ("Raised: ..." is
        never the reason for lowering it)."""
        reasons = self.data["sha_adjustment_reasons"]
        pool = reasons["either"] + reasons["raised" if raised else "lowered"]
        return self._fill(rng.choice(pool), sha=sha, pct="")
