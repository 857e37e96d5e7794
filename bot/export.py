"""Exports for the district's public credit platform (公共信用信息平台): XLSX and CSV.

Each table is a list of columns (a header and a type) and rows of plain values. XLSX cells get real
types — whole numbers, decimals, dates, times — so the platform's importer and Excel's sums work. Text a
resident typed can begin with `=`, `+`, `-` or `@`, which a spreadsheet would run as a formula: CSV cells
are prefixed with an apostrophe (the usual defence), XLSX cells are stored as text with Excel's
"quote prefix", so the value stays exactly as typed and is never evaluated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.i18n import Translator

if TYPE_CHECKING:
    from store.reports import LedgerRow, ServiceRow, SummaryRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"


_FORMATS = {Kind.DATE: "yyyy-mm-dd", Kind.TIME: "hh:mm", Kind.DATETIME: "yyyy-mm-dd hh:mm", Kind.DECIMAL: "0.00"}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT
    width: int = 12


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]  # values: str, int, float, date, time, naive local datetime, or None


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_value(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind is Kind.TEXT:
        return safe_text(str(value))
    if kind is Kind.DECIMAL:
        return f"{value:.2f}"
    if kind is Kind.TIME:
        return f"{value:%H:%M}"
    if kind is Kind.DATETIME:
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, which Excel in China opens as Unicode instead of guessing GBK."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(c.title) for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, sheet.columns, strict=True)])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])
        ws.append([c.title for c in sheet.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_xlsx_value(v, c.kind) for v, c in zip(row, sheet.columns, strict=True)])
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = column.width
            if column.kind is Kind.TEXT:
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # openpyxl takes "=…" for a formula: it is text here
                        cell.quotePrefix = cell.value.startswith(FORMULA_STARTS)
            elif column.kind in _FORMATS:
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = _FORMATS[column.kind]
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: local time, as the header says
    if kind is Kind.TIME and isinstance(value, datetime):
        return time(value.hour, value.minute)
    return value


# --- a period's sheets ------------------------------------------------------------------------------------


def period_sheets(
    *,
    services: Sequence[ServiceRow],
    entries: Sequence[LedgerRow],
    summary: Sequence[SummaryRow],
    organiser: str,
    t: Translator,
) -> list[Sheet]:
    """Three tables: service records, ledger entries and a per-resident summary, with local times."""

    def col(key: str, kind: Kind = Kind.TEXT, width: int = 12) -> Column:
        return Column(t(f"export.column.{key}"), kind, width)

    service_sheet = Sheet(
        t("export.sheet.services"),
        [
            col("number", Kind.INT, 8),
            col("name"),
            col("household"),
            col("activity", width=16),
            col("date", Kind.DATE),
            col("start", Kind.TIME, 8),
            col("end", Kind.TIME, 8),
            col("place", width=16),
            col("content", width=24),
            col("minutes", Kind.INT, 10),
            col("hours", Kind.DECIMAL, 10),
            col("points", Kind.INT, 8),
            col("reviewer"),
            col("status", width=10),
            col("organiser", width=16),
        ],
        [
            (
                r.number,
                r.name,
                r.household,
                r.activity,
                t.local(r.started_at).date(),
                t.local(r.started_at),
                t.local(r.ended_at),
                r.place,
                r.content,
                r.minutes,
                round(r.minutes / 60, 2),
                r.points,
                r.reviewer,
                t(f"review.status.{r.status}"),
                organiser,
            )
            for r in services
        ],
    )
    ledger_sheet = Sheet(
        t("export.sheet.ledger"),
        [
            col("entry", Kind.INT, 8),
            col("written_at", Kind.DATETIME, 17),
            col("name"),
            col("household"),
            col("kind", width=10),
            col("item_code", width=10),
            col("reason", width=30),
            col("points", Kind.INT, 8),
            col("by"),
            col("reverses", Kind.INT, 10),
            col("receipt", Kind.INT, 8),
        ],
        [
            (
                e.number,
                t.local(e.created_at),
                e.name,
                e.household,
                t(f"export.kind.{e.kind}"),
                e.item_code,
                e.reason,
                e.points,
                e.by,
                e.reverses,
                e.receipt,
            )
            for e in entries
        ],
    )
    summary_sheet = Sheet(
        t("export.sheet.summary"),
        [
            col("name"),
            col("household"),
            col("minutes", Kind.INT, 10),
            col("hours", Kind.DECIMAL, 10),
            col("period_points", Kind.INT, 10),
            col("balance", Kind.INT, 10),
        ],
        [(s.name, s.household, s.minutes, round(s.minutes / 60, 2), s.points, s.balance) for s in summary],
    )
    return [service_sheet, ledger_sheet, summary_sheet]
