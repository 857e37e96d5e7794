"""The Telegram adapter at unit level: real updates through aiogram's dispatcher, calls recorded, no network."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot

from bot.adapters.telegram import LIMITS, PLATFORM, TelegramTransport, split_text
from bot.adapters.telegram_testing import (
    GROUP_ID,
    TOKEN,
    FakeTelegram,
    RecordingSession,
    Rig,
    make_rig,
    telegram_config,
)
from bot.config import ConfigError
from bot.messages import ChatKind, ChatRef, Image, Outgoing
from bot.ports import SendError
from store import groups, records


def _mentioned(params: dict[str, Any]) -> list[int]:
    return [e["user"]["id"] for e in params.get("entities", []) if e["type"] == "text_mention"]


def _buttons(params: dict[str, Any]) -> list[list[tuple[str, str]]]:
    rows = params.get("reply_markup", {}).get("inline_keyboard", [])
    return [[(b["text"], b["callback_data"]) for b in row] for row in rows]


async def _pending_record(rig: Rig) -> None:
    """张三 serves 09:00–10:30: record 1 waits for review."""
    rig.at("2026-11-03 09:00")
    await rig.say(rig.group, rig.volunteer, "签到 卫生整治")
    rig.at("2026-11-03 10:30")
    await rig.say(rig.group, rig.volunteer, "签退")


async def _status(rig: Rig, record_id: int) -> str:
    async with rig.app.db.snapshot() as tx:
        waiting, _ = await records.pending(tx, community_id=next(iter(rig.app.communities)).id, limit=10)
    return "pending" if any(r.id == record_id for r in waiting) else "decided"


async def test_check_in_and_out_in_a_group(rig: Rig) -> None:
    """签到 and 签退 in a Telegram group are answered there, mentioning the volunteer by user id."""
    await _pending_record(rig)
    first, second = rig.telegram.sent("sendMessage", GROUP_ID)
    assert "签到成功" in first["text"] and "90" in second["text"]
    assert _mentioned(first) == [1001]
    assert first["text"].startswith("@Zhang San ")


async def test_commands_addressed_to_another_bot_are_not_ours(rig: Rig) -> None:
    """`/checkin@PointsTestBot` is ours (the name comes from getMe); `/checkin@OtherBot` is ignored."""
    await rig.say(rig.group, rig.volunteer, "/checkin@OtherBot")
    assert rig.telegram.sent("sendMessage") == []
    await rig.say(rig.group, rig.volunteer, "/checkin@PointsTestBot 巡逻")
    assert "签到成功" in rig.telegram.texts(GROUP_ID)[-1]


async def test_identity_is_the_user_id_not_the_name(rig: Rig) -> None:
    """Someone who takes the volunteer's display name is still a stranger; a renamed volunteer is still them."""
    impostor = rig.telegram.user(4001, "Zhang San")
    await rig.say(rig.group, impostor, "我的积分")
    assert "您还没有绑定身份" in rig.telegram.texts(GROUP_ID)[-1]
    renamed = {**rig.volunteer, "first_name": "老张"}
    await rig.say(rig.group, renamed, "我的积分")
    assert "张三" in rig.telegram.texts(GROUP_ID)[-1]


async def test_a_redelivered_message_changes_nothing(rig: Rig) -> None:
    """The same update after a restart (same chat and message id) gets no second answer."""
    update = rig.telegram.say(rig.group, rig.volunteer, "签到", queue=False)
    await rig.feed(update)
    await rig.feed(update)
    assert len(rig.telegram.texts(GROUP_ID)) == 1


async def test_pending_records_come_with_buttons_and_one_tap_approves(rig: Rig) -> None:
    """A reviewer taps 通过: the record is approved, the tap is answered, the list shows who decided."""
    await _pending_record(rig)
    await rig.say(rig.group, rig.reviewer, "待审核")
    listing = rig.telegram.last(GROUP_ID)
    assert _buttons(listing) == [[("通过 1", "通过 1"), ("驳回 1", "ask:驳回 1")]]
    await rig.feed(rig.telegram.press(listing, rig.reviewer, "通过 1", queue=False))
    answer = rig.telegram.sent("answerCallbackQuery")[-1]
    assert "已通过第 1 条" in answer["text"] and not answer.get("show_alert")
    edited = rig.telegram.last(GROUP_ID)
    assert edited["message_id"] == listing["message_id"] and "reply_markup" not in edited
    assert edited["text"].endswith("（王主任）") and "✅ 已通过第 1 条" in edited["text"]
    assert await _status(rig, 1) == "decided"


async def test_a_redelivered_tap_changes_nothing(rig: Rig) -> None:
    """The same button press delivered twice approves once and edits once."""
    await _pending_record(rig)
    await rig.say(rig.group, rig.reviewer, "待审核")
    press = rig.telegram.press(rig.telegram.last(GROUP_ID), rig.reviewer, "通过 1", queue=False)
    await rig.feed(press)
    await rig.feed(press)
    assert len(rig.telegram.sent("editMessageText")) == 1
    assert len(rig.telegram.sent("answerCallbackQuery")) == 2  # the second one silently


async def test_a_tap_by_someone_not_allowed_is_refused_in_a_popup(rig: Rig) -> None:
    """A volunteer who taps 通过 sees why in a pop-up; the list stays as it was and the record waits."""
    await _pending_record(rig)
    await rig.say(rig.group, rig.reviewer, "待审核")
    listing = rig.telegram.last(GROUP_ID)
    sent_before = len(rig.telegram.sent("sendMessage"))
    await rig.feed(rig.telegram.press(listing, rig.volunteer, "通过 1", queue=False))
    answer = rig.telegram.sent("answerCallbackQuery")[-1]
    assert answer["show_alert"] is True and "只有工作人员" in answer["text"]
    assert rig.telegram.sent("editMessageText") == []
    assert len(rig.telegram.sent("sendMessage")) == sent_before
    assert await _status(rig, 1) == "pending"


async def test_reject_asks_for_the_reason_and_the_reply_completes_it(rig: Rig) -> None:
    """驳回 asks the reviewer (reply-to-this-message); their reply rejects with that reason; others' replies don't."""
    await _pending_record(rig)
    await rig.say(rig.group, rig.reviewer, "待审核")
    listing = rig.telegram.last(GROUP_ID)
    await rig.feed(rig.telegram.press(listing, rig.reviewer, "ask:驳回 1", queue=False))
    question = rig.telegram.last(GROUP_ID)
    params = rig.telegram.sent("sendMessage", GROUP_ID)[-1]
    assert "为什么驳回第 1 条" in question["text"] and _mentioned(params) == [2001]
    assert params["reply_markup"] == {"force_reply": True, "selective": True}
    assert await _status(rig, 1) == "pending"

    await rig.say(rig.group, rig.stranger, "我觉得可以", reply_to=question)
    assert await _status(rig, 1) == "pending"

    await rig.say(rig.group, rig.reviewer, "当天没有这个活动", reply_to=question)
    assert "已驳回第 1 条：张三 卫生整治。原因：当天没有这个活动" in rig.telegram.texts(GROUP_ID)[-1]
    edited = rig.telegram.messages[(GROUP_ID, listing["message_id"])]
    assert "reply_markup" not in edited and "✅ 已驳回第 1 条" in edited["text"]


async def test_buttons_of_other_records_stay_after_one_is_decided(rig: Rig) -> None:
    """Approving record 1 from a list of two removes only record 1's buttons."""
    await _pending_record(rig)
    rig.at("2026-11-03 11:00")
    await rig.say(rig.group, rig.volunteer, "签到")
    rig.at("2026-11-03 12:00")
    await rig.say(rig.group, rig.volunteer, "签退")
    await rig.say(rig.group, rig.reviewer, "待审核")
    listing = rig.telegram.last(GROUP_ID)
    await rig.feed(rig.telegram.press(listing, rig.reviewer, "通过 1", queue=False))
    assert _buttons(rig.telegram.last(GROUP_ID)) == [[("通过 2", "通过 2"), ("驳回 2", "ask:驳回 2")]]
    await rig.feed(rig.telegram.press(listing, rig.reviewer, "通过 2", queue=False))  # the client's stale copy
    edited = rig.telegram.last(GROUP_ID)
    assert edited["text"].count("✅") == 2 and "reply_markup" not in edited


async def test_balance_goes_privately_to_who_has_opened_a_private_chat(rig: Rig) -> None:
    """我的积分 in a group: privately plus a short note if the person started the bot, else a reply in the group."""
    await rig.say(rig.group, rig.volunteer, "我的积分")
    assert "张三 的积分：现有 0 分" in rig.telegram.texts(GROUP_ID)[-1]
    assert rig.telegram.texts(1001) == []
    await rig.open_private(rig.volunteer)
    await rig.say(rig.group, rig.volunteer, "我的积分")
    assert "张三" in rig.telegram.texts(1001)[-1]
    assert "已私信告诉您" in rig.telegram.texts(GROUP_ID)[-1]


async def test_private_chats_are_remembered_across_restarts(rig: Rig) -> None:
    """Who started the bot is kept in the database; blocking the bot is remembered too."""
    await rig.open_private(rig.volunteer)
    fresh = TelegramTransport(rig.bot, rig.clock)
    fresh.attach(rig.app.db)
    assert await fresh.can_reach_privately("1001") and not await fresh.can_reach_privately("2001")
    private = rig.telegram.private(rig.volunteer)
    await rig.feed(rig.telegram.membership(private, rig.volunteer, old="member", new="kicked", queue=False))
    again = TelegramTransport(rig.bot, rig.clock)
    again.attach(rig.app.db)
    assert not await again.can_reach_privately("1001")


async def test_start_shows_help(rig: Rig) -> None:
    """/start, Telegram's first words to a bot, is answered with the commands the person may use."""
    await rig.open_private(rig.stranger)
    reply = rig.telegram.texts(3001)[-1]
    assert "帮助" in reply and "绑定" in reply
    await rig.say(rig.group, rig.stranger, "/start@OtherBot")
    assert rig.telegram.texts(GROUP_ID) == []
    await rig.say(rig.group, rig.stranger, "/start@pointstestbot")
    assert "帮助" in rig.telegram.texts(GROUP_ID)[-1]


async def test_an_unregistered_group_answers_help_and_registration_only(database_url: str) -> None:
    """In a new group only help and 登记本群 work; after 登记本群 by an admin everything does."""
    rig = await make_rig(database_url, telegram_config(groups=[]))
    try:
        await rig.bind(rig.reviewer, "王主任")
        await rig.bind(rig.volunteer, "张三")
        await rig.say(rig.group, rig.volunteer, "签到")
        assert "本群还没有登记" in rig.telegram.texts(GROUP_ID)[-1]
        await rig.say(rig.group, rig.volunteer, "登记本群")
        assert "只有工作人员" in rig.telegram.texts(GROUP_ID)[-1]
        await rig.say(rig.group, rig.reviewer, "登记本群")
        assert "本群已登记到测试社区" in rig.telegram.texts(GROUP_ID)[-1]
        await rig.say(rig.group, rig.volunteer, "签到")
        assert "签到成功" in rig.telegram.texts(GROUP_ID)[-1]
        await rig.say(rig.group, rig.stranger, "签到")
        assert "您还没有绑定身份。请发送「绑定 姓名 门牌号」" in rig.telegram.texts(GROUP_ID)[-1]
    finally:
        await rig.app.close()


async def test_added_to_a_group_the_bot_says_how_to_start(database_url: str) -> None:
    """Added to a group that is not registered, the bot greets and says how to register (and about privacy)."""
    rig = await make_rig(database_url, telegram_config(groups=[]), FakeTelegram(privacy=True))
    try:
        await rig.feed(rig.telegram.membership(rig.group, rig.reviewer, old="left", new="member", queue=False))
        greeting = rig.telegram.texts(GROUP_ID)[-1]
        assert "登记本群" in greeting and "设为本群管理员" in greeting
    finally:
        await rig.app.close()


async def test_removed_from_a_group_it_goes_inactive_and_staff_are_told(rig: Rig) -> None:
    """When the bot is removed, the group stops being used and the admins hear of it, once."""
    await rig.open_private(rig.reviewer)
    kicked = rig.telegram.membership(rig.group, rig.reviewer, old="member", new="kicked", queue=False)
    await rig.feed(kicked)
    await rig.feed(kicked)
    async with rig.app.db.snapshot() as tx:
        group = await groups.for_chat(tx, platform=PLATFORM, external_id=str(GROUP_ID))
    assert group is not None and not group.active
    told = [text for text in rig.telegram.texts(2001) if "不在群「志愿者群」里了" in text]
    assert len(told) == 1


async def test_a_403_on_a_direct_reply_marks_the_group_inactive(rig: Rig) -> None:
    """A reply refused with 403 (the bot was removed meanwhile) pauses the group and tells staff, no crash."""
    await rig.open_private(rig.reviewer)
    rig.telegram.fail("sendMessage", 403, "Forbidden: bot was kicked from the group chat", chat_id=GROUP_ID)
    await rig.say(rig.group, rig.volunteer, "签到")
    async with rig.app.db.snapshot() as tx:
        group = await groups.for_chat(tx, platform=PLATFORM, external_id=str(GROUP_ID))
    assert group is not None and not group.active
    assert any("不在群「志愿者群」里了" in text for text in rig.telegram.texts(2001))


async def test_send_errors_map_onto_the_core(rig: Rig) -> None:
    """429 carries retry_after; 403 and 'chat not found' mean the chat is gone; other 400s just fail."""
    chat = ChatRef(PLATFORM, str(GROUP_ID), ChatKind.GROUP, "志愿者群")
    cases = [
        (429, "Too Many Requests: retry after 7", {"retry_after": 7}, (7.0, False)),
        (403, "Forbidden: bot was kicked from the group chat", {}, (None, True)),
        (400, "Bad Request: chat not found", {}, (None, True)),
        (400, "Bad Request: message is too long", {}, (None, False)),
    ]
    for status, description, parameters, (retry_after, gone) in cases:
        rig.telegram.fail("sendMessage", status, description, **parameters)
        with pytest.raises(SendError) as raised:
            await rig.transport.send(Outgoing(chat, "你好"))
        assert (raised.value.retry_after, raised.value.chat_gone) == (retry_after, gone)
        assert TOKEN.partition(":")[2] not in raised.value.reason


async def test_a_429_reply_is_sent_again_after_retry_after(rig: Rig) -> None:
    """Flood control on a reply: the Sender waits retry_after and sends it again."""
    rig.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", chat_id=GROUP_ID, retry_after=1)
    await rig.say(rig.group, rig.volunteer, "签到")
    assert "签到成功" in rig.telegram.texts(GROUP_ID)[-1]
    assert len(rig.telegram.texts(GROUP_ID)) == 2  # the refused call, then the one that went through


async def test_a_group_that_becomes_a_supergroup_keeps_its_registration(rig: Rig) -> None:
    """migrate_to_chat_id moves the group to its new id; duty goes on there, and old-id sends follow it."""
    await rig.feed(rig.telegram.push("message", {**_service(rig), "migrate_to_chat_id": -1009}, queue=False))
    supergroup = rig.telegram.group(-1009, "志愿者群", kind="supergroup")
    await rig.say(supergroup, rig.volunteer, "签到")
    assert "签到成功" in rig.telegram.texts(-1009)[-1]
    rig.telegram.chats[GROUP_ID]["migrated_to"] = -1009
    await rig.transport.send(Outgoing(ChatRef(PLATFORM, str(GROUP_ID), ChatKind.GROUP, "志愿者群"), "通知"))
    assert rig.telegram.texts(-1009)[-1] == "通知"


def _service(rig: Rig) -> dict[str, Any]:
    return {"message_id": 99, "date": int(rig.clock.now().timestamp()), "chat": rig.group, "from": rig.reviewer}


async def test_a_picture_follows_its_text_as_a_photo(rig: Rig) -> None:
    """An outgoing image (the monthly notice table) is sent with sendPhoto right after the text."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    chat = ChatRef(PLATFORM, str(GROUP_ID), ChatKind.GROUP, "志愿者群")
    await rig.transport.send(Outgoing(chat, "本月公示", image=Image("notice.png", png)))
    assert [c.method for c in rig.telegram.calls][-2:] == ["sendMessage", "sendPhoto"]
    (name, data), *_ = rig.telegram.calls[-1].files.values()
    assert (name, data) == ("notice.png", png)


def test_long_texts_are_cut_at_line_ends() -> None:
    """A text longer than Telegram allows goes out as several messages, cut between lines."""
    text = "\n".join(f"{n:04d} " + "字" * 40 for n in range(300))
    chunks = split_text(text)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == text


def test_limits_follow_telegram() -> None:
    """At most 20 messages a minute to one group and 25 a second overall."""
    assert 60 / LIMITS.per_chat_interval / LIMITS.per_chat_burst <= 20
    assert 1 / LIMITS.overall_interval <= 25


async def test_the_command_menu_is_set_in_both_languages(rig: Rig) -> None:
    """setMyCommands gets the registry's commands with the catalogue's summaries, in Chinese and English."""
    await rig.adapter.set_commands()
    calls = rig.telegram.sent("setMyCommands")
    by_language = {(c.get("language_code"), c["scope"]["type"]): c["commands"] for c in calls}
    everyone = {c["command"]: c["description"] for c in by_language[("zh", "default")]}
    assert everyone["checkin"] == "开始值班，记录开始时间" and "approve" not in everyone
    admins = {c["command"] for c in by_language[("en", "all_chat_administrators")]}
    assert {"approve", "pending", "register"} <= admins
    assert by_language[(None, "default")] == by_language[("zh", "default")]
    assert {c["description"] for c in by_language[("en", "default")]} >= {"start a duty session"}


async def test_anonymous_admins_are_asked_to_speak_as_themselves(rig: Rig) -> None:
    """A command sent as the group itself (anonymous admin) cannot be tied to anyone: the bot says so."""
    message = {**_service(rig), "text": "登记本群", "sender_chat": rig.group}
    await rig.feed(rig.telegram.push("message", message, queue=False))
    assert "匿名" in rig.telegram.texts(GROUP_ID)[-1]


async def test_people_who_never_opened_a_private_chat_are_not_reported(rig: Rig) -> None:
    """A notice to a volunteer who never started the bot fails (403) quietly: admins are not told each time."""
    await rig.open_private(rig.reviewer)
    await _pending_record(rig)
    rig.telegram.fail("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user", chat_id=1001)
    await rig.say(rig.group, rig.reviewer, "通过 1")
    await rig.app.sender.deliver_due()  # what a report would have queued
    assert rig.telegram.sent("sendMessage", 1001)  # the notice was tried
    assert not any("可能没有发出去" in text for text in rig.telegram.texts(2001))
    assert not await rig.transport.can_reach_privately("1001")


async def test_a_refused_token_stops_the_start_with_a_clear_message(rig: Rig) -> None:
    """A token Telegram does not know (401 on getMe) stops the bot at start, naming the setting to check."""
    rig.telegram.fail("getMe", 401, "Unauthorized")
    fresh = TelegramTransport(Bot(TOKEN, session=RecordingSession(rig.telegram)), rig.clock)
    with pytest.raises(ConfigError, match=r"Telegram refused the bot token .* POINTSBOT_TELEGRAM__TOKEN"):
        await fresh.identify()
