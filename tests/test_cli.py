"""The `pointsbot` command as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pointsbot(
    *args: str, cwd: Path, input: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POINTSBOT_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_demo_runs_and_exits_zero(tmp_path: Path) -> None:
    """`pointsbot demo` replays the sample month and exits 0, leaving no database behind."""
    result = pointsbot("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[红帮带志愿者群] 积分助手: @王桂荣 签到成功" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_replay_check_passes_and_fails(tmp_path: Path) -> None:
    """`replay --check` exits 0 for an unchanged transcript and 1 with a diff for a changed one."""
    good = (ROOT / "tests" / "transcripts" / "duty_basics.txt").read_text(encoding="utf-8")
    path = tmp_path / "t.txt"
    path.write_text(good, encoding="utf-8")
    assert pointsbot("replay", str(path), "--check", cwd=tmp_path).returncode == 0
    path.write_text(good.replace("签到成功：卫生整治", "签到成功：别的"), encoding="utf-8")
    result = pointsbot("replay", str(path), "--check", cwd=tmp_path)
    assert result.returncode == 1 and "+[红帮带志愿者群] 积分助手: @蔡玉娟 签到成功：卫生整治" in result.stdout


def test_second_replay_continues_on_the_same_database(tmp_path: Path) -> None:
    """With --database, a second replay sees what the first one stored."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    first = tmp_path / "first.txt"
    first.write_text("@2026-11-03 09:00\n[红帮带志愿者群] 王桂荣: 签到 巡逻\n", encoding="utf-8")
    second = tmp_path / "second.txt"
    second.write_text("@2026-11-03 10:00\n[红帮带志愿者群] 王桂荣: 签退\n", encoding="utf-8")
    assert pointsbot("replay", str(first), "--database", url, cwd=tmp_path).returncode == 0
    result = pointsbot("replay", str(second), "--database", url, cwd=tmp_path)
    assert "签退成功：巡逻，09:00 到 10:00，共 60 分钟" in result.stdout


def test_bad_config_is_refused_with_file_and_key(tmp_path: Path) -> None:
    """A wrong key in community.toml stops the bot with the file, the key and exit code 2."""
    config = tmp_path / "community.toml"
    config.write_text('[community]\nname = "x"\n[points]\nmin_minute = 30\n', encoding="utf-8")
    transcript = tmp_path / "t.txt"
    transcript.write_text("@2026-11-03 09:00\n", encoding="utf-8")
    result = pointsbot("replay", str(transcript), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{config}: invalid configuration" in result.stderr and "[points] min_minute: unknown key" in result.stderr


def test_bad_transcript_line_names_the_line(tmp_path: Path) -> None:
    """A malformed transcript line is reported with its number."""
    transcript = tmp_path / "t.txt"
    transcript.write_text("@2026-11-03 09:00\nthis is not a message\n", encoding="utf-8")
    result = pointsbot("replay", str(transcript), cwd=tmp_path)
    assert result.returncode == 2 and "line 2" in result.stderr


def test_console_run_creates_the_database_and_answers(tmp_path: Path) -> None:
    """`pointsbot run` on the console creates its SQLite file, answers as the chosen person, and quits."""
    result = pointsbot("run", cwd=tmp_path, input=":user 王桂荣\n签到 巡逻\n:private\n我的积分\n:quit\n")
    assert result.returncode == 0, result.stderr
    assert "签到成功：巡逻" in result.stdout and "王桂荣 的积分" in result.stdout
    assert (tmp_path / "data" / "pointsbot.sqlite3").exists()
    again = pointsbot("run", cwd=tmp_path, input=":user 王桂荣\n签到\n")
    assert "您已经在值班了：巡逻" in again.stdout


def test_db_upgrade(tmp_path: Path) -> None:
    """`pointsbot db upgrade` creates the schema in a new database and says at which revision."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'x' / 'new.sqlite3'}"
    result = pointsbot("db", "upgrade", "--database", url, cwd=tmp_path)
    assert result.returncode == 0 and "database schema at revision" in result.stdout
    assert "this version needs" in pointsbot("db", "current", "--database", url, cwd=tmp_path).stdout


def test_bind_code_links_the_first_admin_on_a_chat_platform(tmp_path: Path) -> None:
    """`pointsbot bind-code` prints a one-time code with which a staff member links a new platform account."""
    import asyncio
    import re
    from datetime import UTC, datetime

    from bot.adapters.memory import MemoryTransport
    from bot.app import App
    from bot.config import SAMPLE_CONFIG, load_community
    from bot.messages import ChatKind, ChatRef, Incoming, UserRef
    from scheduler.clock import VirtualClock

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    assert "is not in this database yet" in pointsbot("bind-code", "王主任", "--database", url, cwd=tmp_path).stderr
    assert pointsbot("db", "upgrade", "--database", url, cwd=tmp_path).returncode == 0

    async def say(text: str, message_id: str) -> str:
        transport = MemoryTransport("telegram")
        app = App(
            database_url=url,
            configs=[load_community(SAMPLE_CONFIG)],
            clock=VirtualClock(datetime.now(UTC)),
            transports={"telegram": transport},
            paced=False,
            flood=None,
        )
        await app.open()
        try:
            chat = ChatRef("telegram", "777", ChatKind.PRIVATE, "Wang")
            await app.receive(Incoming("telegram", chat, UserRef("777", "Wang"), text, message_id, app.clock.now()))
            return "\n".join(m.text for m in transport.take())
        finally:
            await app.close()

    assert "只有工作人员" in asyncio.run(say("待审核", "1"))
    result = pointsbot("bind-code", "王主任", "--database", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    code = re.search(r"绑定码：(\d{6})", result.stdout)
    assert code is not None and "私聊机器人" in result.stdout
    assert "王主任" in asyncio.run(say(f"绑定 {code.group(1)}", "2"))
    assert "现在没有等待审核的记录" in asyncio.run(say("待审核", "3"))
