"""Pieces of the WeChat adapter that need no connection: mentions in text, the gateway's address."""

from __future__ import annotations

import pytest

from bot.adapters.wechaty import strip_mentions
from bot.config import ConfigError, Settings

M = "\u2005"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"@积分助手{M}签到 卫生整治", "签到 卫生整治"),
        (f"@社区小助手{M}签到", "签到"),  # the bot's name in this room
        ("签到 @积分助手", "签到"),  # mentioned at the end
        (f"@积分助手{M}@张三{M}补录", f"@张三{M}补录"),  # someone else mentioned stays
    ],
)
def test_the_bots_own_mentions_are_removed(text: str, expected: str) -> None:
    """Every @mention of the bot by one of its names goes; other mentions stay."""
    assert strip_mentions(text, ["积分助手", "社区小助手"], only_bot_mentioned=False) == expected


def test_an_unknown_leading_mention_goes_when_only_the_bot_was_mentioned() -> None:
    """WeChat's mention ids say the bot was meant even when its name in the text is new to us."""
    assert strip_mentions(f"@新名字{M}我的积分", ["积分助手"], only_bot_mentioned=True) == "我的积分"
    assert strip_mentions(f"@新名字{M}我的积分", ["积分助手"], only_bot_mentioned=False) == f"@新名字{M}我的积分"


def test_gateway_endpoint_is_host_and_port() -> None:
    """The endpoint is host:port; a URL or a missing port is refused naming the variable."""
    env = {"POINTSBOT_WECHATY__TOKEN": "a1b2c3d4-gateway"}
    settings = Settings.from_env({**env, "POINTSBOT_WECHATY__ENDPOINT": "127.0.0.1:8788"})
    assert settings.wechaty is not None and settings.wechaty.address == ("127.0.0.1", 8788)
    ipv6 = Settings.from_env({**env, "POINTSBOT_WECHATY__ENDPOINT": "[::1]:9001"})
    assert ipv6.wechaty is not None and ipv6.wechaty.address == ("::1", 9001)
    for bad in ("https://gateway.example", "127.0.0.1", "gateway:99999"):
        with pytest.raises(ConfigError, match=r"POINTSBOT_WECHATY__ENDPOINT.*host:port"):
            Settings.from_env({**env, "POINTSBOT_WECHATY__ENDPOINT": bad})
