"""The roles of the product's glossary."""

from enum import StrEnum


class Role(StrEnum):
    """Who may do what. Every bound person is a resident and may volunteer; staff roles are granted."""

    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    REVIEWER = "reviewer"
    CASHIER = "cashier"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.CASHIER, Role.ADMIN})
EVERYONE_BOUND = frozenset({Role.RESIDENT, Role.VOLUNTEER})
