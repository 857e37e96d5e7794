"""证明: a volunteer's service certificate 志愿服务证明, sent in the private chat as a picture.

Without a Chinese font on the machine the certificate comes as text, and the log says which font to install.
"""

from __future__ import annotations

import logging
from datetime import date

from bot import certificate as render
from bot.commands import Context, command
from bot.errors import DomainError, UsageError
from bot.fonts import INSTALL_HINT, find_cjk_font
from bot.messages import Image, Incoming, Reply
from bot.parse import fold
from bot.timeparse import TimeFormatError, parse_date
from store import reports, residents

log = logging.getLogger(__name__)


def date_range(args: tuple[str, ...], *, today: date) -> tuple[date, date]:
    """No dates: this year so far. One date: from it to today. Two: from the first to the second."""
    try:
        dates = [parse_date(fold(a), today=today) for a in args[:2]]
    except TimeFormatError as error:
        raise UsageError("errors.bad_time", value=error.value[:30]) from None
    first = dates[0] if dates else date(today.year, 1, 1)
    last = dates[1] if len(dates) > 1 else today
    if last < first:
        raise UsageError("certificate.bad_range")
    return first, last


@command("certificate", "证明", "志愿服务证明", "开证明", heavy=True)
async def certificate(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    if not msg.chat.is_private:
        raise DomainError("certificate.private_only")
    me = ctx.me()
    today = ctx.now.astimezone(ctx.rules.tz).date()
    first, last = date_range(ctx.args, today=today)
    cert = await reports.certificate(
        ctx.tx,
        community_id=ctx.community.id,
        community_key=ctx.community.config.community.community_key,
        organiser=ctx.community.name,
        resident=await residents.get(ctx.tx, me.resident_id),
        first=first,
        last=last,
        tz=ctx.rules.tz,
        issued_on=today,
    )
    summary = t(
        "certificate.sent", first=first, last=last, count=len(cert.lines), hours=render.hours(cert.total_minutes)
    )
    font = find_cjk_font()
    if font is None:
        log.warning("no CJK font for the certificate picture; sent as text (%s)", INSTALL_HINT)
        return Reply(render.as_text(cert, t))
    picture = Image(f"certificate-{first:%Y%m%d}-{last:%Y%m%d}.png", render.as_png(cert, t, font))
    return Reply(summary, image=picture)
