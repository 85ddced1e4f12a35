"""reports.W001: an operator is told when PDFs would subset fonts without HarfBuzz."""

from django.core.management import call_command

from reports import checks


def test_no_warning_when_harfbuzz_subset_loads(monkeypatch):
    monkeypatch.setattr(checks, "harfbuzz_subset_loaded", lambda: True)
    assert checks.harfbuzz_subset_check() == []


def test_warning_names_the_package_when_it_does_not(monkeypatch):
    monkeypatch.setattr(checks, "harfbuzz_subset_loaded", lambda: False)
    [warning] = checks.harfbuzz_subset_check()
    assert warning.id == "reports.W001"
    assert "libharfbuzz-subset0" in warning.hint


def test_manage_py_check_reports_it(monkeypatch, capsys):
    monkeypatch.setattr(checks, "harfbuzz_subset_loaded", lambda: False)
    call_command("check")
    assert "reports.W001" in capsys.readouterr().err


def test_this_machine_has_it():
    """CI installs libharfbuzz-subset0 (.ci/run): the PDF figures assume it."""
    assert checks.harfbuzz_subset_loaded()
