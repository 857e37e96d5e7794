"""Tables as pictures: group members read a notice faster as an image than as forty lines of text.

Pillow draws the table with a CJK font found on the system (Debian: fonts-wqy-microhei or fonts-noto-cjk).
Without one, Chinese would come out as empty boxes, so there is no picture at all: the notice goes out as
text only, and the log says once why.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from bot.messages import Image

log = logging.getLogger(__name__)

# Well-known places first, then any file in the font folders whose name says it covers Chinese.
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".local/share/fonts"))
CJK_NAMES = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback", "msyh", "simhei", "pingfang")

INK = (34, 34, 34)
MUTED = (110, 110, 110)
ACCENT = (178, 34, 34)  # the red of a 公示栏
STRIPE = (248, 243, 235)
RULE = (200, 190, 175)
PAPER = (255, 255, 255)


@cache
def _palette() -> PILImage.Image:
    """Every colour a table holds: each text colour over the background it is drawn on, in 16 shades from
    one to the other (the edges of antialiased letters), which covers the solid colours too."""
    pairs = ((INK, PAPER), (INK, STRIPE), (PAPER, ACCENT), (MUTED, PAPER), (ACCENT, PAPER), (RULE, PAPER))
    shades = dict.fromkeys(
        tuple(round(f * step / 15 + b * (1 - step / 15)) for f, b in zip(fg, bg, strict=True))
        for fg, bg in pairs
        for step in range(16)
    )
    palette = PILImage.new("P", (1, 1))
    palette.putpalette([value for colour in shades for value in colour])
    return palette


@cache
def find_font() -> Path | None:
    """A font file that has Chinese characters, or None (logged once)."""
    for known in KNOWN_FONTS:
        if Path(known).is_file():
            return Path(known)
    for folder in FONT_FOLDERS:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in {".ttc", ".ttf", ".otf"} and any(n in path.name.lower() for n in CJK_NAMES):
                return path
    log.warning(
        "no font with Chinese characters found (install fonts-wqy-microhei or fonts-noto-cjk); "
        "notices are sent as text only, without a picture"
    )
    return None


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    subtitle: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    footer: str = ""
    right: frozenset[int] = field(default_factory=frozenset)  # columns aligned right (numbers)


NO_LINE_START = set("。，、；：！？）」』》,.;:!?)")  # Chinese typesetting: these never begin a line


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if line and char not in NO_LINE_START and font.getlength(line + char) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def render(table: Table, name: str, *, font_path: Path | None = None) -> Image | None:
    """The table as a PNG, or None when no CJK font is available."""
    path = font_path or find_font()
    if path is None:
        return None
    body = ImageFont.truetype(str(path), 26)
    small = ImageFont.truetype(str(path), 22)
    title_font = ImageFont.truetype(str(path), 36)
    pad, row_height, gap = 36, 46, 28
    cells = [table.headers, *table.rows]
    widths = [
        max(body.getlength(str(row[i])) if i < len(row) else 0 for row in cells) for i in range(len(table.headers))
    ]
    table_width = sum(widths) + gap * (len(widths) - 1) + 2 * 16
    width = int(max(720, table_width + 2 * pad, title_font.getlength(table.title) + 2 * pad))
    inner = width - 2 * pad
    subtitle = _wrap(table.subtitle, small, inner) if table.subtitle else []
    footer = _wrap(table.footer, small, inner) if table.footer else []
    height = pad + 50 + 34 * len(subtitle) + 18 + row_height * len(cells) + 20 + 32 * len(footer) + pad

    picture = PILImage.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(picture)
    draw.rectangle([(8, 8), (width - 9, height - 9)], outline=ACCENT, width=3)
    y = pad
    draw.text((width / 2, y), table.title, font=title_font, fill=ACCENT, anchor="ma")
    y += 50
    for line in subtitle:
        draw.text((pad, y), line, font=small, fill=MUTED)
        y += 34
    y += 18
    left = pad + (inner - table_width) / 2 + 16
    for index, row in enumerate(cells):
        top = y + index * row_height
        if index == 0:
            draw.rectangle([(pad, top), (width - pad, top + row_height)], fill=ACCENT)
        elif index % 2 == 0:
            draw.rectangle([(pad, top), (width - pad, top + row_height)], fill=STRIPE)
        x = left
        for column, column_width in enumerate(widths):
            text = str(row[column]) if column < len(row) else ""
            colour = PAPER if index == 0 else INK
            middle = top + row_height / 2
            if column in table.right:
                draw.text((x + column_width, middle), text, font=body, fill=colour, anchor="rm")
            else:
                draw.text((x, middle), text, font=body, fill=colour, anchor="lm")
            x += column_width + gap
    y += row_height * len(cells)
    draw.line([(pad, y), (width - pad, y)], fill=RULE, width=2)
    y += 20
    for line in footer:
        draw.text((pad, y), line, font=small, fill=INK)
        y += 32
    out = io.BytesIO()
    # A palette PNG is a fraction of the size, for 768 groups. Mapping onto the table's own colours takes a
    # few milliseconds and no memory beyond the result; letting Pillow find a palette (MEDIANCUT) took
    # 0.6 s and 80 MB on a district's notice, and `optimize` another second (see BENCHMARKS.md).
    picture.quantize(palette=_palette(), dither=PILImage.Dither.NONE).save(out, format="PNG")
    return Image(name=name, data=out.getvalue())
