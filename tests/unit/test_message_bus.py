"""The command bus runs a command's one handler and refuses a command it has no handler for."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import pytest

from services.matching.service_layer import commands as matching_commands
from services.notifications.service_layer import commands as notifications_commands
from services.referrals.service_layer import commands
from shared.messaging.command_bus import Command, CommandBus
from tests.unit.fakes.harness import MatchingHarness, NotificationsHarness, ReferralsHarness


@dataclass(frozen=True)
class Double(Command[int]):
    n: int


@dataclass(frozen=True)
class Unknown(Command[None]):
    pass


async def test_a_command_gets_what_its_handler_returns_and_an_unknown_one_is_refused() -> None:
    async def double(c: Double) -> int:
        return 2 * c.n

    bus = CommandBus({Double: double})

    assert await bus.handle(Double(21)) == 42
    with pytest.raises(LookupError, match="no handler for Unknown"):
        await bus.handle(Unknown())


@pytest.mark.parametrize(
    ("module", "harness"),
    [
        (commands, ReferralsHarness),
        (matching_commands, MatchingHarness),
        (notifications_commands, NotificationsHarness),
    ],
)
def test_every_command_of_a_service_has_its_handler_on_the_bus_its_bootstrap_builds(
    module: ModuleType, harness: type[ReferralsHarness | MatchingHarness | NotificationsHarness]
) -> None:
    declared = {c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Command) and c is not Command}
    bus = harness().bus
    assert declared and declared == set(bus.handlers), declared ^ set(bus.handlers)


async def test_the_schedules_commands_reach_their_adapters_and_a_lease_held_elsewhere_solves_nothing() -> None:
    matching = MatchingHarness()
    assert await matching.bus.handle(matching_commands.Reoptimise(lease_ms=27_000)) == 0  # nobody pending
    assert matching.lease.asked == [27_000]
    matching.lease.free = False  # another instance has the turn
    assert await matching.bus.handle(matching_commands.Reoptimise(lease_ms=27_000)) == 0
    assert matching.lease.asked == [27_000, 27_000]

    notifications = NotificationsHarness()
    await notifications.bus.handle(notifications_commands.SendDueWebhooks())
    assert notifications.webhooks.rounds == 1
    assert await notifications.bus.handle(notifications_commands.Redeliver("no-such-job", "epide")) is None
