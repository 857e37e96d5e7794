"""Domain errors: outcomes a person caused and should read about.

Each carries the catalogue key of the sentence the user sees and the values it needs. The dispatcher is
the one place that turns them into replies; anything else that escapes a handler is logged and the chat
sees one polite sentence.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    key: ClassVar[str] = "errors.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.message_key = key or self.key
        self.params = params
        super().__init__(self.message_key, params)


class UsageError(DomainError):
    """Wrong or missing arguments: the reply shows the command's usage line and an example."""

    key = "errors.usage"


class NotAllowed(DomainError):
    key = "errors.not_allowed"


class NotBound(DomainError):
    key = "errors.not_bound"


class AlreadyCheckedIn(DomainError):
    key = "duty.already_checked_in"


class NotCheckedIn(DomainError):
    key = "duty.not_checked_in"


class NoSuchRecord(DomainError):
    key = "review.no_such_record"


class RecordAlreadyReviewed(DomainError):
    key = "review.already_reviewed"


class OwnRecord(DomainError):
    key = "review.own_record"


class NoSuchResident(DomainError):
    key = "residents.no_such_resident"


class AmbiguousResident(DomainError):
    key = "residents.ambiguous"


class InsufficientPoints(DomainError):
    key = "ledger.insufficient_points"


class BindingProblem(DomainError):
    key = "binding.already_bound"


class GroupNotRegistered(DomainError):
    key = "groups.not_registered"
