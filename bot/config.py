"""Configuration: the environment (`POINTSBOT_…`) for the installation, `community.toml` for each community.

Both are loaded once at start, validated with messages that name the file, the key and what is expected,
and passed down. Nothing reads configuration anywhere else.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import date, datetime, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from bot.i18n import LANGUAGES
from bot.roles import STAFF_ROLES, Role


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


NonEmpty = Annotated[str, Field(min_length=1, max_length=60)]


def _time_of_day(value: object) -> object:
    """ "09:00" (or a TOML local time) in the community's time zone; a date-time or a zone is refused."""
    expected = 'a time of day like "09:00" (24-hour clock), read in the [community] timezone'
    if isinstance(value, datetime):
        zone = "" if value.tzinfo else " (and a date-time without a zone could mean any moment)"
        raise ValueError(f"{expected}, not a date-time{zone}")
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"{expected}, without an offset")
        return value.replace(second=0, microsecond=0)
    hours, sep, minutes = value.strip().partition(":") if isinstance(value, str) else ("", "", "")
    if sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60:
        return time(int(hours), int(minutes))
    raise ValueError(expected)


def _plain_date(value: object) -> object:
    if isinstance(value, datetime):
        zone = "" if value.tzinfo else "; a date-time without a zone could mean any moment"
        raise ValueError(f"a date like 2026-12-20, without a time of day (that has its own key){zone}")
    return value


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
PlainDate = Annotated[date, BeforeValidator(_plain_date)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class CommunitySection(_Strict):
    name: NonEmpty
    key: str = Field(default="", max_length=60, description="stable id; defaults to the name")
    timezone: str = "Asia/Shanghai"
    bot_name: NonEmpty = "积分助手"
    language: Literal["zh_CN", "en"] = "zh_CN"
    # Where 我的积分 / 明细 / 排名 asked in a group are answered: "private" (privately where the platform can,
    # otherwise in the group) or "group" (in the group; the answer names only the asker's own numbers).
    personal_answers: Literal["private", "group"] = "private"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone such as Asia/Shanghai, not {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def community_key(self) -> str:
        return self.key or self.name


class PointsSection(_Strict):
    minutes_per_point: int = Field(default=30, ge=1, le=24 * 60)
    min_minutes: int = Field(default=30, ge=0, le=24 * 60)
    max_session_hours: int = Field(default=8, ge=1, le=72)
    auto_approve: bool = False
    period_start_day: int = Field(default=26, ge=1, le=28)


class GroupSection(_Strict):
    name: NonEmpty
    platform: str = "console"
    chat_id: str = Field(default="", description="the platform's chat id; on the console, the group's name")
    duty: bool = True
    notice: bool = True

    @property
    def external_id(self) -> str:
        return self.chat_id or self.name


class PersonSection(_Strict):
    name: NonEmpty
    household: str = Field(default="", max_length=60)


class StaffSection(PersonSection):
    roles: list[Role] = Field(min_length=1)

    @field_validator("roles")
    @classmethod
    def _staff_roles(cls, roles: list[Role]) -> list[Role]:
        for role in roles:
            if role not in STAFF_ROLES:
                raise ValueError(f"staff roles are {', '.join(sorted(STAFF_ROLES))}; {role.value!r} is implied")
        return roles


class ExchangeSection(_Strict):
    """Exchange days 兑换日 of the points supermarket: by default quarterly (每季一兑换)."""

    months: list[Annotated[int, Field(ge=1, le=12)]] = [3, 6, 9, 12]
    day: int = Field(default=28, ge=1, le=28, description="day of those months")
    dates: list[PlainDate] = Field(default_factory=list, description="extra exchange days, e.g. 2026-12-20")
    place: str = Field(default="", max_length=60)
    hours: str = Field(default="", max_length=40, description="opening hours as people read them, 09:00–11:30")
    announce_days_before: int = Field(default=3, ge=0, le=30)
    announce_time: TimeOfDay = Field(default=time(8, 30), description="when announcements go out, local time")


def _day_in_every_month(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 28:
        raise ValueError(
            f"a day of the month from 1 to 28, so that every month has it (February has no day {value})"
            if value > 28
            else "a day of the month from 1 to 28"
        )
    return value


class NoticeSchedule(_Strict):
    """The monthly notice 月度公示 and its objection window."""

    day: int | None = Field(default=None, description="day of the month; default: [points] period_start_day")
    time: TimeOfDay = time(9, 0)
    objection_days: int = Field(default=3, ge=1, le=14)
    mask_names: bool = True
    picture: bool = True
    rows: int = Field(default=30, ge=5, le=200, description="households listed in the text (the picture lists more)")

    _day = field_validator("day")(_day_in_every_month)


class WeeklySchedule(_Strict):
    """The weekly summary 每周测评 to staff."""

    enabled: bool = True
    day: Weekday = "mon"
    time: TimeOfDay = time(8, 30)


def _month_day(value: object) -> object:
    expected = 'a day of the year like "12-31" (month-day) that every year has'
    if not isinstance(value, str):
        raise ValueError(expected)
    month, sep, day = value.strip().partition("-")
    if not (sep and month.isdigit() and day.isdigit()):
        raise ValueError(expected)
    try:
        date(2025, int(month), int(day))  # 2025 is not a leap year: 02-29 is refused on purpose
    except ValueError:
        raise ValueError(f"{expected}; {value!r} does not exist every year") from None
    return f"{int(month):02d}-{int(day):02d}"


class RankingSchedule(_Strict):
    """The annual ranking 年度公示 of star households 星级文明户."""

    enabled: bool = True
    date: Annotated[str, BeforeValidator(_month_day)] = "12-31"
    time: TimeOfDay = time(10, 0)
    stars: list[Annotated[int, Field(ge=1)]] = Field(default=[20, 50, 100, 200, 300], min_length=1, max_length=5)
    rows: int = Field(default=30, ge=5, le=200)

    @field_validator("stars")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in pairwise(value)):
            raise ValueError("points for one star, two stars, … in increasing order, e.g. [20, 50, 100, 200, 300]")
        return value

    @property
    def month_day(self) -> tuple[int, int]:
        month, day = self.date.split("-")
        return int(month), int(day)


class Reminder(_Strict):
    """A text posted on a schedule, e.g. the duty reminder the team leader used to send by hand."""

    time: TimeOfDay
    text: str = Field(min_length=1, max_length=500)
    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], min_length=1)
    groups: list[str] = Field(default_factory=list, description="group names from [[groups]]; empty: duty groups")


class ScheduleSection(_Strict):
    catch_up_days: int = Field(
        default=2, ge=0, le=30, description="a notice missed while the bot was down is still sent this late"
    )
    notice: NoticeSchedule = NoticeSchedule()
    weekly: WeeklySchedule = WeeklySchedule()
    ranking: RankingSchedule = RankingSchedule()
    reminders: list[Reminder] = []


Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$", description="letters, digits, - _ .")]
Cap = Annotated[int | None, Field(default=None, ge=1, le=100_000)]


class HouseholdsSection(_Strict):
    """Households 户: whether members spend from one shared pool (the seeds' default) or each their own."""

    pool: Literal["shared", "own"] = "shared"


class RuleCategory(_Strict):
    """A category of rule items; its caps limit the points of all its items together, per person."""

    name: NonEmpty
    cap_per_period: Cap = None
    cap_per_year: Cap = None


class RuleItem(_Strict):
    """A bonus (points > 0) or deduction (points < 0) item 加分项 / 扣分项 with a fixed value."""

    code: Code
    name: NonEmpty
    points: int = Field(ge=-10_000, le=10_000)
    category: str = Field(default="", max_length=60)
    cap_per_period: Cap = None
    cap_per_year: Cap = None
    until_zero: bool = Field(default=True, description="a deduction stops at zero 扣完为止 instead of refusing")

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a rule item moves points: positive for a bonus, negative for a deduction")
        return value

    @property
    def is_bonus(self) -> bool:
        return self.points > 0


class RulesSection(_Strict):
    """The catalogue of rule items: inline in the file, and/or from a CSV or XLSX file beside it."""

    file: str = Field(default="", max_length=200, description="CSV or XLSX of more items, relative to this file")
    categories: list[RuleCategory] = []
    items: list[RuleItem] = []

    @model_validator(mode="after")
    def _unique(self) -> RulesSection:
        codes: set[str] = set()
        for item in self.items:
            if item.code.casefold() in codes:
                raise ValueError(f"rule item code {item.code!r} is listed twice")
            codes.add(item.code.casefold())
        names = [c.name for c in self.categories]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"category {name!r} is listed twice")
        return self

    def category(self, name: str) -> RuleCategory | None:
        return next((c for c in self.categories if c.name == name), None)


class ProductSection(_Strict):
    """An item of the points supermarket 积分超市: goods, a service, or a voucher. Stock is kept in the database."""

    code: Code
    name: NonEmpty
    price: int = Field(ge=1, le=100_000, description="points for one")
    kind: Literal["goods", "service", "voucher"] = "goods"
    unit: str = Field(default="件", min_length=1, max_length=10, description="件, 瓶, 张 …")
    limit_per_household: int = Field(default=0, ge=0, le=1000, description="per exchange day; 0: no limit")


class CommunityConfig(_Strict):
    community: CommunitySection
    points: PointsSection = PointsSection()
    exchange: ExchangeSection = ExchangeSection()
    groups: list[GroupSection] = []
    staff: list[StaffSection] = []
    members: list[PersonSection] = []
    households: HouseholdsSection = HouseholdsSection()
    rules: RulesSection = RulesSection()
    products: list[ProductSection] = []
    schedule: ScheduleSection = ScheduleSection()
    _source: str = PrivateAttr(default="community.toml")

    @field_validator("schedule")
    @classmethod
    def _schedule_groups_known(cls, schedule: ScheduleSection, info: ValidationInfo) -> ScheduleSection:
        groups: list[GroupSection] = info.data.get("groups", [])
        known = [g.name for g in groups]
        for number, reminder in enumerate(schedule.reminders, start=1):
            for name in reminder.groups:
                if name not in known:
                    raise ValueError(
                        f"[[schedule.reminders]] #{number} groups: no group named {name!r} in [[groups]]; "
                        f"name one of: {', '.join(known) or '(no groups listed)'}"
                    )
        return schedule

    @property
    def source(self) -> str:
        """The file this configuration came from, for error messages."""
        return self._source

    @property
    def notice_day(self) -> int:
        return self.schedule.notice.day or self.points.period_start_day

    def check_dates(self, today: date, *, accepted: Iterable[date] = ()) -> None:
        """Refuse, at start, what only the calendar can tell is wrong: an extra exchange day already past.

        Dates accepted at an earlier start are left alone: they were coming then and have simply passed, and
        a bot must restart with the file it has. A past date new in the file is a typo (a wrong year).
        """
        past = [d for d in self.exchange.dates if d < today and d not in set(accepted)]
        if past:
            raise ConfigError(
                f"{self.source}: invalid configuration\n  [exchange] dates: {past[0].isoformat()} is already past "
                f"(today is {today.isoformat()}); remove it, or write a coming date"
            )

    @model_validator(mode="after")
    def _unique_names(self) -> CommunityConfig:
        people: set[str] = set()
        for person in [*self.members, *self.staff]:
            if person.name in people:
                raise ValueError(
                    f"{person.name!r} is listed twice among [[members]] and [[staff]]; list each person once "
                    "(staff may have a household too)"
                )
            people.add(person.name)
        seen: set[str] = set()
        for group in self.groups:
            key = f"{group.platform}:{group.external_id}"
            if key in seen:
                raise ValueError(f"group {group.name!r} is listed twice")
            seen.add(key)
        products: set[str] = set()
        for product in self.products:
            for word in (product.code.casefold(), product.name):
                if word in products:
                    raise ValueError(f"product {word!r} is listed twice among [[products]] (codes and names)")
                products.add(word)
        return self


def _where(loc: tuple[int | str, ...]) -> str:
    """Where in the file: `[points] min_minutes`, `[[groups]] #2 name`, `[schedule.notice] day`."""
    if not loc:
        return "(top level)"
    index = next((i for i, part in enumerate(loc) if isinstance(part, int)), None)
    if index is not None and 0 < index < len(loc) - 1:  # inside an array of tables
        table = ".".join(str(part) for part in loc[:index])
        inner = ".".join(str(part) for part in loc[index + 1 :])
        return f"[[{table}]] #{int(loc[index]) + 1} {inner}".strip()
    if len(loc) >= 3 and index is None:  # a nested table: [schedule.notice] day
        return f"[{'.'.join(str(part) for part in loc[:-1])}] {loc[-1]}"
    head, *rest = loc
    return f"[{head}] {'.'.join(str(r) for r in rest)}".strip()


def describe_validation_error(source: str, error: ValidationError) -> str:
    lines = [f"{source}: invalid configuration"]
    for item in error.errors():
        loc = tuple(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        got = item.get("input")
        shown = "" if item["type"] in {"missing", "extra_forbidden"} or isinstance(got, dict) else f" (got {got!r})"
        if message.startswith("["):  # a check across sections names the exact place itself
            lines.append(f"  {message}")
            continue
        lines.append(f"  {_where(loc)}: {message}{shown}")
    return "\n".join(lines)


def load_community(path: Path) -> CommunityConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = parse_community(raw, source=str(path))
    if config.rules.file:
        from bot.tables import rule_items_from_file

        items = rule_items_from_file(path.parent / config.rules.file)
        rules = {**raw.get("rules", {}), "items": [*raw.get("rules", {}).get("items", []), *items]}
        config = parse_community({**raw, "rules": rules}, source=f"{path} with {config.rules.file}")
    return config


def parse_community(raw: Mapping[str, Any], *, source: str = "community.toml") -> CommunityConfig:
    try:
        config = CommunityConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(source, exc)) from None
    config._source = source
    return config


# --- installation settings from the environment -------------------------------------------------------

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/pointsbot.sqlite3"

_environ: ContextVar[Mapping[str, str] | None] = ContextVar("pointsbot_environ", default=None)


class _GivenEnvironment(EnvSettingsSource):
    """pydantic-settings' environment source, reading a mapping we were given instead of os.environ."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _environ.get()
        source = os.environ if environ is None else environ
        return {key.lower(): value for key, value in source.items()}


_PLACEHOLDERS = {"", "token", "changeme", "change-me", "your-token", "your_token", "xxx", "secret", "todo", "none"}


def _real_secret(value: SecretStr, what: str) -> SecretStr:
    raw = value.get_secret_value().strip()
    if raw.lower().strip("<>{}[]$ ") in _PLACEHOLDERS or set(raw) <= {"x", "X", "*", "."}:
        raise ValueError(f"{what} looks like a placeholder; put the real value here")
    return value


class TelegramSettings(BaseModel):
    """POINTSBOT_TELEGRAM__…: the Telegram bot (created with @BotFather)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr
    api_base: str = Field(default="", description="a self-hosted Bot API server, e.g. http://127.0.0.1:8081")
    webhook_url: str = Field(default="", description="public https URL; empty: long polling")
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        value = _real_secret(value, "the bot token")
        raw = value.get_secret_value()
        head, _, tail = raw.partition(":")
        if not head.isdigit() or len(tail) < 20:
            raise ValueError("a bot token looks like 123456789:AAE…, as @BotFather gives it")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("the public address Telegram calls, like https://bot.example.org/telegram")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("16 to 256 letters, digits, _ or - (Telegram's rule for a webhook secret)")
        return value


class WechatySettings(BaseModel):
    """POINTSBOT_WECHATY__…: the Wechaty puppet-service gateway the bot connects to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = Field(min_length=3, description="host:port of the gateway, e.g. 127.0.0.1:8788")
    token: SecretStr

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("host:port of the gateway, e.g. 127.0.0.1:8788 (plaintext gRPC, no https://)")
        return value.strip()

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        return _real_secret(value, "the gateway token")

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the endpoint; an IPv6 host is written [::1]:8788."""
        host, _, port = self.endpoint.rpartition(":")
        return host.strip("[]"), int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POINTSBOT_", env_nested_delimiter="__", extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    config: list[Path] = Field(default_factory=list, description="community.toml files; empty: the sample")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    telegram: TelegramSettings | None = None
    wechaty: WechatySettings | None = None

    @field_validator("config", mode="before")
    @classmethod
    def _paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part]
        return value

    def secrets(self) -> list[str]:
        """The values that must never appear in a log line or a message: tokens and the database password."""
        found = [urlsplit(self.database_url).password or ""]
        if self.telegram is not None:
            found.append(self.telegram.token.get_secret_value())
            if self.telegram.webhook_secret is not None:
                found.append(self.telegram.webhook_secret.get_secret_value())
        if self.wechaty is not None:
            found.append(self.wechaty.token.get_secret_value())
        return [value for value in found if value]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _GivenEnvironment(settings_cls))

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from `environ` (not necessarily os.environ), with explicit overrides winning."""
        token = _environ.set(environ)
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            lines = ["invalid environment settings"]
            for item in exc.errors():
                name = "POINTSBOT_" + "__".join(str(part).upper() for part in item["loc"])
                lines.append(f"  {name}: {item['msg']}")
            raise ConfigError("\n".join(lines)) from None
        finally:
            _environ.reset(token)


SAMPLE_CONFIG = Path(__file__).parent / "sample" / "community.toml"
DEMO_TRANSCRIPT = Path(__file__).parent / "sample" / "demo.txt"

__all__ = ["LANGUAGES", "CommunityConfig", "ConfigError", "Role", "Settings", "load_community"]
