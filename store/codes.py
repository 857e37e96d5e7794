"""One-time binding codes (绑定码): six digits that staff give a resident, valid ten minutes, used once.

The code itself is never stored: each row keeps a scrypt hash with a salt of its own, slow enough that trying
all million codes against a copy of the database takes far longer than a code lives. Checking a code
therefore means hashing it once per live code of the community, which is a handful at most. Every wrong
try counts against all live codes of the community, and a code that has seen too many wrong tries is voided,
so guessing stays hopeless however many chat accounts someone uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from store.db import Tx
from store.schema import binding_codes

DIGITS = 6
LIFETIME = timedelta(minutes=10)
MAX_FAILURES = 20  # wrong tries a live code survives: a guesser's chance stays below 1 in 50,000
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def looks_like_code(text: str) -> bool:
    return len(text) == DIGITS and text.isascii() and text.isdigit()


def new_code(rng: random.Random) -> str:
    return f"{rng.randrange(10**DIGITS):0{DIGITS}d}"


def hash_code(code: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def code_matches(code: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    computed = hashlib.scrypt(
        code.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
    )
    return hmac.compare_digest(computed.hex(), digest)


@dataclass(frozen=True, slots=True)
class Code:
    id: int
    resident_id: int
    issued_by: int
    expires_at: datetime


async def issue(tx: Tx, *, community_id: int, resident_id: int, code: str, by: int, at: datetime) -> datetime:
    """Store a new code for the resident (voiding any earlier one of theirs); returns when it expires."""
    await tx.execute(
        update(binding_codes)
        .where(binding_codes.c.resident_id == resident_id, binding_codes.c.status == "live")
        .values(status="void", void_reason="replaced", closed_at=at)
    )
    expires = at + LIFETIME
    await tx.execute(
        insert(binding_codes).values(
            community_id=community_id,
            resident_id=resident_id,
            code_hash=await asyncio.to_thread(hash_code, code),
            status="live",
            issued_by=by,
            expires_at=expires,
            created_at=at,
        )
    )
    return expires


async def _live(tx: Tx, *, community_id: int, at: datetime) -> list[tuple[Code, str]]:
    rows = await tx.execute(
        select(
            binding_codes.c.id,
            binding_codes.c.resident_id,
            binding_codes.c.issued_by,
            binding_codes.c.expires_at,
            binding_codes.c.code_hash,
        )
        .where(
            binding_codes.c.community_id == community_id,
            binding_codes.c.status == "live",
            binding_codes.c.expires_at > at,
        )
        .order_by(binding_codes.c.id.desc())
    )
    return [(Code(id_, resident, by, expires), stored) for id_, resident, by, expires, stored in rows.all()]


async def find(tx: Tx, *, community_id: int, code: str, at: datetime) -> Code | None:
    """The live, unexpired code of the community that `code` is, if any."""
    if not looks_like_code(code):
        return None
    for found, stored in await _live(tx, community_id=community_id, at=at):
        if await asyncio.to_thread(code_matches, code, stored):
            return found
    return None


async def use(tx: Tx, *, code_id: int, account_id: int, at: datetime) -> bool:
    """Mark the code used; False if someone else used or voided it a moment ago (the UPDATE decides)."""
    used = await tx.scalar(
        update(binding_codes)
        .where(binding_codes.c.id == code_id, binding_codes.c.status == "live")
        .values(status="used", used_by=account_id, closed_at=at)
        .returning(binding_codes.c.id)
    )
    return used is not None


async def void(tx: Tx, *, code_id: int, reason: str, at: datetime) -> None:
    await tx.execute(
        update(binding_codes)
        .where(binding_codes.c.id == code_id)
        .values(status="void", void_reason=reason, closed_at=at)
    )


async def count_wrong_try(tx: Tx, *, community_id: int, at: datetime) -> list[Code]:
    """A wrong code was tried: count it against every live code; returns the codes voided by it."""
    live = [found for found, _ in await _live(tx, community_id=community_id, at=at)]
    if not live:
        return []
    await tx.execute(
        update(binding_codes)
        .where(binding_codes.c.id.in_([c.id for c in live]))
        .values(failures=binding_codes.c.failures + 1)
    )
    worn = (
        await tx.execute(
            update(binding_codes)
            .where(binding_codes.c.id.in_([c.id for c in live]), binding_codes.c.failures >= MAX_FAILURES)
            .values(status="void", void_reason="guessed", closed_at=at)
            .returning(binding_codes.c.id)
        )
    ).scalars()
    voided = set(worn)
    return [c for c in live if c.id in voided]
