"""Event models of the public contract: one frozen pydantic model per event type."""

from shared.contract.events.audit import AuditRecord
from shared.contract.events.candidate import CandidateSummary, PartnerCandidateEntry
from shared.contract.events.consent import ConsentChannel, ConsentRecorded
from shared.contract.events.credential import CredentialChange
from shared.contract.events.envelope import Event
from shared.contract.events.model import SuccessModelTrained
from shared.contract.events.opening import Eligibility, ProgrammeOpening
from shared.contract.events.profile import BeneficiaryProfile, Preferences
from shared.contract.events.proposal import HeldSeat, MatchingProposal, NotEligible, RankedOpening
from shared.contract.events.referral import ReferralEvent
from shared.contract.events.subscription import PartnerSubscription, PoolFilters, WebhookChannel
from shared.contract.events.window import DecisionWindowClosed, WindowDecision, WindowMember

__all__ = [
    "AuditRecord",
    "BeneficiaryProfile",
    "CandidateSummary",
    "ConsentChannel",
    "ConsentRecorded",
    "CredentialChange",
    "DecisionWindowClosed",
    "Eligibility",
    "Event",
    "HeldSeat",
    "MatchingProposal",
    "NotEligible",
    "PartnerCandidateEntry",
    "PartnerSubscription",
    "PoolFilters",
    "Preferences",
    "ProgrammeOpening",
    "RankedOpening",
    "ReferralEvent",
    "SuccessModelTrained",
    "WebhookChannel",
    "WindowDecision",
    "WindowMember",
]
