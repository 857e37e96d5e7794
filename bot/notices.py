"""Notices: what the monthly cycle posts, composed once and used by the schedule and by staff commands alike.

Each `post_*` function takes the caller's transaction and queues messages in the outbox with a dedupe key
per (kind, occurrence, group or person), so that whoever calls it twice — a second process, a restart, a
staff member pressing 公示 发布 after the schedule did — posts nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot import picture
from bot.calendar import is_exchange_day
from bot.commands import Community
from bot.config import WEEKDAYS
from bot.cycle import (
    Standing,
    Tally,
    by_household,
    days_later,
    mask_name,
    month_of,
    next_on_days,
    rank,
    year_span,
)
from bot.i18n import Translator
from bot.messages import ChatKind, ChatRef, Image, Outgoing
from bot.roles import Role
from bot.rules import Period
from store import groups, objections, outbox, periods, records, residents, schedule, shop, tallies
from store.db import Tx
from store.periods import PeriodState
from store.tallies import ResidentPoints

PICTURE_ROWS = 200  # a picture longer than this is no longer read; the rest is in the export


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    image: Image | None = None


@dataclass(frozen=True, slots=True)
class Household:
    """One line of a notice: a household (or a resident without one) and its members' points."""

    key: str  # the household label, or "#<resident id>" for a resident without a household
    label: str
    members: tuple[tuple[str, int], ...]
    points: int
    minutes: int

    @property
    def tally(self) -> Tally:
        return Tally(self.key, self.label, tuple(name for name, _ in self.members), self.points)


def hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".removesuffix(".0")


def households_of(people: Iterable[ResidentPoints], *, mask: bool) -> list[Household]:
    """People grouped by household, in door-number order; names masked when the community says so."""
    grouped: dict[str, list[ResidentPoints]] = {}
    for person in people:
        grouped.setdefault(person.household or f"#{person.resident_id}", []).append(person)
    lines: dict[str, Household] = {}
    for key, members in grouped.items():
        members.sort(key=lambda p: p.resident_id)
        shown = tuple((mask_name(p.name) if mask else p.name, p.points) for p in members)
        points, minutes = sum(p.points for p in members), sum(p.minutes for p in members)
        lines[key] = Household(key, members[0].household, shown, points, minutes)
    return [lines[tally.key] for tally in by_household(line.tally for line in lines.values())]


def _span(t: Translator, period: Period) -> str:
    return f"{t.short_date(period.start)}–{t.short_date(period.last_day)}"


def _members(t: Translator, line: Household) -> str:
    return t("notices.members_separator").join(t("notices.member", name=n, points=p) for n, p in line.members)


async def _render(table: picture.Table, name: str, enabled: bool) -> Image | None:
    # Drawing takes a moment of CPU: keep it off the event loop, where other chats are being answered.
    return await asyncio.to_thread(picture.render, table, name) if enabled else None


# --- monthly notice -------------------------------------------------------------------------------------------


async def monthly_notice(tx: Tx, community: Community, period: Period, *, objections_until: datetime) -> Notice:
    """The notice of one period as it stands: per household and per person, totals, how and until when to object."""
    t = community.t
    settings = community.config.schedule.notice
    people = await tallies.points_by_resident(tx, community_id=community.id, labels=[period.label])
    lines = households_of(people, mask=settings.mask_names)
    year, month = int(period.label[:4]), month_of(period.label)
    total_points = sum(line.points for line in lines)
    total_minutes = sum(line.minutes for line in lines)
    title = t("notices.monthly.title", community=community.name, year=year, month=month)
    if lines:
        summary = t(
            "notices.monthly.summary",
            span=_span(t, period),
            households=len(lines),
            people=len(people),
            points=total_points,
            hours=hours(total_minutes),
        )
    else:
        summary = t("notices.monthly.empty", span=_span(t, period))
    how = t("notices.monthly.how_to_object", until=objections_until)
    text = [title, summary]
    for line in lines[: settings.rows]:
        text.append(
            t("notices.monthly.line", household=line.label or "—", members=_members(t, line), points=line.points)
        )
    if len(lines) > settings.rows:
        text.append(t("notices.more", more=len(lines) - settings.rows))
    text.append(how)
    table = picture.Table(
        title=title,
        subtitle=summary,
        headers=tuple(t("notices.monthly.columns").split("|")),
        rows=[
            (line.label or "—", _members(t, line), str(line.points), hours(line.minutes))
            for line in lines[:PICTURE_ROWS]
        ],
        footer=(t("notices.more", more=len(lines) - PICTURE_ROWS) + "\n" if len(lines) > PICTURE_ROWS else "") + how,
        right=frozenset({2, 3}),
    )
    image = await _render(table, f"notice-{period.label}.png", settings.picture and bool(lines))
    return Notice("\n".join(text), image)


async def to_notice_groups(tx: Tx, community: Community, notice: Notice, *, kind: str, key: str, at: datetime) -> int:
    """Queue a notice to every active notice group, once per group and key; returns how many were queued now."""
    queued = 0
    for group in await groups.of_community(tx, community_id=community.id, notice=True):
        message = Outgoing(ChatRef(group.platform, group.external_id, ChatKind.GROUP, group.name), notice.text)
        if notice.image is not None:
            message = Outgoing(message.chat, message.text, image=notice.image)
        if await outbox.enqueue(
            tx, community_id=community.id, message=message, kind=kind, at=at, dedupe_key=f"{key}:{group.id}"
        ):
            queued += 1
    return queued


def next_notice(community: Community, after: datetime) -> datetime:
    """The first moment at or after `after` that the schedule posts a monthly notice."""
    day = community.config.notice_day
    moment = next_on_days(after, community.config.schedule.notice.time, community.rules.tz, lambda d: d.day == day)
    assert moment is not None  # every month has its notice day
    return moment


def window_end(community: Community, start: datetime) -> datetime:
    """When an objection window opened at `start` ends: at the notice's time of day, at least the configured
    number of days later (a notice posted late, at 20:00, is open until 09:00 after the last full day)."""
    notice, tz = community.config.schedule.notice, community.rules.tz
    moment = next_on_days(days_later(start, notice.objection_days, tz), notice.time, tz, lambda _: True)
    assert moment is not None
    return moment


@dataclass(frozen=True, slots=True)
class Published:
    state: PeriodState
    first_time: bool  # False: it had been published before (this call only reached groups that missed it)
    queued: int  # groups the notice was queued for by this call
    groups: int  # notice groups the community has


async def post_monthly_notice(
    tx: Tx, community: Community, period: Period, *, now: datetime, by: int | None = None
) -> Published:
    """Publish a period: open its objection window (once) and post its notice to every notice group that
    has not had it."""
    first = await periods.publish(
        tx, community_id=community.id, label=period.label, at=now, objections_until=window_end(community, now), by=by
    )
    state = await periods.get(tx, community_id=community.id, label=period.label)
    assert state is not None
    notice = await monthly_notice(tx, community, period, objections_until=state.objections_until)
    queued = await to_notice_groups(tx, community, notice, kind="monthly_notice", key=f"monthly:{period.label}", at=now)
    count = len(await groups.of_community(tx, community_id=community.id, notice=True))
    if first and count == 0:
        await outbox.to_role(
            tx,
            community_id=community.id,
            role=Role.ADMIN,
            kind="staff_report",
            at=now,
            text=community.t("notices.no_notice_group", month=month_of(period.label)),
        )
    return Published(state, first, queued, count)


# --- closing a period -----------------------------------------------------------------------------------------


async def final_notice(tx: Tx, community: Community, period: Period, state: PeriodState) -> Notice:
    t = community.t
    people = await tallies.points_by_resident(tx, community_id=community.id, labels=[period.label])
    households = {p.household or f"#{p.resident_id}" for p in people}
    heard = (
        t("notices.final.objections", count=state.objections) if state.objections else t("notices.final.no_objections")
    )
    return Notice(
        t(
            "notices.final.text",
            month=month_of(period.label),
            heard=heard,
            span=_span(t, period),
            households=len(households),
            people=len(people),
            points=sum(p.points for p in people),
        )
    )


async def close_due_periods(tx: Tx, community: Community, *, now: datetime, by: str = "") -> list[str]:
    """Close every period whose objection window is over and has no open objection; post the final notice.
    A window that ended with objections still open is told to reviewers, once. Returns the closed labels."""
    closed: list[str] = []
    for state in await periods.open_ones(tx, community_id=community.id):
        if state.objections_until > now:
            continue
        period = community.rules.period(state.label)
        if await periods.close(tx, community_id=community.id, label=state.label, now=now):
            final = await periods.get(tx, community_id=community.id, label=state.label)
            assert final is not None
            notice = await final_notice(tx, community, period, final)
            await to_notice_groups(tx, community, notice, kind="final_notice", key=f"final:{state.label}", at=now)
            closed.append(state.label)
        elif await schedule.claim(
            tx,
            community_id=community.id,
            job="objections_pending",
            occurrence=state.label,
            due_at=state.objections_until,
            now=now,
            outcome=schedule.Outcome.DONE,
            by=by,
        ):
            await outbox.to_role(
                tx,
                community_id=community.id,
                role=Role.REVIEWER,
                kind="staff_report",
                at=now,
                text=community.t(
                    "notices.objections_pending", month=month_of(state.label), count=state.open_objections
                ),
            )
    return closed


# --- annual ranking -------------------------------------------------------------------------------------------


async def standings(tx: Tx, community: Community, year: int, *, mask: bool) -> list[Standing]:
    """Households ranked by the year's points; residents who opted out of rankings are left out entirely."""
    labels = [f"{year:04d}-{month:02d}" for month in range(1, 13)]
    people = await tallies.points_by_resident(tx, community_id=community.id, labels=labels)
    lines = households_of((p for p in people if not p.rank_opt_out), mask=mask)
    return rank((line.tally for line in lines), community.config.schedule.ranking.stars)


def stars_text(count: int) -> str:
    return "★" * count if count else "—"


async def annual_ranking(tx: Tx, community: Community, year: int) -> Notice:
    t = community.t
    settings = community.config.schedule.ranking
    ranked = await standings(tx, community, year, mask=community.config.schedule.notice.mask_names)
    first, end = year_span(year, community.rules)
    title = t("notices.ranking.title", community=community.name, year=year)
    span = t("notices.ranking.span", year=year, start=t.date(first), end=t.date(end - timedelta(days=1)))
    if ranked:
        levels = t("notices.members_separator").join(
            t("notices.ranking.level", stars=stars_text(level), count=sum(1 for s in ranked if s.stars == level))
            for level in range(len(settings.stars), 0, -1)
        )
        summary = t("notices.ranking.summary", span=span, households=len(ranked), levels=levels)
    else:
        summary = t("notices.ranking.empty", span=span)
    text = [title, summary]
    for standing in ranked[: settings.rows]:
        text.append(
            t(
                "notices.ranking.line",
                rank=standing.rank,
                household=standing.tally.label or "—",
                names=t("notices.members_separator").join(standing.tally.names),
                points=standing.tally.points,
                stars=stars_text(standing.stars),
            )
        )
    if len(ranked) > settings.rows:
        text.append(t("notices.more", more=len(ranked) - settings.rows))
    text.append(t("notices.ranking.opt_out"))
    table = picture.Table(
        title=title,
        subtitle=summary,
        headers=tuple(t("notices.ranking.columns").split("|")),
        rows=[
            (
                str(s.rank),
                s.tally.label or "—",
                t("notices.members_separator").join(s.tally.names),
                str(s.tally.points),
                stars_text(s.stars),
            )
            for s in ranked[:PICTURE_ROWS]
        ],
        footer=t("notices.ranking.opt_out"),
        right=frozenset({0, 3}),
    )
    image = await _render(table, f"ranking-{year}.png", community.config.schedule.notice.picture and bool(ranked))
    return Notice("\n".join(text), image)


async def post_annual_ranking(tx: Tx, community: Community, year: int, *, now: datetime) -> int:
    notice = await annual_ranking(tx, community, year)
    return await to_notice_groups(tx, community, notice, kind="annual_ranking", key=f"ranking:{year}", at=now)


# --- exchange days, reminders, the weekly summary --------------------------------------------------------------


def weekday(t: Translator, day: date) -> str:
    return t(f"notices.weekday.{WEEKDAYS[day.weekday()]}")


CATALOGUE_ITEMS = 12  # products named in an announcement; the rest are counted


def catalogue_text(t: Translator, items: Sequence[shop.Product]) -> str:
    """What the supermarket offers, as one line for an announcement: names and prices, not stock."""
    if not items:
        return ""
    shown = "、".join(
        t("notices.exchange.item", name=i.name, price=i.price, unit=i.unit) for i in items[:CATALOGUE_ITEMS]
    )
    more = t("notices.exchange.more_items", count=len(items) - CATALOGUE_ITEMS) if len(items) > CATALOGUE_ITEMS else ""
    return t("notices.exchange.catalogue", items=shown + more)


def exchange_notice(community: Community, day: date, *, today: date, items: Sequence[shop.Product] = ()) -> Notice:
    t = community.t
    exchange = community.config.exchange
    where = ""
    if exchange.place and exchange.hours:
        where = t("notices.exchange.place_hours", place=exchange.place, hours=exchange.hours)
    elif exchange.place or exchange.hours:
        where = t("notices.exchange.place_or_hours", text=exchange.place or exchange.hours)
    key = "notices.exchange.today" if day == today else "notices.exchange.ahead"
    text = t(key, date=t.short_date(day), weekday=weekday(t, day), where=where).strip()
    catalogue = catalogue_text(t, items)
    return Notice(f"{text}\n{catalogue}" if catalogue else text)


async def post_exchange_notice(tx: Tx, community: Community, day: date, *, today: date, now: datetime) -> int:
    """Announce an exchange day: ahead of it, and on the morning itself."""
    if not is_exchange_day(community.config.exchange, day):
        return 0
    which = "day" if day == today else "ahead"
    items = await shop.catalogue(tx, community_id=community.id)
    notice = exchange_notice(community, day, today=today, items=items)
    return await to_notice_groups(
        tx, community, notice, kind="exchange_notice", key=f"exchange:{day.isoformat()}:{which}", at=now
    )


async def post_reminder(tx: Tx, community: Community, index: int, day: date, *, now: datetime) -> int:
    reminder = community.config.schedule.reminders[index]
    wanted = set(reminder.groups)
    queued = 0
    for group in await groups.of_community(tx, community_id=community.id):
        if (group.name not in wanted) if wanted else not group.duty:
            continue
        message = Outgoing(ChatRef(group.platform, group.external_id, ChatKind.GROUP, group.name), reminder.text)
        key = f"reminder:{index}:{day.isoformat()}:{group.id}"
        if await outbox.enqueue(
            tx, community_id=community.id, message=message, kind="reminder", at=now, dedupe_key=key
        ):
            queued += 1
    return queued


async def staff_ids(tx: Tx, community: Community) -> list[int]:
    """Admins and reviewers, each once."""
    found: list[int] = []
    for role in (Role.ADMIN, Role.REVIEWER):
        for resident_id in await residents.with_role(tx, community_id=community.id, role=role):
            if resident_id not in found:
                found.append(resident_id)
    return found


async def weekly_summary(tx: Tx, community: Community, start: datetime, end: datetime) -> str:
    t = community.t
    week = await tallies.service_between(tx, community_id=community.id, start=start, end=end)
    waiting, total = await records.pending(tx, community_id=community.id, limit=1)
    lines = [
        t("notices.weekly.title", start=t.short_date(start), end=t.short_date(end - timedelta(days=1))),
        t("notices.weekly.service", people=week.people, sessions=week.sessions, hours=hours(week.minutes))
        if week.sessions
        else t("notices.weekly.no_service"),
        t("notices.weekly.pending", count=total, oldest=t.short_date(waiting[0].started_at))
        if total
        else t("notices.weekly.no_pending"),
    ]
    open_objections = await objections.count_open(tx, community_id=community.id)
    if open_objections:
        lines.append(t("notices.weekly.objections", count=open_objections))
    return "\n".join(lines)


async def post_weekly_summary(tx: Tx, community: Community, start: datetime, end: datetime, *, now: datetime) -> int:
    text = await weekly_summary(tx, community, start, end)
    queued = 0
    for resident_id in await staff_ids(tx, community):
        queued += await outbox.to_resident(
            tx,
            community_id=community.id,
            resident_id=resident_id,
            text=text,
            kind="weekly_summary",
            at=now,
            dedupe_key=f"weekly:{community.id}:{start.date().isoformat()}:{resident_id}",
        )
    return queued


async def report_missed(tx: Tx, community: Community, lines: Sequence[str], *, now: datetime) -> None:
    """Tell admins, once, what the schedule did not do while the bot was away and will not do late."""
    if lines:
        text = "\n".join([community.t("schedule.missed_title"), *lines])
        await outbox.to_role(tx, community_id=community.id, role=Role.ADMIN, text=text, kind="staff_report", at=now)
