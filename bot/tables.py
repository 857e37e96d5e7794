"""Reading the spreadsheets staff keep: CSV (UTF-8, or GBK as Excel in China saves it) and XLSX.

Every row keeps the line number a person sees in their spreadsheet program, so a problem can be reported as
"line 7: …". Headers may be English or Chinese (`name` or `姓名`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import ConfigError, RuleItem

SPREADSHEETS = (".xlsx", ".xlsm")


class TableError(Exception):
    """A file that cannot be read as a table, worded for the person who made it."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # as the spreadsheet program numbers it, header = line 1 (or wherever it was)
    values: Mapping[str, str]  # canonical column name -> text ("" for an empty cell)


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without the BOM Excel adds), else GBK/GB18030 as Excel in China saves CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(f"{source}: neither UTF-8 nor GBK text; save it as CSV (UTF-8) or XLSX") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _raw_rows(path: Path) -> list[tuple[int, list[str]]]:
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TableError(f"{source}: file not found") from None
    if path.suffix.lower() in SPREADSHEETS:
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
            raise TableError(f"{source}: not an XLSX workbook ({type(error).__name__})") from None
        sheet = book.worksheets[0]
        rows = [(n, [_cell(v) for v in row]) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        book.close()
        return rows
    text = decode(data, source)
    return [(n, [cell.strip() for cell in row]) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]


def read_table(path: Path, columns: Mapping[str, Sequence[str]], *, required: Sequence[str]) -> list[Row]:
    """The rows of the first sheet, with values under canonical column names.

    `columns` maps a canonical name to the headers that mean it (`"name": ("name", "姓名")`). The first
    non-empty row is the header; a missing required column is an error, unknown columns are ignored.
    """
    rows = [(n, cells) for n, cells in _raw_rows(path) if any(cells)]
    if not rows:
        raise TableError(f"{path}: the file is empty")
    header_line, header = rows[0]
    wanted = {alias.casefold(): name for name, aliases in columns.items() for alias in (name, *aliases)}
    position: dict[str, int] = {}
    for index, title in enumerate(header):
        name = wanted.get(title.strip().casefold())
        if name is not None and name not in position:
            position[name] = index
    missing = [name for name in required if name not in position]
    if missing:
        expected = "; ".join(f"{name} ({'/'.join(columns[name])})" for name in missing)
        raise TableError(f"{path}: line {header_line}: missing column {expected}")
    return [
        Row(n, {name: (cells[i] if i < len(cells) else "") for name, i in position.items()}) for n, cells in rows[1:]
    ]


RULE_ITEM_COLUMNS: Mapping[str, Sequence[str]] = {
    "code": ("代码", "编号"),
    "name": ("名称", "项目"),
    "points": ("分值", "分数"),
    "category": ("类别", "分类"),
    "cap_per_period": ("每期上限", "每月上限"),
    "cap_per_year": ("每年上限", "年度上限"),
    "until_zero": ("扣完为止",),
}
_YES = {"是", "y", "yes", "true", "1"}
_NO = {"否", "n", "no", "false", "0"}


def rule_items_from_file(path: Path) -> list[dict[str, Any]]:
    """Rule items from a CSV or XLSX file, each checked; a bad row stops loading with its line number."""
    try:
        rows = read_table(path, RULE_ITEM_COLUMNS, required=("code", "name", "points"))
    except TableError as error:
        raise ConfigError(str(error)) from None
    items: list[dict[str, Any]] = []
    for row in rows:
        raw: dict[str, Any] = {key: value for key, value in row.values.items() if value != ""}
        flag = str(raw.get("until_zero", "")).casefold()
        if flag:
            if flag not in _YES | _NO:
                raise ConfigError(f"{path}: line {row.line}: until_zero: write 是 or 否 (got {flag!r})")
            raw["until_zero"] = flag in _YES
        try:
            items.append(RuleItem.model_validate(raw).model_dump(exclude_defaults=True))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                for e in error.errors()
            )
            raise ConfigError(f"{path}: line {row.line}: {problems}") from None
    return items


MEMBER_COLUMNS: Mapping[str, Sequence[str]] = {
    "name": ("姓名", "名字"),
    "household": ("门牌", "门牌号", "户号", "住址", "house"),
}


def members_from_file(path: Path) -> tuple[list[tuple[int, str, str]], list[str]]:
    """(line, name, household) of every row, and the problems found, each naming its line."""
    from bot.parse import clean_name

    rows = read_table(path, MEMBER_COLUMNS, required=("name", "household"))
    people: list[tuple[int, str, str]] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        name = clean_name(row.values["name"], limit=200)
        household = clean_name(row.values["household"], limit=200)
        if not name:
            problems.append(f"line {row.line}: the name is empty")
        elif len(name) > 30:
            problems.append(f"line {row.line}: the name is longer than 30 characters")
        elif len(household) > 30:
            problems.append(f"line {row.line}: the household is longer than 30 characters")
        elif (name, household) in seen:
            problems.append(
                f"line {row.line}: {name} ({household or '-'}) is listed twice (also line {seen[name, household]})"
            )
        else:
            seen[name, household] = row.line
            people.append((row.line, name, household))
    return people, problems
