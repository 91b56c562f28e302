from datetime import timedelta

from services.matching.service_layer.propose import ProposalPolicy
from tests.factories import epide_opening


def test_a_seat_is_held_until_the_partner_has_had_its_time_to_answer() -> None:
    policy = ProposalPolicy(hold_for=timedelta(days=7))
    assert policy.hold_on(epide_opening(response_days=30)) == timedelta(days=31)  # SPIE answers within 30 days
    assert policy.hold_on(epide_opening(response_days=7)) == timedelta(days=8)
    assert policy.hold_on(epide_opening(response_days=2)) == timedelta(days=7)  # never less than the policy
