"""The benchmark itself: a small district end to end, so that `make bench` keeps working as the bot changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_measures_every_figure(tmp_path: Path) -> None:
    """A quick run on SQLite answers every command, writes all five figures and sends each group once."""
    out = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-postgres", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    sqlite = results["backends"]["sqlite"]
    assert [row["senders"] for row in sqlite["commands"]] == [1, 10]
    assert all(row["commands"] >= 60 and row["per_second"] > 0 for row in sqlite["commands"])
    assert sqlite["limit"]["per_second"] > 0
    assert [row["entries"] for row in sqlite["balance"]] == [1_000, 3_000]
    assert results["notice"]["seconds"] > 0 and results["notice"]["peak_mb"] > 0
    broadcast = results["broadcast"]
    assert broadcast["groups"] == 20 and broadcast["sent_twice"] == 0 and broadcast["exactly_once"]
    assert 0 < broadcast["sent_before_kill"] < 20  # the kill really landed halfway
    assert results["startup"]["empty"]["median_s"] > 0 and results["startup"]["district"]["median_s"] > 0
