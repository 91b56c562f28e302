"""The batch of signings, line by line, through referrals' wiring over fakes; and the import command's
chunks."""

from __future__ import annotations

import json

import pytest

from passerelle.import_command import MAX_CHUNK_BYTES, chunks
from services.referrals.entrypoints.signing_batches_api import Line, LineResult, LineStatus, _parse, record_lines
from shared.contract.topics import BENEFICIARY_PROFILE, REFERRALS_KEY, REFERRALS_SIGNING
from shared.principals import Principal, Role
from tests.factories import signing_body
from tests.unit.fakes.harness import ReferralsHarness

AUDITOR_67 = Principal(role=Role.AUDITOR, key_id="k", departments=frozenset({"67"}))


def _line(number: int, body: object) -> Line | LineResult:
    return _parse(number, json.dumps(body) if not isinstance(body, str) else body)


async def test_each_line_is_answered_on_its_own_and_a_bad_one_stops_nothing() -> None:
    h = ReferralsHarness()
    good, twice = signing_body(department="67"), signing_body(department="67")
    other = dict(twice, french_level="C1")  # the same id, other facts
    parsed = [
        _line(1, good), _line(2, "{not json"), _line(3, signing_body(department="67", birth_date="tomorrow")),
        _line(4, twice), _line(5, twice), _line(6, other), _line(7, signing_body(department="75")),
    ]  # fmt: skip

    results = await record_lines([p for p in parsed if isinstance(p, Line)], AUDITOR_67, h.context)
    refused = [p for p in parsed if isinstance(p, LineResult)]

    by_line = {r.line: r for r in [*results, *refused]}
    assert [by_line[n].status for n in range(1, 8)] == [
        LineStatus.ACCEPTED, LineStatus.INVALID, LineStatus.INVALID, LineStatus.ACCEPTED, LineStatus.DUPLICATE,
        LineStatus.CONFLICT, LineStatus.FORBIDDEN,
    ]  # fmt: skip
    assert by_line[2].errors[0]["loc"] == ["body", 2] and by_line[2].errors[0]["type"] == "json_invalid"
    assert by_line[3].errors[0]["loc"] == ["body", 3, "birth_date"]
    assert by_line[3].beneficiary_id is not None  # says whose line it was, without echoing the values
    assert "tomorrow" not in json.dumps(by_line[3].model_dump())
    assert {s.beneficiary_id for s in await h.records.all_signings()} == {
        good["beneficiary_id"],
        twice["beneficiary_id"],
    }


async def test_a_line_with_an_implausible_date_names_its_field() -> None:
    h = ReferralsHarness()
    [result] = await record_lines(
        [_line(9, signing_body(department="67", birth_date="1900-01-01"))],  # type: ignore[list-item]
        AUDITOR_67,
        h.context,
    )
    assert result.status is LineStatus.INVALID and result.errors[0]["loc"] == ["body", 9, "birth_date"]


def test_chunks_keep_the_order_and_stay_under_both_limits() -> None:
    lines = [(n, "x" * 1000) for n in range(1, 2001)]

    found = list(chunks(lines, 500))

    assert [number for chunk in found for number, _ in chunk] == list(range(1, 2001))
    assert all(len(chunk) <= 500 for chunk in found)
    assert all(sum(len(line) + 1 for _, line in chunk) <= MAX_CHUNK_BYTES for chunk in found)
    assert (
        len(list(chunks([(1, "x" * (2 * MAX_CHUNK_BYTES))], 500))) == 1
    )  # one huge line still goes (the server says 413)


def _lines(*bodies: dict[str, object]) -> list[Line]:
    parsed = [_line(n, body) for n, body in enumerate(bodies, start=1)]
    assert all(isinstance(p, Line) for p in parsed)
    return parsed  # type: ignore[return-value]


class _Unreachable:
    """A topic that cannot be reached (the broker down): publishing fails."""

    topic = BENEFICIARY_PROFILE.name

    async def publish(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("broker unreachable")


async def test_a_batch_cut_short_is_completed_by_its_repeat_with_the_same_keys() -> None:
    h = ReferralsHarness()
    lines = _lines(*(signing_body(department="67") for _ in range(3)))
    working, h.publishers.profiles = h.publishers.profiles, _Unreachable()  # type: ignore[assignment]

    with pytest.raises(ConnectionError):
        await record_lines(lines, AUDITOR_67, h.context)
    assert h.log.events(BENEFICIARY_PROFILE.name) == []
    h.publishers.profiles = working
    results = await record_lines(lines, AUDITOR_67, h.context)

    assert [r.status for r in results] == [LineStatus.DUPLICATE] * 3  # the signings were on record
    assert len(h.log.events(BENEFICIARY_PROFILE.name)) == 3  # … and their profiles go now
    assert len(h.log.events(REFERRALS_KEY.name)) == 3  # one key each: the repeat drew none
    assert len(h.log.events(REFERRALS_SIGNING.name)) == 3
