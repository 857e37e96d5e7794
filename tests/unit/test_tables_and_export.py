"""Spreadsheets in and out: GBK and XLSX imports with line numbers, typed XLSX and injection-safe CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.config import ConfigError, load_community, parse_community
from bot.export import Column, Kind, Sheet, to_csv, to_xlsx
from bot.tables import TableError, members_from_file, read_table
from handlers.shop import amount, looks_like_amount

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHEET = Sheet(
    "服务记录",
    [
        Column("姓名"),
        Column("日期", Kind.DATE),
        Column("开始", Kind.TIME),
        Column("分钟", Kind.INT),
        Column("小时", Kind.DECIMAL),
    ],
    [
        ('=HYPERLINK("http://x")', date(2026, 11, 3), datetime(2026, 11, 3, 9, 15, tzinfo=SHANGHAI), 150, 2.5),
        ("-2+3", date(2026, 11, 4), datetime(2026, 11, 4, 8, 0, tzinfo=SHANGHAI), -5, 0.0),
        ("@SUM(A1)", None, None, 0, 0.0),
    ],
)


def test_csv_cells_cannot_become_formulas() -> None:
    """Text beginning with =, +, -, @ gets an apostrophe in CSV; numbers stay numbers, negative ones too."""
    text = to_csv(SHEET).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "2026-11-03", "09:15", "150", "2.50"]
    assert rows[2][0] == "'-2+3" and rows[2][3] == "-5"
    assert rows[3][0] == "'@SUM(A1)" and rows[3][1] == ""
    assert to_csv(SHEET).startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8


def test_xlsx_cells_have_types_and_text_stays_text() -> None:
    """XLSX cells are dates, times and numbers; a formula-looking name is stored as text, exactly as typed."""
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx([SHEET])))
    ws = book["服务记录"]
    assert ws["A2"].value == '=HYPERLINK("http://x")' and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B2"].value.date() == date(2026, 11, 3) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["C2"].value == time(9, 15)
    assert ws["D3"].value == -5 and ws["D3"].data_type == "n"
    assert ws["E2"].value == 2.5 and ws["E2"].number_format == "0.00"


def test_gbk_csv_is_read(tmp_path: Path) -> None:
    """A CSV saved by Excel in China (GBK) reads like a UTF-8 one, headers in Chinese."""
    path = tmp_path / "members.csv"
    path.write_bytes("姓名,门牌,电话\n张三,3-2-501,123\n李秀英,3-2-501,\n".encode("gbk"))
    people, problems = members_from_file(path)
    assert people == [(2, "张三", "3-2-501"), (3, "李秀英", "3-2-501")] and problems == []


def test_xlsx_is_read_with_line_numbers(tmp_path: Path) -> None:
    """An XLSX sheet's rows keep the line numbers people see; numbers and empty rows are handled."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["name", "household"])
    ws.append(["王桂荣", 501])
    ws.append([None, None])
    ws.append(["", "5-1-102"])
    book.save(tmp_path / "m.xlsx")
    people, problems = members_from_file(tmp_path / "m.xlsx")
    assert people == [(2, "王桂荣", "501")]
    assert problems == ["line 4: the name is empty"]


def test_bad_files_are_explained(tmp_path: Path) -> None:
    """A missing column, a file in neither UTF-8 nor GBK, and a broken workbook each get a plain reason."""
    (tmp_path / "a.csv").write_text("名字\n张三\n", encoding="utf-8")
    with pytest.raises(TableError, match="missing column household"):
        members_from_file(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_bytes(b"\xff\xfe\x00\x81\x30")
    with pytest.raises(TableError, match="neither UTF-8 nor GBK"):
        read_table(tmp_path / "b.csv", {"name": ()}, required=())
    (tmp_path / "c.xlsx").write_bytes(b"not a zip")
    with pytest.raises(TableError, match="not an XLSX workbook"):
        members_from_file(tmp_path / "c.xlsx")


def test_duplicate_rows_name_both_lines(tmp_path: Path) -> None:
    """The same person twice in one file is reported with both line numbers."""
    (tmp_path / "m.csv").write_text("姓名,门牌\n张三,1\n李四,1\n张三,1\n", encoding="utf-8")
    _, problems = members_from_file(tmp_path / "m.csv")
    assert problems == ["line 4: 张三 (1) is listed twice (also line 2)"]


def test_rule_item_file_errors_name_file_and_line(tmp_path: Path) -> None:
    """A bad row in the rule items file stops loading with the file, the line and what is expected."""
    (tmp_path / "items.csv").write_text("代码,名称,分值\nA01,好事,2\nA02,坏事,0\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text('[community]\nname = "c"\n[rules]\nfile = "items.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"items.csv: line 3: points: a rule item moves points"):
        load_community(tmp_path / "c.toml")
    (tmp_path / "items.csv").write_text("代码,名称,分值\nA01,好事,2\na01,又一件,3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rule item code 'a01' is listed twice"):
        load_community(tmp_path / "c.toml")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"products": [{"code": "P1", "name": "x", "price": 0}]}, "products]] #1 price"),
        ({"products": [{"code": "P1", "name": "x", "price": 1, "colour": "red"}]}, "colour: unknown key"),
        ({"products": [{"code": "P1", "name": "x", "price": 1}, {"code": "p1", "name": "y", "price": 1}]}, "twice"),
        ({"households": {"pool": "family"}}, "[households] pool"),
        ({"rules": {"items": [{"code": "有 空格", "name": "x", "points": 1}]}}, "[[rules.items]] #1 code"),
    ],
)
def test_economy_config_is_checked(section: dict[str, object], message: str) -> None:
    """Bad products, pool settings and item codes are refused naming the key."""
    with pytest.raises(ConfigError) as refused:
        parse_community({"community": {"name": "c"}, **section})
    assert message in str(refused.value)


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("２", 2), ("2瓶", 2), ("两张", 2), ("十", 10), ("99", 99)])
def test_amounts_as_people_write_them(text: str, value: int) -> None:
    """Quantities in digits, full-width digits, with a unit, or in Chinese numerals."""
    assert looks_like_amount(text) and amount(text, limit=99) == value


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "100", "一百", "1e3"])
def test_bad_amounts(text: str) -> None:
    """Zero, negative, fractional, too large: refused."""
    from bot.errors import UsageError

    with pytest.raises(UsageError):
        amount(text, limit=99)
