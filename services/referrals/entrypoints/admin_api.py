"""The administrator registers partners and issues, rotates and revokes API keys."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field, SecretStr

from services.referrals.adapters.accounts import AccountRefused, Accounts
from services.referrals.domain.accounts import Account
from services.referrals.domain.errors import InvalidFields
from services.referrals.entrypoints.dependencies import ContextDep
from services.referrals.service_layer.account_administration import AccountAdministration
from shared.access import DEFAULT_KEY_VALIDITY, IssuedKey
from shared.contract.events.profile import Department
from shared.http.auth import AdminDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.principals import Role

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=errors(*KEYED, *UNAVAILABLE))


class PartnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", examples=["epide"])
    name: str = Field(min_length=2, max_length=120, examples=["Epide Strasbourg"])
    email: EmailStr | None = Field(
        None, max_length=120, description="Where new referrals and reminders are e-mailed, with a link to answer"
    )


class AccountCreate(BaseModel):
    """A person's account: an auditor with their territory, or a member of a partner's staff."""

    model_config = ConfigDict(extra="forbid")

    login: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,39}$", examples=["m.durand"])
    name: str = Field(min_length=2, max_length=120, examples=["Marie Durand"])
    role: Literal["auditor", "partner", "ops"]
    password: SecretStr = Field(min_length=12, max_length=200)
    partner_id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    directorate: str | None = Field(None, max_length=80, examples=["DT Strasbourg"])
    departments: list[Department] = Field(default_factory=list, max_length=20, description="An auditor's territory")
    email: EmailStr | None = Field(None, max_length=120, description="For sign-in through OpenID Connect (ProConnect)")


class AccountPublic(BaseModel):
    login: str
    name: str
    role: Role
    partner_id: str | None
    directorate: str | None
    departments: list[str]
    email: str | None = None
    disabled_at: datetime | None = Field(None, description="Since when the account signs nobody in")


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: SecretStr = Field(min_length=12, max_length=200)


def _account_public(account: Account) -> AccountPublic:
    return AccountPublic(**{**asdict(account), "departments": list(account.departments)})


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_days: int = Field(
        DEFAULT_KEY_VALIDITY.days, ge=1, le=3650, description="Days until the key expires (401 after that)"
    )
    departments: list[Department] = Field(
        default_factory=list,
        max_length=20,
        description="Auditor keys: the territory whose newcomers the key sees (empty: every département)",
    )


class IssuedKeyPublic(BaseModel):
    key_id: str
    api_key: str = Field(description="Shown once: store it now; only its hash is kept")
    role: Role
    partner_id: str | None = None
    expires_at: datetime = Field(description="After this the key is refused: issue a new one before")


def _validity(body: KeyRequest | None) -> timedelta:
    return timedelta(days=(body or KeyRequest()).valid_days)


@router.post("/partners", status_code=status.HTTP_201_CREATED, responses=errors(400, 409))
async def register_partner(body: PartnerCreate, admin: AdminDep, context: ContextDep) -> dict[str, str]:
    """Register a partner organisation (then issue it a key)."""
    email = str(body.email) if body.email else None
    if not await context.credentials.register_partner(body.partner_id, body.name, context.clock(), email=email):
        raise HTTPException(status.HTTP_409_CONFLICT, f"partner {body.partner_id} is already registered")
    return {"partner_id": body.partner_id, "name": body.name}


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountPublic, responses=errors(400, 409))
async def create_account(body: AccountCreate, admin: AdminDep, request: Request, context: ContextDep) -> AccountPublic:
    """Create a person's account for the console (the password is kept only as an argon2 hash)."""
    if body.role == "partner" and (
        body.partner_id is None or await context.credentials.partner(body.partner_id) is None
    ):
        raise InvalidFields([(("partner_id",), "structure inconnue / unknown partner")])
    account = Account(
        login=body.login,
        name=body.name,
        role=Role(body.role),
        partner_id=body.partner_id if body.role == "partner" else None,
        directorate=body.directorate,
        departments=tuple(body.departments) if body.role == "auditor" else (),
        email=str(body.email) if body.email else None,
    )
    accounts: Accounts = request.app.state.accounts
    try:
        created = await accounts.create(account, body.password.get_secret_value(), context.clock())
    except AccountRefused as exc:
        raise InvalidFields([((exc.field,), str(exc))]) from exc
    if not created:
        raise HTTPException(status.HTTP_409_CONFLICT, f"login {body.login} is already taken")
    return _account_public(account)


def _administration(request: Request) -> AccountAdministration:
    administration: AccountAdministration = request.app.state.account_administration
    return administration


def _no_account(login: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"aucun compte {login} / no account {login}")


@router.post("/accounts/{login}/disable", response_model=AccountPublic, responses=errors(404))
async def disable_account(login: str, admin: AdminDep, request: Request) -> AccountPublic:
    """Disable a person's account: its sessions end at once and it signs nobody in (audited)."""
    account = await _administration(request).disable(login, admin.actor)
    if account is None:
        raise _no_account(login)
    return _account_public(account)


@router.post("/accounts/{login}/enable", response_model=AccountPublic, responses=errors(404))
async def enable_account(login: str, admin: AdminDep, request: Request) -> AccountPublic:
    """Enable a disabled account again (audited)."""
    account = await _administration(request).enable(login, admin.actor)
    if account is None:
        raise _no_account(login)
    return _account_public(account)


@router.put("/accounts/{login}/password", status_code=status.HTTP_204_NO_CONTENT, responses=errors(400, 404))
async def change_password(login: str, body: NewPassword, admin: AdminDep, request: Request) -> Response:
    """Give an account a new password: every session opened with the old one ends (audited)."""
    try:
        account = await _administration(request).change_password(login, body.password.get_secret_value(), admin.actor)
    except AccountRefused as exc:
        raise InvalidFields([((exc.field,), str(exc))]) from exc
    if account is None:
        raise _no_account(login)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/partners/{partner_id}/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKeyPublic,
    responses=errors(400, 404),
)
async def issue_partner_key(
    partner_id: str, admin: AdminDep, context: ContextDep, body: KeyRequest | None = None
) -> IssuedKeyPublic:
    """A new key for a partner; to rotate, issue a new one and revoke the old one."""
    if await context.credentials.partner(partner_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"partner {partner_id} is not registered")
    key = await context.credentials.issue_key(Role.PARTNER, partner_id, context.clock(), _validity(body))
    return _public(key, Role.PARTNER, partner_id)


@router.post(
    "/auditor-keys", status_code=status.HTTP_201_CREATED, response_model=IssuedKeyPublic, responses=errors(400)
)
async def issue_auditor_key(admin: AdminDep, context: ContextDep, body: KeyRequest | None = None) -> IssuedKeyPublic:
    """A key for an integration auditor (records signings, sees newcomers' referrals)."""
    territory = list((body or KeyRequest()).departments)
    key = await context.credentials.issue_key(Role.AUDITOR, None, context.clock(), _validity(body), territory)
    return _public(key, Role.AUDITOR)


@router.post("/ops-keys", status_code=status.HTTP_201_CREATED, response_model=IssuedKeyPublic, responses=errors(400))
async def issue_ops_key(admin: AdminDep, context: ContextDep, body: KeyRequest | None = None) -> IssuedKeyPublic:
    """A read-only key for operators (the /ops dashboard and its data)."""
    key = await context.credentials.issue_key(Role.OPS, None, context.clock(), _validity(body))
    return _public(key, Role.OPS)


def _public(key: IssuedKey, role: Role, partner_id: str | None = None) -> IssuedKeyPublic:
    return IssuedKeyPublic(
        key_id=key.key_id, api_key=key.value, role=role, partner_id=partner_id, expires_at=key.expires_at
    )


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def revoke_key(key_id: str, admin: AdminDep, context: ContextDep) -> Response:
    """Revoke a key at once."""
    if not await context.credentials.revoke(key_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"key {key_id} does not exist")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
