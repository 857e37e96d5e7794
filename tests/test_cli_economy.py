"""`pointsbot export`, `pointsbot certificate` and `pointsbot members import` as staff run them."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import SAMPLE_CONFIG, load_community
from bot.fonts import find_cjk_font
from bot.replay import replay


def pointsbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in this process (a subprocess per call would cost seconds), without POINTSBOT_ settings."""
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("POINTSBOT_")}
    environment.update(env or {})
    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner(env=environment).invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


MONTH = """@2026-11-03 09:00
[私聊] 王主任: 补录 王桂荣 卫生整治 11-02 09:00 11:30
[私聊] 王主任: 加分 王桂荣 A01 =cmd|' /C calc'!A0
[私聊] 王主任: 扣分 赵建国 D01
"""


def _database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    asyncio.run(replay(MONTH, config=load_community(SAMPLE_CONFIG), database_url=url, emit=lambda _: None))
    return url


def test_export_xlsx_and_csv(tmp_path: Path) -> None:
    """The period's records and ledger go to XLSX sheets with typed cells, or to three CSV files."""
    url = _database(tmp_path)
    result = pointsbot("export", "--period", "2026-11", "--output", "out.xlsx", "--database", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "服务记录 1 rows; 积分明细 2 rows; 汇总 1 rows" in result.stdout
    book = openpyxl.load_workbook(io.BytesIO((tmp_path / "out.xlsx").read_bytes()))
    services, ledger = book["服务记录"], book["积分明细"]
    assert [c.value for c in services[2]][1:4] == ["王桂荣", "5-1-101", "卫生整治"]
    assert services["J2"].value == 150 and services["K2"].value == 2.5 and services["N2"].value == "已通过"
    assert ledger["F3"].value == "A01" and ledger["G3"].data_type == "s" and ledger["H3"].value == 2
    result = pointsbot(
        "export", "--period", "2026-11", "--format", "csv", "-o", "p.csv", "--database", url, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    ledger_csv = (tmp_path / "p-ledger.csv").read_text(encoding="utf-8-sig")
    assert ",A01 参加社区志愿服务活动：=cmd" in ledger_csv  # a remark inside a reason cannot start a cell
    assert sorted(p.name for p in tmp_path.glob("p-*.csv")) == ["p-ledger.csv", "p-services.csv", "p-summary.csv"]
    bad = pointsbot("export", "--period", "2026-13", "-o", "x.xlsx", "--database", url, cwd=tmp_path)
    assert bad.returncode == 2 and "--period must look like 2026-11" in bad.stderr


def test_members_import_dry_run_then_for_real(tmp_path: Path) -> None:
    """A GBK file: the dry run writes nothing, the import creates people and households once, bad rows stop it all."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    (tmp_path / "people.csv").write_bytes("姓名,门牌\n孙丽,7-3-202\n王桂荣,9-9-901\n".encode("gbk"))
    args = ("members", "import", "people.csv", "--database", url)
    dry = pointsbot(*args, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would create 2 residents and 2 households" in dry.stdout and "nothing written" in dry.stdout
    assert "line 3: note: 王桂荣 also lives in 5-1-101" in dry.stdout
    assert "created 2 residents" in pointsbot(*args, cwd=tmp_path).stdout
    assert "created 0 residents and 0 households; 2 already there" in pointsbot(*args, cwd=tmp_path).stdout
    (tmp_path / "bad.csv").write_text("姓名,门牌\n新人,1-1\n,2-2\n", encoding="utf-8")
    bad = pointsbot("members", "import", "bad.csv", "--database", url, cwd=tmp_path)
    assert bad.returncode == 2 and "line 3: the name is empty" in bad.stderr and "nothing was imported" in bad.stderr
    (tmp_path / "ok.csv").write_text("姓名,门牌\n新人,1-1\n", encoding="utf-8")
    ok = pointsbot("members", "import", "ok.csv", "--dry-run", "--database", url, cwd=tmp_path)
    assert "would create 1 residents" in ok.stdout  # 新人 of the bad file was not imported


def test_certificate_files(tmp_path: Path) -> None:
    """A certificate as text always, as PDF and PNG with a CJK font; namesakes and bad dates are refused."""
    url = _database(tmp_path)
    base = ("certificate", "王桂荣", "--from", "2026-01-01", "--to", "2026-12-31", "--database", url)
    result = pointsbot(*base, "-o", "c.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "c.txt").read_text(encoding="utf-8")
    assert "经审核的服务时长共计 2.5 小时（150 分钟）" in text and "2026-11-02 | 卫生整治" in text
    missing = pointsbot(
        "certificate", "孙悟空", "--from", "2026-01-01", "--to", "2026-12-31", "--database", url, cwd=tmp_path
    )
    assert missing.returncode == 2 and "没有找到居民「孙悟空」" in missing.stderr
    backwards = pointsbot("certificate", "王桂荣", "--from", "2026-12-01", "--to", "2026-01-01", cwd=tmp_path)
    assert backwards.returncode == 2 and "--to must not be before --from" in backwards.stderr
    no_font = pointsbot(*base, "-o", "c.pdf", cwd=tmp_path, env={"POINTSBOT_CJK_FONT": "/nonexistent.ttc"})
    assert no_font.returncode == 2 and "fonts-wqy-microhei" in no_font.stderr and "--format txt" in no_font.stderr
    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-wqy-microhei): PDF and PNG not drawn")
    assert pointsbot(*base, "-o", "c.pdf", cwd=tmp_path).returncode == 0
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    assert pointsbot(*base, "--format", "png", "-o", "c.png", cwd=tmp_path).returncode == 0
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
