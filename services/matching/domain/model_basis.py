"""The columns each candidate model may use, before training chooses among the candidates.

- the pair features alone (`PLAIN_COLUMNS`);
- with an effect per programme that has enough outcomes;
- with what the history may show beyond straight lines and separate effects: hinges where an effect can
  bend, each fact of the person times each fact of the opening or the pair (housing offered to someone
  who needs it and would move; French above the bar for a programme that asks for little), and a slope
  of its own per frequent programme. L2-regularised, the learner keeps what the outcomes support."""

from __future__ import annotations

from collections.abc import Sequence

from services.matching.domain.model_columns import MAX_NAME, PLAIN_COLUMNS, Column, programme_effects

# Where an effect may bend: between CEFR levels (sixths), between diploma levels (eighths), and at
# a weak and a strong occupational fit.
HINGES = {
    "french_margin": (0.5 / 6, 1.5 / 6),
    "french_level": (1.5 / 6, 2.5 / 6, 3.5 / 6),
    "occupation_similarity": (0.2, 0.5),
    "diploma_level": (2.5 / 8, 4.5 / 8),
}
PERSON = ("french_level", "diploma_level", "needs_housing", "mobility_region", "mobility_national", "experienced")
# Facts of one side alone: a person's raise everyone's or no one's chances, which matters when seats are few.
MAIN = ("needs_housing", "mobility_region", "mobility_national", "experienced", "offers_housing", "min_french")
# ... and of the pair: a target trade practised, not only a near one (F1703 for F1703, not F1701).
MORE = (*MAIN, "occupation_exact")
# Facts of the pair that change each other's effect (housing offered, to someone who moves away).
PAIR = (
    "occupation_similarity",
    "occupation_exact",
    "french_margin",
    "same_department",
    "relocation",
    "housing_met",
    "housing_unmet",
)
OPENING_OR_PAIR = (
    "occupation_similarity",
    "general_programme",
    "french_margin",
    "same_department",
    "relocation",
    "offers_housing",
    "housing_met",
    "housing_unmet",
    "min_french",
)
# Products that repeat a pair feature or are always zero.
REDUNDANT = {
    ("needs_housing", "offers_housing"),
    ("needs_housing", "housing_met"),
    ("needs_housing", "housing_unmet"),
    ("experienced", "occupation_similarity"),
    ("same_department", "relocation"),
    ("occupation_similarity", "occupation_exact"),
    ("housing_met", "housing_unmet"),
}
SLOPES = (
    "occupation_similarity",
    "occupation_exact",
    "french_level",
    "french_margin",
    "diploma_level",
    "relocation",
    "housing_met",
)
MAX_SLOPE_PROGRAMMES = 8


def more_facts_columns() -> tuple[Column, ...]:
    return tuple(Column(signal) for signal in MORE)


def hinge_columns() -> tuple[Column, ...]:
    return tuple(Column(signal, knot=knot) for signal, knots in HINGES.items() for knot in knots)


def product_columns() -> tuple[Column, ...]:
    across = [(person, other) for person in PERSON for other in OPENING_OR_PAIR]
    within = [(a, b) for k, a in enumerate(PAIR) for b in PAIR[k + 1 :]]
    return tuple(Column(a, times=b) for a, b in across + within if (a, b) not in REDUNDANT)


def slope_columns(programmes: Sequence[str]) -> tuple[Column, ...]:
    columns = (Column(s, programme=p) for p in programmes[:MAX_SLOPE_PROGRAMMES] for s in SLOPES)
    return tuple(c for c in columns if len(c.name) <= MAX_NAME)


def with_programmes(programmes: Sequence[str]) -> tuple[Column, ...]:
    return PLAIN_COLUMNS + programme_effects(programmes)


def with_interactions(programmes: Sequence[str], slope_programmes: Sequence[str]) -> tuple[Column, ...]:
    return (
        PLAIN_COLUMNS + more_facts_columns() + programme_effects(programmes) + hinge_columns()
        + product_columns() + slope_columns(slope_programmes)
    )  # fmt: skip
