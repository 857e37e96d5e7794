"""Configuration is refused at start with the file, the key and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SAMPLE_CONFIG, ConfigError, Settings, load_community, parse_community


def _error(raw: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_community(raw, source="community.toml")
    return str(caught.value)


def test_sample_config_loads() -> None:
    """The bundled sample community is valid."""
    config = load_community(SAMPLE_CONFIG)
    assert config.community.bot_name == "积分助手"
    assert config.points.min_minutes == 30


def test_unknown_key_names_file_section_and_key() -> None:
    """A misspelt key is refused with the file and where the key is."""
    message = _error({"community": {"name": "x"}, "points": {"minutes_per_pont": 30}})
    assert "community.toml" in message
    assert "[points] minutes_per_pont: unknown key" in message


def test_bad_value_says_what_is_expected() -> None:
    """A value of the wrong kind is refused with what was expected and what was given."""
    message = _error({"community": {"name": "x"}, "points": {"min_minutes": "半小时"}})
    assert "[points] min_minutes" in message and "'半小时'" in message


def test_unknown_time_zone() -> None:
    """A time zone that does not exist is refused with an example of one that does."""
    message = _error({"community": {"name": "x", "timezone": "Beijing"}})
    assert "[community] timezone" in message and "Asia/Shanghai" in message


def test_missing_community_section() -> None:
    """A file without [community] says the section is missing."""
    assert "[community]: required key is missing" in _error({})


def test_staff_role_must_be_a_staff_role() -> None:
    """Resident and volunteer are implied, so they cannot be listed as staff roles."""
    message = _error({"community": {"name": "x"}, "staff": [{"name": "a", "roles": ["volunteer"]}]})
    assert "[[staff]] #1 roles" in message


def test_person_listed_twice() -> None:
    """A person listed under both [[members]] and [[staff]] is refused: console identity is the name."""
    message = _error(
        {
            "community": {"name": "x"},
            "members": [{"name": "张三"}],
            "staff": [{"name": "张三", "roles": ["admin"]}],
        }
    )
    assert "张三" in message and "twice" in message


def test_broken_toml_file(tmp_path: Path) -> None:
    """A file that is not TOML is refused with its path and the parser's position."""
    path = tmp_path / "community.toml"
    path.write_text("[community\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"community\.toml: not valid TOML"):
        load_community(path)


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist is reported as such."""
    with pytest.raises(ConfigError, match="file not found"):
        load_community(tmp_path / "nope.toml")


def test_settings_come_from_the_given_environment() -> None:
    """Settings read the mapping they are given, with POINTSBOT_ names, not the process environment."""
    settings = Settings.from_env({"POINTSBOT_DATABASE_URL": "sqlite+aiosqlite:///x.db", "POINTSBOT_LOG_LEVEL": "DEBUG"})
    assert settings.database_url == "sqlite+aiosqlite:///x.db"
    assert settings.log_level == "DEBUG"
    assert Settings.from_env({}).database_url.startswith("sqlite+aiosqlite:///")


def test_bad_setting_names_the_variable() -> None:
    """A bad environment value is refused naming the variable."""
    with pytest.raises(ConfigError, match="POINTSBOT_LOG_LEVEL"):
        Settings.from_env({"POINTSBOT_LOG_LEVEL": "LOUD"})


def test_placeholder_tokens_are_refused() -> None:
    """A token left as in an example is refused, naming the variable."""
    with pytest.raises(ConfigError, match=r"POINTSBOT_TELEGRAM__TOKEN.*placeholder"):
        Settings.from_env({"POINTSBOT_TELEGRAM__TOKEN": "changeme"})
    with pytest.raises(ConfigError, match=r"POINTSBOT_WECHATY__TOKEN.*placeholder"):
        Settings.from_env({"POINTSBOT_WECHATY__ENDPOINT": "127.0.0.1:8788", "POINTSBOT_WECHATY__TOKEN": "<token>"})


def test_secrets_never_show_in_settings_output() -> None:
    """A real token is kept, but printing the settings never shows it."""
    token = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123"
    settings = Settings.from_env({"POINTSBOT_TELEGRAM__TOKEN": token})
    assert settings.telegram is not None
    assert settings.telegram.token.get_secret_value() == token
    assert token not in repr(settings) and token not in str(settings.model_dump())
