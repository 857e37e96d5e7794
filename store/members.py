"""Importing residents and households from a spreadsheet: all rows or none, with a dry run first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from store import residents
from store.db import Tx
from store.schema import households
from store.schema import residents as residents_table


@dataclass(frozen=True, slots=True)
class Person:
    line: int
    name: str
    household: str


@dataclass(slots=True)
class Plan:
    new: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    new_households: list[str] = field(default_factory=list)
    namesakes: list[tuple[Person, list[str]]] = field(default_factory=list)  # same name, other households


async def plan(tx: Tx, *, community_id: int, people: list[Person]) -> Plan:
    """What importing these people would change; nothing is written."""
    result = Plan()
    known = set(
        (await tx.execute(select(households.c.label).where(households.c.community_id == community_id))).scalars()
    )
    for person in people:
        found = await residents.find_exact(tx, community_id=community_id, name=person.name, household=person.household)
        if found is not None:
            result.unchanged.append(person)
            continue
        result.new.append(person)
        if person.household and person.household not in known:
            known.add(person.household)
            result.new_households.append(person.household)
        others = await tx.execute(
            select(households.c.label)
            .select_from(residents_table)
            .outerjoin(households, households.c.id == residents_table.c.household_id)
            .where(residents_table.c.community_id == community_id, residents_table.c.name == person.name)
        )
        labels = [label or "-" for label in others.scalars()]
        if labels:
            result.namesakes.append((person, labels))
    return result


async def apply(tx: Tx, *, community_id: int, plan: Plan, at: datetime) -> None:
    for person in plan.new:
        await residents.create_resident(
            tx, community_id=community_id, name=person.name, household=person.household, at=at
        )
