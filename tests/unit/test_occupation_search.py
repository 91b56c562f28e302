"""Finding ROME 4.0 occupations by a French job title, on the referential installed by `make install`."""

from __future__ import annotations

import pytest

from services.referrals.config import default_rome_path
from services.referrals.console.occupations import OccupationReferential


@pytest.fixture(scope="module")
def rome() -> OccupationReferential:
    return OccupationReferential.load(default_rome_path())


def test_the_whole_referential_is_installed(rome: OccupationReferential) -> None:
    assert len(rome) > 1500  # ROME 4.0 has 1,584 occupation codes
    assert rome.title("H2913") == "Soudeur / Soudeuse"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("soudeur", "H2913"), ("maçon", "F1703"), ("macon", "F1703"), ("Aide-soignant", "J1501"), ("h2913", "H2913")],
)
def test_a_typed_title_finds_its_code_first(rome: OccupationReferential, typed: str, expected: str) -> None:
    assert rome.search(typed)[0].code == expected


def test_a_kitchen_helper_is_offered_the_kitchen_trades(rome: OccupationReferential) -> None:
    codes = {o.code for o in rome.search("aide-cuisinier")}
    assert {"G1609", "G1602"} <= codes  # Cuisinier / Cuisinière, Commis / Commise de cuisine


def test_nothing_typed_finds_nothing(rome: OccupationReferential) -> None:
    assert rome.search("  ") == [] and rome.search("zzzzqqq") == []
