"""Each domain fact has one home; the app code and templates use its names, not its spelling.

The facts and their homes: the rating vocabulary (levels 1-4, the light words, the area
codes, "red on all three") in ``competencies/vocabulary.py``; the stages in
``assessments.models.Stage``. These tests read the source (Python by its syntax tree,
templates as text) of the four apps and ``templates/``, leaving out migrations and tests,
and list every place that spells a fact again: each list should be empty.
"""

import ast
import re
from pathlib import Path

from competencies.vocabulary import AREA_CODES, LEVELS, Light

ROOT = Path(__file__).resolve().parents[2]
APPS = ["competencies", "assessments", "panels", "reports"]
HOME = Path("competencies/vocabulary.py")
COMPARISONS = r"(==|!=|<=|>=|<|>)"
# Words that are spelled like a fact but mean something else, each with where and why.
NOT_THE_FACT = {
    # ``create_user --role board`` (CONTRACTS.md): the PCT board's role, not the area.
    ("panels/management/commands/create_user.py", "board"),
}


def _app_files(pattern: str) -> list[Path]:
    files = [f for app in APPS for f in (ROOT / app).rglob(pattern)]
    if pattern.endswith(".html") or pattern.endswith(".txt"):
        files += (ROOT / "templates").rglob(pattern)
    return sorted(
        f
        for f in files
        if not {"migrations", "tests"} & set(f.relative_to(ROOT).parts)
        and f.relative_to(ROOT) != HOME
    )


def _python() -> list[tuple[str, ast.AST]]:
    return [
        (str(f.relative_to(ROOT)), ast.parse(f.read_text(encoding="utf-8")))
        for f in _app_files("*.py")
    ]


def _templates() -> list[tuple[str, str]]:
    return [
        (str(f.relative_to(ROOT)), f.read_text(encoding="utf-8"))
        for pattern in ("*.html", "*.txt")
        for f in _app_files(pattern)
    ]


def _constants(words: set) -> list[str]:
    return [
        f"{path}:{node.lineno}: {node.value!r}"
        for path, tree in _python()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in words
    ]


def _quoted_in_templates(words) -> list[str]:
    """``words`` quoted inside a template tag or variable (``{% if x == "red" %}``); HTML
    attributes such as ``id="board"`` are not a use of the fact."""
    tag = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
    quoted = re.compile(r"[\"']({})[\"']".format("|".join(map(re.escape, words))))
    return [
        f"{path}:{text.count(chr(10), 0, t.start()) + 1}: {t.group(0)}"
        for path, text in _templates()
        for t in tag.finditer(text)
        if quoted.search(t.group(0))
    ]


def test_scan_sees_the_app_code_and_templates():
    paths = {path for path, _tree in _python()} | {path for path, _text in _templates()}

    assert {
        "reports/tables.py",
        "panels/demo/ratings.py",
        "templates/includes/stage_tag.html",
    } <= paths
    assert not [p for p in paths if "/migrations/" in p or "/tests/" in p]


def test_area_codes_are_spelled_only_in_the_vocabulary():
    found = [
        hit
        for hit in _constants(set(AREA_CODES))
        if (hit.split(":")[0], hit.rsplit("'", 2)[1]) not in NOT_THE_FACT
    ]

    assert found + _quoted_in_templates(AREA_CODES) == []


def test_light_words_are_spelled_only_in_the_vocabulary():
    assert _constants(set(Light.values)) + _quoted_in_templates(Light.values) == []


def test_the_levels_are_listed_only_in_the_vocabulary():
    listed = [
        f"{path}:{node.lineno}"
        for path, tree in _python()
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.List | ast.Set)
        and [getattr(e, "value", None) for e in node.elts] == list(LEVELS)
    ]
    in_templates = [path for path, text in _templates() if re.search(r"""["']1234["']""", text)]

    assert listed + in_templates == []


def test_no_unicode_digit_test_in_app_code():
    # str.isdigit (and isdecimal, isnumeric) accept "³" or "٣", which int() then refuses.
    calls = [
        f"{path}:{node.lineno}: {node.attr}"
        for path, tree in _python()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"isdigit", "isdecimal", "isnumeric"}
    ]

    assert calls == []


def _mentions_red(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "RED"
        and isinstance(node.value, ast.Name)
        and node.value.id == "Light"
    ) or (isinstance(node, ast.Constant) and node.value == Light.RED.value)


def test_red_on_all_three_is_written_only_in_the_vocabulary():
    # "Every area equals red", in Python (all(...)) or pandas ((frame == red).all()), spelled
    # anywhere but the vocabulary, is a second copy of the rule.
    calls_of_all = [
        (path, node)
        for path, tree in _python()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and "all" in (getattr(node.func, "id", None), getattr(node.func, "attr", None))
    ]
    copies = [
        f"{path}:{inner.lineno}"
        for path, node in calls_of_all
        for inner in ast.walk(node)
        if isinstance(inner, ast.Compare)
        and any(isinstance(op, ast.Eq) for op in inner.ops)
        and any(_mentions_red(side) for side in [inner.left, *inner.comparators])
    ]

    assert copies == []


def test_templates_compare_stages_with_stage_members_not_numbers():
    stage_then_number = re.compile(rf"stage\w*\s*{COMPARISONS}\s*\d")
    number_then_stage = re.compile(rf"\d\s*{COMPARISONS}\s*[\w.]*stage\b")
    found = [
        f"{path}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for path, text in _templates()
        for pattern in (stage_then_number, number_then_stage)
        for m in pattern.finditer(text)
    ]

    assert found == []
