"""Event models of the public contract: one frozen pydantic model per event type."""

from shared.events.audit import AuditRecord
from shared.events.candidate import CandidateSummary, PartnerCandidateEntry
from shared.events.consent import ConsentChannel, ConsentRecorded
from shared.events.envelope import Event
from shared.events.model import SuccessModelTrained
from shared.events.opening import Eligibility, ProgrammeOpening
from shared.events.profile import BeneficiaryProfile, Preferences
from shared.events.proposal import HeldSeat, MatchingProposal, NotEligible, RankedOpening
from shared.events.referral import ReferralEvent
from shared.events.subscription import PartnerSubscription, PoolFilters, WebhookChannel
from shared.events.window import DecisionWindowClosed, WindowDecision, WindowMember

__all__ = [
    "AuditRecord",
    "BeneficiaryProfile",
    "CandidateSummary",
    "ConsentChannel",
    "ConsentRecorded",
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
