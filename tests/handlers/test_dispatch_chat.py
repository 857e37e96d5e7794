"""How the bot treats messages in general: chatter, unknown words, redeliveries, errors, permissions."""

from __future__ import annotations

import logging

import pytest

from bot.commands import Context, Registry, command
from bot.messages import Incoming, Reply
from bot.testing import Harness
from bot.transcript import PRIVATE
from handlers import MODULES


async def test_chatter_in_a_group_is_ignored(bot: Harness) -> None:
    """Ordinary talk and unknown words in a group get no reply at all."""
    assert await bot.say("张三", "大家早上好") == []
    assert await bot.say("张三", "签到了吗") == []
    assert await bot.say("张三", "🙂🙂🙂") == []


async def test_unknown_word_in_private_gets_suggestions(bot: Harness) -> None:
    """A mistyped command in a private chat gets "did you mean" and the way to see help."""
    reply = await bot.text("张三", "签道", chat=PRIVATE)
    assert "没有「签道」这个命令" in reply and "签到 [活动]" in reply and "帮助" in reply


async def test_unknown_word_addressed_in_group_gets_an_answer(bot: Harness) -> None:
    """An unknown word after @mentioning the bot is answered, because it was meant for the bot."""
    assert "没有「查水表」这个命令" in await bot.text("张三", "@积分助手 查水表")


async def test_redelivered_message_changes_nothing(bot: Harness) -> None:
    """The same message id delivered twice checks in once and is answered once."""
    first = await bot.say("张三", "签到", message_id="tg-42")
    again = await bot.say("张三", "签到", message_id="tg-42")
    assert "签到成功" in first[0].text
    assert again == []
    await bot.at("2026-11-03 10:00")
    await bot.say("张三", "签退", message_id="tg-43")
    assert await bot.say("张三", "签到", message_id="tg-42") == []
    assert "您现在没有在值班" in await bot.text("张三", "签退")


async def test_redelivered_refusal_stays_silent(bot: Harness) -> None:
    """A refused command delivered twice is answered once."""
    assert await bot.say("张三", "签退", message_id="x1")
    assert await bot.say("张三", "签退", message_id="x1") == []


async def test_reviewer_command_from_resident_is_refused(bot: Harness) -> None:
    """A resident typing a staff command is refused without seeing anything of what it would show."""
    await bot.text("李四", "签到")
    reply = await bot.text("张三", "待审核")
    assert reply == "这个命令只有工作人员可以用。"
    assert "这个命令只有工作人员可以用" in await bot.text("张三", "通过 1")


async def test_unbound_person_is_told_how_to_bind(bot: Harness) -> None:
    """Someone not bound yet gets one short reply on how to bind instead of silence."""
    assert "请发送「绑定 姓名 门牌号」" in await bot.text("陌生人", "签到")


async def test_help_shows_only_usable_commands(bot: Harness) -> None:
    """Help lists staff commands for staff only, each with its usage."""
    resident = await bot.text("张三", "帮助", chat=PRIVATE)
    reviewer = await bot.text("王主任", "help", chat=PRIVATE)
    assert "签到 [活动]" in resident and "待审核" not in resident
    assert "待审核" in reviewer and "确认绑定 编号" in reviewer
    assert "例如：通过 12" in await bot.text("王主任", "帮助 通过", chat=PRIVATE)


async def test_wrong_arguments_get_usage_and_example(bot: Harness) -> None:
    """A command with wrong arguments answers with its usage line and an example."""
    reply = await bot.text("王主任", "通过 张三")
    assert "「张三」不是一个编号" in reply and "用法：通过 编号" in reply and "例如：通过 12" in reply
    assert "用法：驳回 编号 原因" in await bot.text("王主任", "驳回")


async def test_long_text_is_cut_with_a_note(bot: Harness) -> None:
    """A very long message is read up to the limit and the reply says so."""
    reply = await bot.text("张三", "签到 " + "很长的活动名" * 200)
    assert "签到成功" in reply and "只看了前 500 个字" in reply


async def test_unexpected_error_is_logged_and_answered_politely(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in a handler is logged with its context; the chat sees one polite sentence and no traceback."""

    @command("boom", "爆炸")
    async def boom(msg: Incoming, ctx: Context) -> Reply:
        raise RuntimeError("secret internals")

    registry = Registry.from_modules(MODULES)
    registry.add(boom.__pointsbot_command__)  # type: ignore[attr-defined]
    harness = await Harness.start(database_url)
    harness.app.registry = registry
    await harness.app.open()
    try:
        with caplog.at_level(logging.ERROR):
            reply = await harness.text("张三", "爆炸")
        assert reply == "抱歉，机器人出了点问题，这条没有办成。请稍后再试，或者告诉工作人员。"
        assert "secret" not in reply
        assert "unexpected error handling message" in caplog.text and "secret internals" in caplog.text
    finally:
        await harness.close()


async def test_balance_asked_in_group_goes_private(bot: Harness) -> None:
    """我的积分 in a group is answered privately, with a short note in the group."""
    sent = await bot.say("张三", "我的积分")
    assert [(m.chat.id, m.chat.is_private) for m in sent] == [("张三", True), ("志愿者群", False)]
    assert "现有 0 分" in sent[0].text and "现有" not in sent[1].text


async def test_balance_in_group_when_private_chat_impossible(database_url: str) -> None:
    """Where the bot cannot write privately, the group reply mentions only the asker's own numbers."""
    from bot.adapters.memory import MemoryTransport

    bot = await Harness.start(database_url, transport=MemoryTransport("console", reachable=[]))
    try:
        sent = await bot.say("张三", "积分")
        assert len(sent) == 1 and sent[0].chat.id == "志愿者群"
        assert sent[0].mentions[0].id == "张三" and "张三 的积分" in sent[0].text
    finally:
        await bot.close()


async def test_nobody_reads_another_persons_balance(bot: Harness) -> None:
    """我的积分 with someone else's name still answers only about the asker."""
    reply = await bot.text("张三", "我的积分 李四", chat=PRIVATE)
    assert "张三 的积分" in reply and "李四" not in reply


async def test_community_can_keep_personal_answers_in_the_group(database_url: str) -> None:
    """With personal_answers = "group", 我的积分 asked in a group is answered there, naming only the asker."""
    from bot.testing import make_config

    bot = await Harness.start(database_url, make_config(community={"name": "测试社区", "personal_answers": "group"}))
    try:
        sent = await bot.say("张三", "我的积分")
        assert [(m.chat.id, m.mentions[0].id) for m in sent] == [("志愿者群", "张三")]
        assert "张三 的积分" in sent[0].text
    finally:
        await bot.close()
