"""The benchmark harness runs end to end in its tiniest mode and writes every section.

A smoke test of the harness only: it never looks at a figure (timings on a shared CI
machine mean nothing), only that each benchmark produced its section, and that the
report names the machine and the load it ran under.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.live

SECTIONS = ["## 1. DICOM ingest", "## 2. DICOMweb", "## 3. Rendering", "## 4. Signaling",
            "## 5. Booking"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    result = subprocess.run([sys.executable, "-m", "load_tests.run", "--smoke", "--out",
                             str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


def test_the_smoke_run_writes_every_section(report):
    text = report.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert heading in text


def test_the_report_names_the_machine_date_and_load(report):
    text = report.read_text(encoding="utf-8")
    assert "| machine |" in text and "cores" in text
    assert "| date |" in text
    assert "load average" in text and "start " in text and "end " in text


def test_each_section_has_figures_or_says_why_not(report):
    text = report.read_text(encoding="utf-8")
    for heading, body in zip(SECTIONS, text.split("\n## ")[2:], strict=False):
        assert "|---" in body or "not available:" in body, heading


def test_the_signaling_chart_is_drawn_next_to_the_report(report):
    pytest.importorskip("matplotlib", reason="the chart needs the `bench` extra")
    assert (report.parent / "benchmarks-signaling.png").stat().st_size > 0


def test_the_report_went_to_the_temp_file_not_docs(report):
    assert report.parent != ROOT / "docs"
