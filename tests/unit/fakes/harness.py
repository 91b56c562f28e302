"""Each service wired as its bootstrap wires it, over the in-memory fakes and an in-memory log: the use
cases, the projection table and the consumed-topic routes are the production ones."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.matching.bootstrap import MatchingAdapters
from services.matching.bootstrap import bootstrap as matching_bootstrap
from services.matching.config import MatchingSettings
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.service_layer.history import OutcomeRecord
from services.notifications.bootstrap import NotificationsAdapters
from services.notifications.bootstrap import bootstrap as notifications_bootstrap
from services.notifications.config import NotificationsSettings
from services.referrals.bootstrap import ReferralsAdapters
from services.referrals.bootstrap import bootstrap as referrals_bootstrap
from services.referrals.config import ReferralsSettings
from services.referrals.domain.records import SigningRecorded, SigningSealed
from services.referrals.service_layer.partner_mail import PartnerMail
from shared.contract.cloudevents import new_attributes
from shared.contract.events import ReferralEvent
from shared.contract.events.envelope import Event
from shared.contract.topics import (
    REFERRALS_SIGNING,
)
from shared.messaging.consuming import Route, decode_event
from shared.messaging.projections import ProjectionTable, Publisher, rebuild_from_log
from shared.messaging.topology import Published
from tests.fake_log import MemoryEventLog
from tests.unit.fakes import matching as mf
from tests.unit.fakes import notifications as nf
from tests.unit.fakes import referrals as rf

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# What the services' settings need to be built; nothing here connects to them.
SETTINGS = {"kafka_bootstrap_servers": "memory", "redis_url": "memory://", "environment": "test"}
MAX_BYTES = 256 * 1024
RETENTION_MONTHS: int = ReferralsSettings.model_fields["retention_months"].default  # what the harness runs with


class Clock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Harness:
    """What every service harness shares: a log, a clock, the projection table and the routes."""

    log: MemoryEventLog
    clock: Clock
    table: ProjectionTable
    routes: list[Route]

    def state(self) -> dict[str, Any]:
        """Everything the projections wrote (the fakes' contents), to compare a rebuilt state with."""
        raise NotImplementedError

    async def consume(self, event: Event, topic: str | None = None) -> None:
        """`event` arrives on its topic (another service published it): it is on the log, and the route of
        its topic handles it, as the subscriber would after decoding it."""
        topic = topic or next(r.topic for r in self.routes if r.model is type(event))
        attributes = new_attributes(event.EVENT_TYPE, "/test", subject="k", time=self.clock())
        self.log.append(topic, "k", event, attributes)
        await self._route(topic).handler(event, attributes)

    async def deliver(self, topic: str) -> int:
        """Consume back what is on `topic` (this service's own events, when it subscribes to them)."""
        route = self._route(topic)
        records = self.log.events(topic)
        for record in records:
            event, attributes = decode_event(route.model, record.value or b"", dict(record.headers), MAX_BYTES)
            await route.handler(event, attributes)
        return len(records)

    def _outlet(self, entry: Published) -> Publisher:
        """Where the service's bootstrap publishes: this harness's log in memory."""
        return self.log.publisher(entry.topic.name)

    def _route(self, topic: str) -> Route:
        return next(r for r in self.routes if r.topic == topic)

    def events(self, topic: str, model: type[Event]) -> list[Any]:
        """The events published on `topic` (its tombstones carry none)."""
        return [model.model_validate_json(r.value) for r in self.log.events(topic) if r.value is not None]

    def fresh_state(self) -> None:
        raise NotImplementedError

    def lose_state(self) -> None:
        """Redis is lost: empty fakes, wired again (the log stays)."""
        self.fresh_state()

    async def rebuilt(self, missing: int | None = None) -> dict[str, int]:
        """Lose the state and rebuild it from the log with the service's projection table (without its
        `missing`-th projection, if given)."""
        self.lose_state()
        projections = list(self.table)
        if missing is not None:
            del projections[missing]
        return await rebuild_from_log(self.log, ProjectionTable(projections), MAX_BYTES)

    async def rebuilt_without(self, missing: int) -> str:
        """Lose the state and rebuild it without the `missing`-th projection; returns that one's name."""
        await self.rebuilt(missing)
        return list(self.table)[missing].name


@dataclass
class SentMail:
    events: list[ReferralEvent] = field(default_factory=list)

    async def mail_about(self, event: ReferralEvent) -> bool:
        """What PartnerMail would e-mail about (a referral sent, a reminder), kept instead of sent."""
        if not PartnerMail.wants_mail(event):
            return False
        self.events.append(event)
        return True

    async def retry_failed(self) -> int:
        return 0  # nothing kept here ever fails


class ReferralsHarness(Harness):
    def __init__(self, log: MemoryEventLog | None = None) -> None:
        self.log, self.clock = log or MemoryEventLog(), Clock()
        self.mail = SentMail()
        self.fresh_state()

    def fresh_state(self) -> None:
        self.records, self.views, self.flags = rf.FakeRecords(), rf.FakeViews(), rf.FakeFlags()
        self.credentials, self.subscriptions = rf.FakeCredentialRecords(), rf.FakeSubscriptions()
        self.keys = rf.FakePersonalKeys(erased=self.records.erased)
        adapters = ReferralsAdapters(
            store=self.records, views=self.views, flags=self.flags, credentials=self.credentials,  # type: ignore[arg-type]
            subscriptions=self.subscriptions, personal_keys=self.keys, locks=rf.FakeLocks(),  # type: ignore[arg-type]
        )  # fmt: skip
        settings = ReferralsSettings.model_validate(SETTINGS)
        wired = referrals_bootstrap(settings, adapters, self._outlet, self.log, self.clock, lambda audit: self.mail)
        self.table, self.routes, self.context = wired.table, wired.routes, wired.context
        self.publishers, self.lifecycle, self.bus = self.context.publishers, self.context.lifecycle, self.context.bus
        self.keyring = self.context.keyring

    async def logged_signings(self) -> list[SigningRecorded | None]:
        """The private log's signings, opened with the people's keys (None: a key that is gone)."""
        return [await self.keyring.open_signing(s) for s in self.events(REFERRALS_SIGNING.name, SigningSealed)]

    def state(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "records": self.records,
                "views": self.views,
                "flags": self.flags,
                "credentials": self.credentials,
                "subscriptions": self.subscriptions,
                "keys": self.keys,
            }
        )


class MatchingHarness(Harness):
    def __init__(
        self,
        log: MemoryEventLog | None = None,
        models: mf.FakeModels | None = None,
        own_model: SuccessModel | None = None,
        history: Sequence[OutcomeRecord] = (),
    ) -> None:
        """`own_model` and `history`: what `bootstrap.start_up_history` gives an instance started with a
        history file (the model learned from it, and the records learned from again at each retraining)."""
        self.log, self.clock = log or MemoryEventLog(), Clock()
        self.models = models or mf.FakeModels()
        self.own_model, self.history = own_model or prior_model(), history
        self.failures: list[tuple[str, str]] = []  # what the trainer reported on ops.metrics.v1
        self.fresh_state()

    def lose_state(self) -> None:
        self.models = mf.FakeModels()  # the model kept in Redis goes too
        self.fresh_state()

    def fresh_state(self) -> None:
        self.openings, self.seats, self.profiles = mf.FakeOpenings(), mf.FakeSeats(), mf.FakeProfiles()
        self.pending, self.tried, self.outcomes = mf.FakePending(), mf.FakeTried(), mf.FakeOutcomes()
        self.prices, self.lease, self.waiting = mf.FakePrices(), mf.FakeLease(), mf.FakeWaitingRoom()
        self.choices = mf.FakeChoices()
        adapters = MatchingAdapters(
            openings=self.openings, prices=self.prices, pending=self.pending, seats=self.seats,
            profiles=self.profiles, models=self.models, tried=self.tried, outcomes=self.outcomes,
            window_decisions=mf.FakeWindowDecisions(), lease=self.lease, waiting=self.waiting,
            choices=self.choices,
        )  # fmt: skip
        wired = matching_bootstrap(
            MatchingSettings.model_validate(SETTINGS), adapters, self._outlet, self.log, self.clock,
            lambda topic, error: self.failures.append((topic, error)), self.history, self.own_model,
        )  # fmt: skip
        self.table, self.routes, self.live = wired.table, wired.routes, wired.live
        self.feedback, self.windows, self.policy = wired.feedback, wired.windows, wired.policy
        self.bus, self.demand = wired.bus, wired.demand

    def state(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "openings": self.openings.openings,
                "seats": self.seats,
                "profiles": self.profiles,
                "pending": self.pending,
                "tried": self.tried,
                "outcomes": self.outcomes,
                "models": self.models,
                "waiting": self.waiting.waiting,
                "choices": self.choices.chosen,
            }
        )


class NotificationsHarness(Harness):
    def __init__(self, log: MemoryEventLog | None = None) -> None:
        self.log, self.clock = log or MemoryEventLog(), Clock()
        self.fresh_state()

    def fresh_state(self) -> None:
        self.subscriptions, self.deliveries = nf.FakePoolSubscriptions(), nf.FakeDeliveries()
        self.outbox, self.keys = nf.FakeOutbox(), nf.FakeKeyDigests()
        self.consents, self.referrals = nf.FakeConsents(), nf.FakeReferrals()
        adapters = NotificationsAdapters(
            subscriptions=self.subscriptions, deliveries=self.deliveries, outbox=self.outbox, consents=self.consents,
            referrals=self.referrals, key_digests=self.keys, topics=nf.FakeTopics(),
        )  # fmt: skip
        settings = NotificationsSettings.model_validate(SETTINGS)
        self.webhooks = nf.FakeWebhookSending()
        wired = notifications_bootstrap(settings, adapters, self._outlet, self.log, self.clock, self.webhooks)
        self.table, self.routes, self.bus = wired.table, wired.routes, wired.bus

    def state(self) -> dict[str, Any]:
        return copy.deepcopy(
            {"subscriptions": self.subscriptions, "deliveries": self.deliveries, "keys": self.keys,
             "consents": self.consents, "referrals": self.referrals}
        )  # fmt: skip
