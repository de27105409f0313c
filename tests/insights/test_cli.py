from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from rasa_llm.insights.cli import main
from rasa_llm.insights.report import HTML_FILE, JSON_FILE


def test_report_files_for_a_window(small_store, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["--endpoints", str(small_store), "--since", "2026-11-02", "--until", "2026-11-03",
                 "--out", str(out)]) == 0
    report = json.loads((out / JSON_FILE).read_text())
    assert report["window"] == {"since": "2026-11-02T00:00:00+00:00", "until": "2026-11-04T00:00:00+00:00"}
    assert report["totals"] == {"conversations": 4, "turns": 12, "unreadable_events": 1}
    assert report["todo"]["groups"][0]["size"] >= 1
    with open(out / "volume.csv", newline="") as handle:
        assert list(csv.reader(handle)) == [["day", "conversations", "turns"], ["2026-11-02", "2", "6"],
                                            ["2026-11-03", "2", "6"]]
    with open(out / "forms.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"form": "return_form", "started": "1", "completed": "0", "abandoned": "1",
            "abandoned_at": "return_items", "abandoned_there": "1"} in rows
    page = (out / HTML_FILE).read_text()
    assert page.count("<svg") >= 4 and "1 stored events could not be read" in page
    assert "ORD-12345" not in page and "maria.garcia@example.com" not in page
    assert "4 conversations" in capsys.readouterr().out


def test_empty_window_gives_a_report_that_says_so(small_store, tmp_path):
    out = tmp_path / "report"
    assert main(["--endpoints", str(small_store), "--since", "2025-01-01", "--until", "2025-01-31",
                 "--out", str(out)]) == 0
    assert "No conversations in this window" in (out / HTML_FILE).read_text()
    assert json.loads((out / JSON_FILE).read_text())["totals"]["conversations"] == 0


def test_unreachable_store_is_one_line_and_a_non_zero_exit(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{tmp_path}/gone/t.db"\n')
    result = subprocess.run([sys.executable, "-m", "rasa_llm.insights", "--endpoints", str(endpoints),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_dates_are_refused(small_store, capsys):
    for argv in (["--since", "yesterday"], ["--since", "2026-11-05", "--until", "2026-11-01"]):
        try:
            main(["--endpoints", str(small_store), *argv])
        except SystemExit as exit_:
            assert exit_.code == 2
        else:
            raise AssertionError(f"{argv} was accepted")
    assert "is not a date" in capsys.readouterr().err
