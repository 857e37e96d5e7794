"""The volunteer service certificate 志愿服务证明: one volunteer, a date range, every approved record.

It carries what the national rules ask of a service record — activity, date, place, content, hours,
organiser and who reviewed it — the total hours, and the community that issues it. Hours come from
service records only; points, bonuses and deductions never appear on it.

Rendered as text (always possible), or as a PNG or PDF page drawn with Pillow and a CJK font.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.i18n import Translator


@dataclass(frozen=True, slots=True)
class ServiceLine:
    day: date
    activity: str
    place: str
    content: str
    minutes: int
    reviewer: str


@dataclass(frozen=True, slots=True)
class Certificate:
    organiser: str  # the community that issues it
    volunteer: str
    household: str
    first: date
    last: date
    lines: tuple[ServiceLine, ...]
    issued_on: date
    serial: str

    @property
    def total_minutes(self) -> int:
        return sum(line.minutes for line in self.lines)


def hours(minutes: int) -> str:
    """Hours with at most two decimals, as certificates state them: 90 -> "1.5", 100 -> "1.67"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _statement(cert: Certificate, t: Translator) -> str:
    return t(
        "certificate.statement",
        name=cert.volunteer,
        household=cert.household or "-",
        first=cert.first,
        last=cert.last,
        organiser=cert.organiser,
        count=len(cert.lines),
        hours=hours(cert.total_minutes),
        minutes=cert.total_minutes,
    )


def _row(line: ServiceLine, t: Translator) -> tuple[str, ...]:
    return (
        line.day.isoformat(),
        line.activity,
        line.place or "-",
        line.content or "-",
        str(line.minutes),
        line.reviewer or "-",
    )


def _columns(t: Translator) -> tuple[str, ...]:
    return tuple(
        t(f"certificate.column.{key}") for key in ("date", "activity", "place", "content", "minutes", "reviewer")
    )


def _footer(cert: Certificate, t: Translator) -> list[str]:
    return [
        t("certificate.issuer", organiser=cert.organiser),
        t("certificate.issued_on", day=cert.issued_on),
        t("certificate.serial", serial=cert.serial),
        t("certificate.note"),
    ]


def as_text(cert: Certificate, t: Translator) -> str:
    """The certificate as plain text: what the chat gets when no CJK font is installed."""
    lines = [t("certificate.title"), _statement(cert, t)]
    if cert.lines:
        lines.append(" | ".join(_columns(t)))
        lines += [" | ".join(_row(line, t)) for line in cert.lines]
    else:
        lines.append(t("certificate.no_records"))
    return "\n".join([*lines, *_footer(cert, t)])


# --- drawing ----------------------------------------------------------------------------------------------

WIDTH, HEIGHT, MARGIN = 1240, 1754, 100  # A4 at 150 dpi
COLUMN_SHARES = (0.15, 0.2, 0.16, 0.23, 0.13, 0.13)


def _wrap(text: str, font: object, width: float) -> list[str]:
    """Break text to fit `width` pixels: at any character, as Chinese is written."""
    length = font.getlength  # type: ignore[attr-defined]
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for char in paragraph:
            if current and length(current + char) > width:
                lines.append(current)
                current = ""
            current += char
        lines.append(current)
    return lines


def pages(cert: Certificate, t: Translator, font_path: Path) -> list[object]:
    """The certificate as A4 pages (Pillow images); the records table runs on over as many as it needs."""
    from PIL import Image, ImageDraw, ImageFont

    title_font = ImageFont.truetype(str(font_path), 64)
    body = ImageFont.truetype(str(font_path), 30)
    small = ImageFont.truetype(str(font_path), 24)
    inner = WIDTH - 2 * MARGIN
    widths = [inner * share for share in COLUMN_SHARES]
    result: list[object] = []

    def new_page() -> tuple[object, ImageDraw.ImageDraw]:
        image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        result.append(image)
        draw = ImageDraw.Draw(image)
        draw.rectangle(
            (MARGIN // 2, MARGIN // 2, WIDTH - MARGIN // 2, HEIGHT - MARGIN // 2), outline="#8b0000", width=4
        )
        return image, draw

    def table_row(draw: ImageDraw.ImageDraw, y: int, cells: tuple[str, ...], *, header: bool) -> int:
        wrapped = [_wrap(cell, small, w - 12) for cell, w in zip(cells, widths, strict=True)]
        height = 34 * max(len(w) for w in wrapped) + 12
        if header:
            draw.rectangle((MARGIN, y, WIDTH - MARGIN, y + height), fill="#f2e6e6")
        x: float = MARGIN
        for cell_lines, w in zip(wrapped, widths, strict=True):
            for index, text in enumerate(cell_lines):
                draw.text((x + 6, y + 6 + 34 * index), text, font=small, fill="black")
            draw.rectangle((x, y, x + w, y + height), outline="#999999", width=1)
            x += w
        return y + height

    _, draw = new_page()
    y = MARGIN + 20
    title = t("certificate.title")
    draw.text(((WIDTH - title_font.getlength(title)) / 2, y), title, font=title_font, fill="#8b0000")
    y += 120
    for text in _wrap(_statement(cert, t), body, inner):
        draw.text((MARGIN, y), text, font=body, fill="black")
        y += 46
    y += 20
    limit = HEIGHT - MARGIN - 40
    if cert.lines:
        y = table_row(draw, y, _columns(t), header=True)
        for line in cert.lines:
            cells = _row(line, t)
            if y + 34 * 3 + 12 > limit:
                _, draw = new_page()
                y = table_row(draw, MARGIN + 20, _columns(t), header=True)
            y = table_row(draw, y, cells, header=False)
    else:
        draw.text((MARGIN, y), t("certificate.no_records"), font=body, fill="black")
        y += 46
    footer = [wrapped for text in _footer(cert, t) for wrapped in _wrap(text, small, inner)]
    if y + 60 + 40 * len(footer) > limit:
        _, draw = new_page()
        y = MARGIN + 20
    y += 60
    for text in footer:
        draw.text((MARGIN, y), text, font=small, fill="black")
        y += 40
    return result


def as_png(cert: Certificate, t: Translator, font_path: Path) -> bytes:
    """One PNG: the pages one below the other (a chat shows one picture)."""
    from PIL import Image

    drawn = pages(cert, t, font_path)
    sheet = Image.new("RGB", (WIDTH, HEIGHT * len(drawn)), "white")
    for index, page in enumerate(drawn):
        sheet.paste(page, (0, HEIGHT * index))  # type: ignore[arg-type]
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue()


def as_pdf(cert: Certificate, t: Translator, font_path: Path) -> bytes:
    """A PDF with one A4 page per drawn page, at 150 dpi."""
    drawn = pages(cert, t, font_path)
    out = io.BytesIO()
    first, *rest = drawn
    first.save(out, format="PDF", resolution=150.0, save_all=True, append_images=rest)  # type: ignore[attr-defined]
    return out.getvalue()
