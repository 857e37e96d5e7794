"""不参与排名 / 参与排名: a resident decides whether their name appears in rankings. Points count either way."""

from __future__ import annotations

from bot.commands import Context, command
from bot.messages import Incoming, Reply
from store import residents


@command("rank_opt_out", "不参与排名", "不排名", "rank-off")
async def rank_opt_out(msg: Incoming, ctx: Context) -> Reply:
    await residents.set_rank_opt_out(ctx.tx, resident_id=ctx.me().resident_id, opt_out=True)
    return Reply(ctx.t("privacy.opted_out"))


@command("rank_opt_in", "参与排名", "rank-on")
async def rank_opt_in(msg: Incoming, ctx: Context) -> Reply:
    await residents.set_rank_opt_out(ctx.tx, resident_id=ctx.me().resident_id, opt_out=False)
    return Reply(ctx.t("privacy.opted_in"))
