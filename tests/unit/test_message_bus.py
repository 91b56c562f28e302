"""The command bus runs a command's one handler and refuses a command it has no handler for."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.referrals.service_layer import commands
from shared.messaging.command_bus import Command, CommandBus


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


def test_every_referrals_command_has_its_handler() -> None:
    declared = {
        c for c in vars(commands).values() if isinstance(c, type) and issubclass(c, Command) and c is not Command
    }
    bus = commands.referrals_commands(None, None, None, None, None, None, None, None, 24)  # type: ignore[arg-type]
    assert declared == set(bus.handlers), declared ^ set(bus.handlers)
