"""Parsing what people type into a command word and arguments."""

from __future__ import annotations

import pytest

from bot.parse import MAX_INPUT_CHARS, clean_name, clean_text, parse

BOT = ["积分助手", "PointsBot"]
WORDS = ["签到", "签退", "通过", "checkin", "我的积分", "驳回"]


@pytest.mark.parametrize(
    ("text", "word", "args", "addressed"),
    [
        ("签到", "签到", (), False),
        ("签到 卫生整治", "签到", ("卫生整治",), False),
        ("／签到", "签到", (), True),
        ("/签到", "签到", (), True),
        ("@积分助手 签到 卫生整治", "签到", ("卫生整治",), True),
        ("@积分助手\u2005签到", "签到", (), True),
        ("@积分助手\u3000签到\u3000\u3000卫生整治", "签到", ("卫生整治",), True),
        ("/checkin 卫生整治", "checkin", ("卫生整治",), True),
        ("/CHECKIN", "checkin", (), True),
        ("/checkin@PointsBot 卫生整治", "checkin", ("卫生整治",), True),
        ("ｃｈｅｃｋｉｎ", "checkin", (), False),
        ("＠积分助手 签到", "签到", (), True),
        ("驳回 3 时间不对，请重报。", "驳回", ("3", "时间不对，请重报。"), False),
        ("  签到   卫生   整治  ", "签到", ("卫生", "整治"), False),
        ("通过12", "通过", ("12",), False),
        ("通过 12 13", "通过", ("12", "13"), False),
        ("通过１２", "通过", ("12",), False),
        ("驳回 3 时间不对", "驳回", ("3", "时间不对"), False),
    ],
)
def test_forms_of_a_command(text: str, word: str, args: tuple[str, ...], addressed: bool) -> None:
    """Chinese, English, full-width, slashes, mentions and extra spaces all parse to the same command."""
    parsed = parse(text, bot_names=BOT, known_words=WORDS)
    assert parsed is not None
    assert (parsed.word, parsed.args, parsed.addressed) == (word, args, addressed)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "@积分助手",
        "@张三 签到",  # addressed to someone else
        "/checkin@OtherBot",  # a command for another bot
    ],
)
def test_not_a_command(text: str) -> None:
    """Empty messages, messages to other people and commands for other bots are not ours."""
    assert parse(text, bot_names=BOT, known_words=WORDS) is None


def test_glued_text_is_not_split() -> None:
    """`签到了吗` stays one word, so chatter that starts like a command is not taken for one."""
    parsed = parse("签到了吗", bot_names=BOT, known_words=WORDS)
    assert parsed is not None and parsed.word == "签到了吗"


def test_long_input_is_cut_and_flagged() -> None:
    """Text longer than the limit is cut to the limit and the result says so."""
    parsed = parse("签到 " + "长" * (MAX_INPUT_CHARS * 3), bot_names=BOT, known_words=WORDS)
    assert parsed is not None and parsed.truncated
    assert len(parsed.rest) < MAX_INPUT_CHARS


def test_invisible_and_control_characters_are_removed() -> None:
    """Right-to-left overrides, zero-width spaces and control characters never survive cleaning."""
    assert clean_text("张\u202e三\u200b\x00\x07") == "张三"
    assert clean_name("@【王五】\u2066") == "王五"
