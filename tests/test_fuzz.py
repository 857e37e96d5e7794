"""Fuzzing: whatever people (or attackers) type, nothing escapes as an exception and every reply is readable.

The parser gets arbitrary Unicode; the whole bot gets command words mixed with random Unicode, emoji, mentions,
full-width forms, huge numbers and SQL-looking text, from residents, staff and strangers, in groups it serves,
groups it does not, and private chats, while its clock moves. One bot lives through all examples of a test,
so the state they build (check-ins, codes, records) feeds the next ones.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers
from bot.i18n import Translator
from bot.parse import clean_name, clean_text, parse
from bot.testing import Harness
from bot.transcript import PRIVATE
from store import ledger

WORDS = sorted(handlers.registry().words)
NASTY = [
    "'; DROP TABLE residents; --",
    "1 OR 1=1",
    "%",
    "_",
    "\\",
    "\x00",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ud800",
    "张三",
    "张三(1-1-101)",
    "张三（9-9-999）",
    "王主任",
    "李审核",
    "审核员",
    "管理员",
    "收银员",
    "09:00",
    "10:30",
    "25:99",
    "2026-11-03",
    "11-03",
    "02-30",
    "#12",
    "第3条",
    "12号",
    "１２",
    "²",
    "٣",
    "🙂",
    "👨‍👩‍👧",
    "🇨🇳",
    "@积分助手",
    "＠积分助手",
    "@别人",
    "/checkin@OtherBot",
    "{name}",
    "%(x)s",
    "<b>x</b>",
    "000000",
    "123456",
    "１２３４５６",
]
PREFIXES = ["", "", "/", "／", "@积分助手 ", "＠积分助手\u2005", "@积分助手", "@别人 ", " \u3000 "]

argument = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(codec="utf-8", categories=["So", "Cf", "Cc", "Zs", "Mn"]), max_size=6),
)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def messages(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=80))  # anything at all
    text = draw(st.sampled_from(PREFIXES)) + draw(st.sampled_from(WORDS))
    args = draw(st.lists(argument, max_size=5))
    glue = draw(st.sampled_from([" ", "  ", "\u3000", "\u2005", ""]))
    text = glue.join([text, *args]) if args else text
    if draw(st.booleans()) and draw(st.booleans()):
        text = full_width(text)
    if draw(st.integers(0, 19)) == 0:
        text *= 200  # far past the length limit
    return text


people = st.sampled_from(["张三", "李四", "王主任", "李审核", "陌生人", "\u202e假名"])
chats = st.sampled_from(["志愿者群", "居民群", PRIVATE, PRIVATE, "新群"])
steps = st.lists(st.tuples(people, chats, messages(), st.integers(0, 180)), min_size=1, max_size=4)


def assert_readable(text: str) -> None:
    """A reply a person can read: non-empty text, valid Unicode, no control or direction-changing characters."""
    assert isinstance(text, str) and text.strip()
    text.encode("utf-8")  # no lone surrogates
    assert len(text) < 4096  # the longest message chat platforms take
    for ch in text:
        assert ch == "\n" or unicodedata.category(ch)[0] != "C", repr(ch)
        assert not (0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069), repr(ch)
    assert "Traceback" not in text and "sqlalchemy" not in text.lower()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=600))
def test_parser_takes_any_text(text: str) -> None:
    """parse() never raises; a command word is one clean token; arguments are clean and space-free."""
    parsed = parse(text, bot_names=["积分助手"], known_words=WORDS, addressed=True)
    if parsed is None:
        return
    assert parsed.word and " " not in parsed.word and parsed.word == parsed.word.lower()
    assert all(arg and not any(ch.isspace() for ch in arg) for arg in parsed.args)
    assert clean_text(parsed.rest) == parsed.rest
    assert parsed.truncated == (len(text) > 500)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100))
def test_names_the_bot_echoes_are_clean(text: str) -> None:
    """clean_name() leaves nothing invisible or direction-changing, and respects its limit."""
    name = clean_name(text, limit=30)
    assert len(name) <= 30
    assert all(unicodedata.category(ch)[0] != "C" for ch in name)
    assert name == name.strip()


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=steps)
async def test_no_message_breaks_the_bot(
    bot: Harness, caplog: pytest.LogCaptureFixture, script: list[tuple[str, str, str, int]]
) -> None:
    """Any sequence of messages gets only readable replies, no error reaches the log, and every balance
    still equals the sum of its ledger."""
    unexpected = Translator()("errors.unexpected")
    caplog.set_level(logging.ERROR)
    for who, chat, text, minutes in script:
        for message in await bot.say(who, text, chat=chat):
            assert_readable(message.text)
            assert message.text != unexpected, text
        now = bot.clock.now()
        await bot.app.run_jobs_until(now, now + timedelta(minutes=minutes))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    async with bot.app.db.snapshot() as tx:
        assert await ledger.audit(tx, community_id=1) == []


def test_a_sign_that_folds_into_a_space_stays_one_word() -> None:
    """NFKC turns ¯ into a space and a combining mark; the command word still has no space (found by fuzzing)."""
    parsed = parse("¯", addressed=True)
    assert parsed is not None and " " not in parsed.word
