"""Controlled vocabularies of the profile contract."""

from __future__ import annotations

from enum import StrEnum


class FrenchLevel(StrEnum):
    """CEFR level, ordered: none < A1 < A2 < B1 < B2 < C1 < C2."""

    NONE = "none"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"

    @property
    def rank(self) -> int:
        return _CEFR_ORDER.index(self)


_CEFR_ORDER = list(FrenchLevel)


class Mobility(StrEnum):
    NONE = "none"
    REGION = "region"
    NATIONAL = "national"


class Housing(StrEnum):
    NONE = "none"
    CPH = "cph"
    CADA = "cada"
    ADOMA = "adoma"
    PRIVATE = "private"


class ProtectionStatus(StrEnum):
    REFUGEE = "refugee"
    SUBSIDIARY = "subsidiary"
    OTHER = "other"


class ReferralStatus(StrEnum):
    PROPOSED = "proposed"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


class DeclineReason(StrEnum):
    """Why a partner declined, after the reasons seen in closed-loop referral platforms."""

    NO_CAPACITY = "no_capacity"  # the session is full
    NOT_ELIGIBLE = "not_eligible"
    MISSING_DOCUMENTS = "missing_documents"
    OUT_OF_AREA = "out_of_area"
    NOT_INTERESTED = "not_interested"
    UNREACHABLE = "unreachable"
    DID_NOT_COME = "did_not_come"
    HIRED_ELSEWHERE = "hired_elsewhere"
    ALREADY_IN_TRAINING = "already_in_training"
    NOT_MOBILE = "not_mobile"
    DUPLICATE = "duplicate"
    OTHER = "other"


class OutcomeAtThreeMonths(StrEnum):
    EMPLOYED = "employed"
    IN_TRAINING = "in_training"
    NONE = "none"


class ReferralEventKind(StrEnum):
    STATUS = "status"
    REMINDER = "reminder"
    OUTCOME = "outcome"
