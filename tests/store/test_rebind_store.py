"""Moving a binding to a new account: proposed by name, decided by staff."""

from __future__ import annotations

from bot.testing import Harness
from store import binding, residents

WECHAT = "wechat"


async def _bind(bot: Harness, name: str, external_id: str, display_name: str) -> None:
    now = bot.clock.now()
    async with bot.app.db.transaction() as tx:
        community_id = next(iter(bot.app.communities)).id
        resident = await residents.find_by_name(tx, community_id=community_id, name=name)
        account = await residents.ensure_account(
            tx, platform=WECHAT, external_id=external_id, display_name=display_name, at=now
        )
        await residents.bind_account(tx, account_id=account, resident_id=resident.id, by=None, at=now)


async def _propose(bot: Harness, external_id: str, display_name: str) -> binding.Proposal | None:
    async with bot.app.db.transaction() as tx:
        return await binding.propose_rebind(
            tx,
            community_id=next(iter(bot.app.communities)).id,
            platform=WECHAT,
            external_id=external_id,
            display_name=display_name,
            at=bot.clock.now(),
        )


async def test_one_match_by_account_name_or_resident_name(bot: Harness) -> None:
    """A new account named like one bound resident's account, or like the resident, gets one proposal."""
    await _bind(bot, "张三", "old-zhang", "老张")
    by_account = await _propose(bot, "new-zhang", "老张")
    assert by_account is not None and (by_account.name, by_account.household, by_account.new) == (
        "张三",
        "1-1-101",
        True,
    )
    again = await _propose(bot, "new-zhang", "老张")
    assert again is not None and again.request_id == by_account.request_id and not again.new
    by_resident = await _propose(bot, "other-zhang", "张三")
    assert by_resident is not None and by_resident.request_id != by_account.request_id


async def test_namesakes_and_other_platforms_propose_nothing(bot: Harness) -> None:
    """Two bound residents with the name, or a resident bound only on another platform: no proposal."""
    await _bind(bot, "张三", "wx-1", "阿明")
    await _bind(bot, "李四", "wx-2", "阿明")
    assert await _propose(bot, "wx-3", "阿明") is None
    assert await _propose(bot, "wx-4", "王五") is None  # 王五 is bound on the console only
    assert await _propose(bot, "wx-5", "") is None


async def test_confirming_moves_the_binding(bot: Harness) -> None:
    """Confirming unbinds the old account and binds the new one, in one step."""
    await _bind(bot, "张三", "old-zhang", "张三")
    proposal = await _propose(bot, "new-zhang", "张三")
    assert proposal is not None
    async with bot.app.db.transaction() as tx:
        done = await binding.confirm(
            tx,
            community_id=next(iter(bot.app.communities)).id,
            request_id=proposal.request_id,
            by=1,
            at=bot.clock.now(),
        )
    assert done.replaced == "old-zhang" and not done.created_resident
    async with bot.app.db.snapshot() as tx:
        assert await residents.actor_for(tx, platform=WECHAT, external_id="old-zhang") is None
        actor = await residents.actor_for(tx, platform=WECHAT, external_id="new-zhang")
        assert actor is not None and actor.name == "张三"
