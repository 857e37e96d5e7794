"""Turning what people type into a command word and its arguments.

People write `签到`, `／签到`, `@积分助手 签到 卫生整治`, `/checkin@PointsBot 卫生整治`, `通过12` or `通过 12`,
with full-width letters, ideographic spaces and the U+2005 that WeChat puts after a mention. All of these
become the same `Parsed` value. Nothing here knows which commands exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_INPUT_CHARS = 500

# Bidirectional overrides/isolates and zero-width characters: invisible, and able to make an echoed name
# read backwards or hide text.
_INVISIBLE = dict.fromkeys(
    [
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Drop control and invisible characters and fold every run of spaces (ideographic ones too) into one.

    Full-width punctuation stays as typed: a reason written with ，and。 reads back the same.
    """
    text = text.translate(_INVISIBLE)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Full-width letters, digits and signs to their plain forms (NFKC), for words and numbers, not prose."""
    return unicodedata.normalize("NFKC", text)


def clean_name(text: str, limit: int = 40) -> str:
    """A name safe to echo: cleaned like any text, without @ and brackets, at most `limit` characters."""
    return clean_text(text).strip("@[]【】").strip()[:limit].rstrip()  # a cut may end on a space


@dataclass(frozen=True, slots=True)
class Parsed:
    word: str  # the command word as typed, lower-cased, without slash or @bot suffix
    args: tuple[str, ...]
    rest: str  # everything after the command word, spaces folded
    addressed: bool  # @mention of the bot, a leading slash, or a /command@ourbot
    truncated: bool


def _strip_mentions(text: str, bot_names: Iterable[str]) -> tuple[str, bool] | None:
    """Remove leading @mentions of the bot. Returns None when the message starts by addressing someone else."""
    names = {fold(n).lower() for n in bot_names if n}
    addressed = False
    while text.startswith(("@", "＠")):
        end = next(
            (
                k
                for k in range(2, len(text) + 1)
                if (k == len(text) or text[k] == " ") and fold(text[1:k]).lower() in names
            ),
            None,
        )
        if end is None:
            return None
        text = text[end:].lstrip()
        addressed = True
    return text, addressed


def parse(
    text: str,
    *,
    bot_names: Iterable[str] = (),
    known_words: Iterable[str] = (),
    addressed: bool = False,
) -> Parsed | None:
    """Split a message into command word and arguments, or None when it cannot be a command.

    `known_words` lets `通过12` split into `通过` and `12`: a known word glued to a number.
    """
    truncated = len(text) > MAX_INPUT_CHARS
    cleaned = clean_text(text[:MAX_INPUT_CHARS])
    stripped = _strip_mentions(cleaned, bot_names)
    if stripped is None:
        return None
    body, mentioned = stripped
    addressed = addressed or mentioned
    if body.startswith(("/", "／")):
        body = body[1:].lstrip()
        addressed = True
    if not body:
        return None
    word, _, rest = body.partition(" ")
    word = "".join(fold(word).lower().split())  # NFKC can turn one sign into a space and a mark (¯)
    if "@" in word and not word.startswith("@"):
        word, _, target = word.partition("@")
        if target not in {fold(n).lower() for n in bot_names}:
            return None  # /checkin@SomeOtherBot is for another bot
        addressed = True
    if word not in set(known_words):
        glued = _split_glued_number(word, known_words)
        if glued is not None:
            word, number = glued
            rest = f"{number} {rest}".strip()
    rest = rest.strip()
    return Parsed(
        word=word,
        args=tuple(rest.split()) if rest else (),
        rest=rest,
        addressed=addressed,
        truncated=truncated,
    )


def _split_glued_number(word: str, known_words: Iterable[str]) -> tuple[str, str] | None:
    for known in sorted(known_words, key=len, reverse=True):
        if word.startswith(known) and len(word) > len(known) and word[len(known)].isdigit():
            return known, word[len(known) :]
    return None
