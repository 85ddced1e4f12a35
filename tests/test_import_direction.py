"""Apps depend one way: competencies ← assessments ← panels ← reports.

A module of an app may import the apps to its left, never one to its right; that holds for
its tests too (a test that needs a later app is a cross-app test and lives in ``tests/``).
Imports inside functions count: a lazy import is still a dependency.
"""

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["competencies", "assessments", "panels", "reports"]

# App code that imports an app to its right today, each to be moved (not added to).
# (path relative to the project, imported app)
KNOWN_OFFENDERS: set[tuple[str, str]] = set()


def imported_apps(source: str) -> set[str]:
    """The top-level packages named by the module's ``import`` statements (relative imports
    stay inside their own app and are left out)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def violations(app: str, *, tests: bool) -> set[tuple[str, str]]:
    """``(path, app imported)`` for each module of ``app`` (its tests, or its code) that
    imports an app to its right."""
    later = set(ORDER[ORDER.index(app) + 1 :])
    found = set()
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or ("tests" in relative.parts) != tests:
            continue
        for imported in imported_apps(path.read_text()) & later:
            found.add((relative.as_posix(), imported))
    return found


def test_imported_apps_sees_imports_inside_functions_and_skips_relative_ones():
    source = (
        "import competencies.models\n"
        "from . import views\n"
        "def f():\n"
        "    from reports.tables import ratings_frame\n"
    )

    assert imported_apps(source) == {"competencies", "reports"}


def test_violations_finds_a_test_module_importing_an_app_to_its_right(tmp_path, monkeypatch):
    (tmp_path / "panels" / "tests").mkdir(parents=True)
    (tmp_path / "panels" / "tests" / "test_x.py").write_text("from reports import tables\n")
    (tmp_path / "panels" / "views.py").write_text("from assessments import models\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    assert violations("panels", tests=True) == {("panels/tests/test_x.py", "reports")}
    assert violations("panels", tests=False) == set()


@pytest.mark.parametrize("app", ORDER[:-1])
def test_app_tests_import_no_app_to_their_right(app):
    assert violations(app, tests=True) == set()


@pytest.mark.parametrize("app", ORDER[:-1])
def test_app_code_imports_no_app_to_its_right(app):
    known = {(path, imported) for path, imported in KNOWN_OFFENDERS if path.startswith(f"{app}/")}

    assert violations(app, tests=False) == known


def test_loading_the_apps_binds_no_task_backend_before_the_settings_are_final():
    """An app's ``ready`` that imported ``panels.notifications`` (the deadline finder, first
    written there) loaded ``assessments.mail``, whose task is bound to the backend of the
    settings of that moment: in parallel runs, two dozen tests then queued their e-mail in
    the database instead of sending it. Registries (``assessments.separation``,
    ``assessments.deadlines``) are filled from modules that bind none."""
    import subprocess
    import sys

    code = (
        "import os, sys, django; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'wcc_site.settings'); "
        "django.setup(); "
        "print(sorted(m for m in ('assessments.mail', 'panels.notifications', "
        "'assessments.notices') if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    out = subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"
