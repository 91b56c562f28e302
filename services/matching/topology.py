"""What matching publishes and consumes: the one place it is written (see shared/messaging/topology.py)."""

from __future__ import annotations

from shared.contract.events import (
    BeneficiaryProfile,
    DecisionWindowClosed,
    MatchingProposal,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_MODEL,
    MATCHING_PROPOSAL,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRAL_WINDOW,
)
from shared.messaging.topology import Consumed, Published, Topology

TOPOLOGY = Topology(
    service="matching",
    publishes=(
        Published(
            MATCHING_PROPOSAL, MatchingProposal, "Ranked, explained proposals for one beneficiary, with the seat held"
        ),
        Published(
            MATCHING_MODEL, SuccessModelTrained, "A new version of the success model, with what it was trained on"
        ),
    ),
    consumes=(
        Consumed(BENEFICIARY_PROFILE, BeneficiaryProfile, "matching.profiles", "propose_to_the_newcomer"),
        Consumed(PROGRAMME_OPENING, ProgrammeOpening, "matching.openings", "offer_the_opening"),
        Consumed(REFERRAL_EVENT, ReferralEvent, "matching.referral-events", "reroute_or_retrain"),
        Consumed(REFERRAL_WINDOW, DecisionWindowClosed, "matching.windows", "resolve_the_window"),
        # A version trained elsewhere (another instance, `passerelle train`) is adopted once it checks out.
        Consumed(MATCHING_MODEL, SuccessModelTrained, "matching.models"),
    ),
    # The proposals are the record of the seats held: read back when the state is rebuilt.
    replays=(MATCHING_PROPOSAL,),
)
