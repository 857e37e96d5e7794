"""Transcripts replay to exactly what they say: each file is its own expected output.

To change a transcript's expected output after a deliberate change in wording or behaviour:
`pointsbot replay tests/transcripts/NAME.txt --update`, then read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import picture
from bot.config import DEMO_TRANSCRIPT, SAMPLE_CONFIG, load_community
from bot.replay import replay
from bot.transcript import INDENT

FOLDER = Path(__file__).parent / "transcripts"
TRANSCRIPTS = [*sorted(FOLDER.glob("*.txt")), DEMO_TRANSCRIPT]


def _config_for(path: Path) -> Path:
    own = path.with_suffix(".toml")
    return own if own.exists() else SAMPLE_CONFIG


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript_replays_unchanged(path: Path, database_url: str) -> None:
    """Replaying the transcript through the real bot prints the transcript itself, line for line."""
    expected = path.read_text(encoding="utf-8")  # noqa: ASYNC240  # a small file, read once before the test runs
    out: list[str] = []
    await replay(expected, config=load_community(_config_for(path)), database_url=database_url, emit=out.append)
    if picture.find_font() is None:  # transcripts are written where a CJK font draws the notices' pictures
        expected = "".join(line for line in expected.splitlines(True) if not line.startswith(f"{INDENT}[图片 "))
    assert "\n".join(out) + "\n" == expected
