"""Referrals' use cases: plain functions over the store and the publishers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.referrals.domain.decision_window import DecisionWindows
from services.referrals.domain.errors import Conflict, FileNumberTaken, InvalidFields, NotFound
from services.referrals.domain.records import MAX_VERSIONS_KEPT, ProfileVersion, SigningRecorded
from services.referrals.domain.referral import candidate_summary, referral_event_id, referral_id_for
from services.referrals.domain.referral_view import ReferralView
from services.referrals.domain.signing import CirSigningCreate, SigningDateRules
from services.referrals.service_layer.consent import change_consent, pools_allowed, record_consent_at_signing
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.ports import Records, Views
from services.referrals.service_layer.projections import profile_marker
from shared.contract.events import ConsentChannel, MatchingProposal, ProgrammeOpening, ReferralEvent
from shared.contract.events.proposal import SUCCESS_ESTIMATE
from shared.contract.human_text import readable
from shared.contract.vocabulary import ReferralStatus
from shared.messaging.consuming import PoisonMessage
from shared.messaging.projections import Publisher

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass
class Publishers:
    """Where referrals' events go; those it projects itself are `ProjectingPublisher`s (log, then state)."""

    profiles: Publisher
    openings: Publisher
    referral_events: Publisher
    audit: Publisher
    subscriptions: Publisher
    signings: Publisher  # referrals' private log of signings (personal data, sealed)
    consents: Publisher  # the newcomers' consent records
    keys: Publisher  # referrals' private log of the people's keys (wrapped)
    windows: Publisher  # decision windows closed, for matching to re-solve


async def record_signing(
    signing: CirSigningCreate,
    store: Records,
    publishers: Publishers,
    keyring: Keyring,
    today: date,
    rules: SigningDateRules,
    by: str = "auditor",
    at: datetime | None = None,
) -> bool:
    """Store the signing and publish its pseudonymous profile; False if the same signing was already there."""
    signing = signing.readable()
    problems = signing.implausible_dates(today, rules)
    if problems:
        raise InvalidFields(problems)
    if signing.version != 1:  # Passerelle numbers the versions: a signing is the first
        signing = signing.model_copy(update={"version": 1})
    person, marker = signing.beneficiary_id, profile_marker(signing.beneficiary_id, 1)
    erased, existing, key, consents, published = await asyncio.gather(  # side by side: one Redis round trip
        store.erasure_of(person),
        store.get_signing(person),
        keyring.current(person),
        store.consents(person),
        store.was_published(marker),
    )
    if erased is not None:
        raise FileNumberTaken(
            f"les données de {person} ont été effacées le {erased.at:%d/%m/%Y} : enregistrez"
            f" le CIR sous un autre identifiant / the data of {person} was erased; record the"
            " signing under another id",
            erased.department,
        )
    if existing is not None and existing != signing:
        raise FileNumberTaken(
            f"le CIR de {person} est déjà enregistré ; modifiez le profil"
            f" (PUT /v1/beneficiaries/{person}/profile) / beneficiary {person}"
            " already has a different CIR signing recorded: amend its profile instead",
            existing.department,
        )
    moment = at or datetime.combine(today, datetime.min.time())
    history = [ProfileVersion(version=1, at=moment, by=by)]
    if existing is None:  # the private log first (its projection keeps the signing): Redis is rebuilt from it
        key = key or await keyring.issue_new(person, publishers.keys, moment)
        await keyring.publish_sealed(SigningRecorded(signing=signing, history=history), key, publishers.signings)
    await record_consent_at_signing(signing, consents, publishers.consents, by, history[0].at)
    log.info("CIR signing recorded", extra={"beneficiary_id": person, "repeat": existing is not None})
    if not published:
        # A repeat of a signing whose publication failed (503) publishes it now; an answered one does not.
        await publishers.profiles.publish(signing.profile(), key=person)  # projected: marked
    return existing is None


def profile_event_id(beneficiary_id: str, version: int) -> str:
    """An amended version always has the same event id, so a re-publication is recognisable downstream."""
    return str(uuid.uuid5(PROFILE_NAMESPACE, f"{beneficiary_id}:{version}"))


PROFILE_NAMESPACE = uuid.UUID("3c9d2e0a-6b41-4f7a-9e85-1d2f3a4b5c6e")
AMENDABLE_EXCLUDED = {"version", "beneficiary_id", "cir_signed_on"}


async def amend_profile(
    amended: CirSigningCreate,
    store: Records,
    publishers: Publishers,
    keyring: Keyring,
    today: date,
    rules: SigningDateRules,
    by: str,
    at: datetime,
    note: str | None = None,
) -> int:
    """Record a new version of a newcomer's profile (a French level certified, a move, an RSA application)
    and publish it, so that matching answers it at once. Returns the version now current; posting the same
    facts again changes nothing and re-publishes only what had not been published."""
    amended = amended.readable()
    existing = await store.get_signing(amended.beneficiary_id)
    if existing is None:
        raise NotFound(f"aucun CIR enregistré pour {amended.beneficiary_id} / no CIR signing for it")
    if amended.cir_signed_on != existing.cir_signed_on:
        raise InvalidFields([(("cir_signed_on",), "la date de signature ne se modifie pas / cannot be amended")])
    problems = amended.implausible_dates(today, rules)
    if problems:
        raise InvalidFields(problems)
    current = existing.model_dump(exclude=AMENDABLE_EXCLUDED)
    wanted = amended.model_dump(exclude=AMENDABLE_EXCLUDED)
    changed = sorted(k for k in wanted if wanted[k] != current.get(k))
    version = existing.version
    if changed:
        version += 1
        signing = amended.model_copy(update={"version": version})
        history = [
            *await store.history(amended.beneficiary_id),
            ProfileVersion(version=version, at=at, by=by, changed=changed, note=note),
        ][-MAX_VERSIONS_KEPT:]
        await keyring.publish_signing(SigningRecorded(signing=signing, history=history), publishers.signings,
                                      publishers.keys, at)  # fmt: skip
        log.info("profile amended", extra={"beneficiary_id": signing.beneficiary_id, "version": version})
        if "consent_to_share" in changed:  # the form's one answer covers both scopes, as at signing
            share = signing.consent_to_share
            await change_consent(
                signing.beneficiary_id, share, share, None, ConsentChannel.CONSOLE, by, at, note, store,
                publishers, keyring,
            )  # fmt: skip
    else:
        signing = existing
    marker = profile_marker(signing.beneficiary_id, version)
    if not await store.was_published(marker):
        event_id = None if version == 1 else profile_event_id(signing.beneficiary_id, version)
        await publishers.profiles.publish(signing.profile(), key=signing.beneficiary_id, event_id=event_id)
    return version


def readable_opening(opening: ProgrammeOpening) -> ProgrammeOpening:
    """The opening's words (programme, title, partner's name) in NFC; 422 on each one unreadable."""
    problems: list[tuple[tuple[str, ...], str]] = []

    def kept(where: tuple[str, ...], value: str) -> str:
        try:
            return readable(value) if value else value
        except ValueError as exc:
            problems.append((where, str(exc)))
            return value

    words: dict[str, object] = {f: kept((f,), getattr(opening, f)) for f in ("programme", "title", "partner_name")}
    words["target_skills"] = [kept(("target_skills", str(n)), s) for n, s in enumerate(opening.target_skills)]
    if problems:
        raise InvalidFields(problems)
    return opening.model_copy(update=words)


async def create_opening(opening: ProgrammeOpening, store: Records, publishers: Publishers) -> bool:
    """Create an opening; repeating an identical create re-publishes it and returns False."""
    opening = readable_opening(opening)
    existing = await store.get_opening(opening.opening_id)
    if existing is not None and existing != opening:
        raise Conflict(f"opening {opening.opening_id} exists with other values; use PUT to update it")
    await publishers.openings.publish(opening, key=opening.opening_id)  # the log, then its projection
    return existing is None


async def update_opening(opening: ProgrammeOpening, store: Records, publishers: Publishers) -> None:
    opening = readable_opening(opening)
    existing = await store.get_opening(opening.opening_id)
    if existing is None:
        raise NotFound(f"opening {opening.opening_id} does not exist")
    if existing.partner_id != opening.partner_id:
        raise Conflict("an opening cannot move to another partner")
    await publishers.openings.publish(opening, key=opening.opening_id)


DEFAULT_RESPONSE_DAYS = 7


def response_days(opening: ProgrammeOpening | None) -> int:
    """The partner's days to answer a referral to `opening` (the default when the opening is unknown)."""
    return opening.response_days if opening else DEFAULT_RESPONSE_DAYS


NO_WINDOW = DecisionWindows()


async def refer_from_proposal(
    proposal: MatchingProposal,
    store: Records,
    views: Views,
    publishers: Publishers,
    clock: Clock,
    windows: DecisionWindows = NO_WINDOW,
) -> ReferralView | None:
    """Create the referral for the seat matching held (once per beneficiary and opening) and announce it.
    It waits, proposed, for its decision window to close (`send_by`); it is created sent when there is no
    window, when the opening's deadline leaves no time to wait, or when this proposal is itself a window's
    final word."""
    if proposal.held is None:
        log.info("no seat available for beneficiary", extra={"beneficiary_id": proposal.beneficiary_id})
        return None
    signing = await store.get_signing(proposal.beneficiary_id)
    if signing is None and await store.erasure_of(proposal.beneficiary_id) is not None:
        log.info("proposal for an erased person: no referral", extra={"beneficiary_id": proposal.beneficiary_id})
        return None
    if signing is None:
        raise PoisonMessage(f"proposal {proposal.proposal_id} names unknown beneficiary {proposal.beneficiary_id}")
    chosen = next((r for r in proposal.ranked if r.opening_id == proposal.held.opening_id), None)
    if chosen is None:
        raise PoisonMessage(f"proposal {proposal.proposal_id} holds a seat on an opening it does not rank")
    referral_id = referral_id_for(proposal.beneficiary_id, chosen.opening_id)
    existing = await views.get(referral_id)
    if existing is not None:
        return existing  # published and applied before: a redelivered or repeated proposal
    opening = await store.get_opening(chosen.opening_id)
    now = clock()
    days = response_days(opening)
    candidate = candidate_summary(
        signing.profile(),
        now.date(),
        await pools_allowed(store, signing.beneficiary_id, chosen.programme, signing.consent_to_share),
        opening,
    )
    send_by = None if proposal.window is not None else windows.send_by(now, opening, days, candidate.orient_by)
    event = ReferralEvent(
        referral_id=referral_id,
        beneficiary_id=proposal.beneficiary_id,
        opening_id=chosen.opening_id,
        partner_id=chosen.partner_id,
        programme=chosen.programme,
        status=ReferralStatus.PROPOSED if send_by else ReferralStatus.SENT,
        occurred_at=now,
        score=chosen.score,
        reasons=[r for r in chosen.reasons if not r.startswith(SUCCESS_ESTIMATE)],  # for the auditor only
        candidate=candidate,
        actor="matching",
        respond_by=None if send_by else now + timedelta(days=days),
        send_by=send_by,
        note=_moved_note(proposal),
    )
    return await publish_and_apply(event, views, publishers)


def _moved_note(proposal: MatchingProposal) -> str | None:
    window = proposal.window
    if window is None:
        return None
    if window.previous_opening_id is None:
        return (
            f"fenêtre de décision du {window.window_id} : place attribuée à la clôture, envoyée / seat given when"
            " the window closed, sent"
        )
    return (
        f"fenêtre de décision du {window.window_id} : déplacée depuis {window.previous_opening_id},"
        " envoyée / moved here when the window closed, sent"
    )


async def publish_and_apply(event: ReferralEvent, views: Views, publishers: Publishers) -> ReferralView:
    """The log first, then its projection (the view): a crash in between is repaired when the event is
    consumed back."""
    await publishers.referral_events.publish(
        event, key=event.beneficiary_id, event_id=referral_event_id(event.referral_id, event.sequence)
    )
    view = await views.get(event.referral_id)
    assert view is not None
    return view
