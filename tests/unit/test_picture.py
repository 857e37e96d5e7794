"""The notice as a picture: drawn with a CJK font when there is one, text only (and said once) when not."""

from __future__ import annotations

import dataclasses
import io
import logging

import pytest
from PIL import Image as PILImage
from PIL import ImageFont

from bot import picture

TABLE = picture.Table(
    title="【测试社区 2026年11月积分公示】",
    subtitle="本期 10月26日–11月25日：2 户 3 人有积分记录，合计 8 分。",
    headers=("户号", "成员积分", "合计", "服务小时"),
    rows=[("1-1-101", "张* 2分、李* 4分", "6", "3"), ("2-2-202", "王* 2分", "2", "1")],
    footer="对积分有疑问的，请在 11月29日 09:00 前发「异议 您的问题」。",
    right=frozenset({2, 3}),
)


def test_a_table_becomes_a_png() -> None:
    """With a CJK font the table is a readable PNG: wide enough, one row per line, the red header drawn."""
    if picture.find_font() is None:
        pytest.skip("no CJK font on this machine (Debian: apt-get install fonts-wqy-microhei)")
    image = picture.render(TABLE, "notice-2026-11.png")
    assert image is not None and image.name == "notice-2026-11.png" and image.mime == "image/png"
    drawn = PILImage.open(io.BytesIO(image.data)).convert("RGB")
    assert drawn.width >= 720 and 300 <= drawn.height <= 700
    colours = {drawn.getpixel((x, y)) for x in range(40, drawn.width - 40, 7) for y in range(0, drawn.height, 7)}
    assert any(r > 150 and g < 80 and b < 80 for r, g, b in colours)  # the red of the header row
    taller = picture.render(dataclasses.replace(TABLE, rows=list(TABLE.rows) * 10), "x.png")
    assert taller is not None
    assert PILImage.open(io.BytesIO(taller.data)).height > drawn.height + 18 * 40


def test_chinese_comes_out_as_glyphs_not_boxes() -> None:
    """The font found has Chinese glyphs: two characters draw differently, and neither as the box a font
    draws for a character it does not have."""
    path = picture.find_font()
    if path is None:
        pytest.skip("no CJK font on this machine (Debian: apt-get install fonts-wqy-microhei)")
    font = ImageFont.truetype(str(path), 26)
    missing, ji, fen = (bytes(font.getmask(char)) for char in ("\U000f0000", "积", "分"))
    assert len({missing, ji, fen}) == 3


def test_without_a_font_the_notice_is_text_only_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No CJK font anywhere: no picture, and one warning in the log however many notices are drawn."""
    monkeypatch.setattr(picture, "KNOWN_FONTS", ())
    monkeypatch.setattr(picture, "FONT_FOLDERS", ())
    picture.find_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.picture"):
            assert picture.render(TABLE, "a.png") is None
            assert picture.render(TABLE, "b.png") is None
        warnings = [r for r in caplog.records if r.name == "bot.picture"]
        assert len(warnings) == 1 and "text only" in warnings[0].getMessage()
    finally:
        picture.find_font.cache_clear()
