"""Persistence: tables, migrations and the services that own transactions and invariants."""

from store.db import Database, Tx

__all__ = ["Database", "Tx"]
