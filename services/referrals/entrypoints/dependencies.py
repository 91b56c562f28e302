"""FastAPI dependency aliases: routes ask for what they need, the composition root provides it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.adapters.store import ReferralStore
from services.referrals.adapters.subscriptions import Subscriptions
from services.referrals.domain.signing import SigningDateRules
from services.referrals.service_layer.handlers import Clock, Publishers
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from shared.access import Credentials
from shared.messaging.command_bus import CommandBus
from shared.webhooks.targets import WebhookTargetPolicy


@dataclass
class ReferralsContext:
    store: ReferralStore
    views: ReferralViews
    publishers: Publishers
    lifecycle: Lifecycle
    credentials: Credentials
    subscriptions: Subscriptions
    clock: Clock
    webhook_targets: WebhookTargetPolicy
    signing_dates: SigningDateRules
    flags: ReviewFlags
    bus: CommandBus  # the command side: every use case people and schedules ask for
    keyring: Keyring  # opens what is sealed with a person's key (their consent notes)


async def _context(request: Request) -> ReferralsContext:  # async: a plain def would run in a thread per request
    context: ReferralsContext = request.app.state.context
    return context


ContextDep = Annotated[ReferralsContext, Depends(_context)]
