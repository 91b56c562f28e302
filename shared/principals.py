"""Who is calling: a role, and the principal a request or a key stands for (pure: no store here; the
keys and accounts that prove a principal are in shared/access.py and referrals' adapters)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    PARTNER = "partner"
    OPS = "ops"


@dataclass(frozen=True)
class Principal:
    role: Role
    partner_id: str | None = None
    key_id: str | None = None
    person: str | None = None  # the account's login, when a person signed in (not a machine key)
    departments: frozenset[str] | None = None  # an auditor's territory; None: every département

    @property
    def actor(self) -> str:
        """How the caller is named on events and in the audit trail: the person when one signed in."""
        if self.role is Role.PARTNER:
            return f"partner:{self.partner_id}" + (f"/{self.person}" if self.person else "")
        if self.person:
            return f"{self.role.value}:{self.person}"
        return self.role.value if self.key_id is None else f"{self.role.value}:{self.key_id}"

    def covers(self, department: str) -> bool:
        """An auditor sees only the newcomers of their own territory."""
        return self.departments is None or department in self.departments

    def covers_file(self, department: str | None) -> bool:
        """`covers`, for a file whose département may not be known (an erasure recorded before erasures kept
        it): such a file is only for an auditor of every département."""
        return self.departments is None or (department is not None and department in self.departments)
