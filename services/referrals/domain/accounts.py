"""A person's account on the console: who they are, their role and territory, and whether it may sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.principals import Principal, Role


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: Role
    partner_id: str | None = None
    directorate: str | None = None  # an auditor's OFII territorial directorate, e.g. "DT Strasbourg"
    departments: tuple[str, ...] = ()  # an auditor's territory; empty for partner staff
    email: str | None = None  # how an OpenID Connect sign-in (ProConnect) finds the account
    disabled_at: datetime | None = None  # a disabled account signs nobody in; its sessions were ended
    password_changed_at: datetime | None = None  # sessions opened before this are no longer honoured

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def principal(self) -> Principal:
        territory = frozenset(self.departments) if self.role is Role.AUDITOR else None
        return Principal(self.role, self.partner_id, None, person=self.login, departments=territory)

    def record(self, password_hash: str) -> dict[str, str | None]:
        return {
            "login": self.login,
            "name": self.name,
            "role": self.role.value,
            "partner_id": self.partner_id,
            "directorate": self.directorate,
            "departments": ",".join(self.departments),
            "email": self.email.lower() if self.email else None,
            "password_hash": password_hash,
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
            "password_changed_at": self.password_changed_at.isoformat() if self.password_changed_at else None,
        }

    @classmethod
    def from_record(cls, record: dict[str, str | None]) -> Account:
        departments = record.get("departments") or ""
        return cls(
            login=str(record["login"]),
            name=str(record["name"]),
            role=Role(str(record["role"])),
            partner_id=record.get("partner_id"),
            directorate=record.get("directorate"),
            departments=tuple(d for d in departments.split(",") if d),
            email=record.get("email"),
            disabled_at=_moment(record.get("disabled_at")),
            password_changed_at=_moment(record.get("password_changed_at")),
        )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
