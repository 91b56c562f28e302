"""What referrals publishes and consumes: the one place it is written (see shared/messaging/topology.py)."""

from __future__ import annotations

from services.referrals.domain.records import PersonalKeyIssued, SigningSealed
from shared.contract.events import (
    AuditRecord,
    BeneficiaryProfile,
    ConsentRecorded,
    CredentialChange,
    DecisionWindowClosed,
    MatchingProposal,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
)
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_PROPOSAL,
    OPS_AUDIT,
    OPS_DLQ,
    OPS_HEARTBEAT,
    OPS_METRICS,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRAL_WINDOW,
    REFERRALS_CONSENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_KEY,
    REFERRALS_SIGNING,
)
from shared.messaging.topology import Consumed, Published, Topology

TOPOLOGY = Topology(
    service="referrals",
    publishes=(
        Published(BENEFICIARY_PROFILE, BeneficiaryProfile, "Pseudonymous profile of a newcomer who signed the CIR"),
        Published(PROGRAMME_OPENING, ProgrammeOpening, "A programme opening was created or changed"),
        Published(REFERRAL_EVENT, ReferralEvent, "A referral changed state"),
        Published(
            REFERRAL_WINDOW, DecisionWindowClosed, "A decision window closed: its proposed referrals, to re-solve"
        ),
        Published(PARTNER_SUBSCRIPTION, PartnerSubscription, "A partner's pool subscription changed"),
        Published(OPS_AUDIT, AuditRecord, "Who saw or changed what, when"),
        Published(
            REFERRALS_SIGNING,
            SigningSealed,
            "Referrals' private record of a CIR signing, contact details included, sealed with the person's key",
        ),
        Published(
            REFERRALS_KEY,
            PersonalKeyIssued,
            "Each person's key, wrapped by the master key; its tombstone erases the person (no other reader)",
        ),
        Published(
            REFERRALS_CREDENTIAL,
            CredentialChange,
            "Referrals' private record of partners, API key digests and accounts (notifications reads the digests)",
        ),
        Published(
            REFERRALS_CONSENT, ConsentRecorded, "A newcomer's consent, given, changed or withdrawn (every version)"
        ),
    ),
    consumes=(
        Consumed(MATCHING_PROPOSAL, MatchingProposal, "referrals.proposals", "refer_to_the_seat_held"),
        Consumed(REFERRAL_EVENT, ReferralEvent, "referrals.projection", "mail_the_partner"),
    ),
    # The operators' picture: the console's /ops pages and the ops API.
    watches=(OPS_HEARTBEAT, OPS_METRICS, OPS_DLQ),
    # Its own log, read back when its Redis state is rebuilt (DESIGN §5, rebuildable state).
    replays=(
        BENEFICIARY_PROFILE,
        PROGRAMME_OPENING,
        PARTNER_SUBSCRIPTION,
        REFERRALS_SIGNING,
        REFERRALS_KEY,
        REFERRALS_CREDENTIAL,
        REFERRALS_CONSENT,
        REFERRAL_WINDOW,
        OPS_AUDIT,
    ),
    serves_http=True,
)
