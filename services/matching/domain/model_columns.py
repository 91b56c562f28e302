"""The columns of a success model: what each is computed from, and how — carried by the model itself.

A column's value for a (newcomer, opening) pair is  shape(signal) x times x programme,  where
- `signal` is one of `features.SIGNALS`, or None for the constant 1 (a programme's own effect);
- `knot`, when set, makes it a hinge max(0, signal - knot): with several knots, an effect that is not a
  straight line (French one level above the bar is worth more than the next level);
- `times`, when set, multiplies by a second signal: an effect that depends on what the opening offers
  (housing offered, to someone who would move);
- `programme`, when set, keeps the column to openings of that programme: its own effect or slope.
Every reader — real-time proposals, batch and window solves, reasons, `assign`, `evaluate`, `match` —
computes a model's columns through one `ColumnPlan`, so a shape the trainer can produce is a shape every
reader reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.matching.domain.features import FEATURES, SIGNALS

PROGRAMME_PREFIX = "programme:"
MAX_NAME = 64  # a column name on matching.model.v1


class UnknownColumn(ValueError):
    """A column a model names that this matcher cannot compute (the message is French first)."""


@dataclass(frozen=True)
class Column:
    signal: str | None
    knot: float | None = None
    times: str | None = None
    programme: str | None = None

    @property
    def name(self) -> str:
        parts = []
        if self.signal is not None:
            parts.append(self.signal if self.knot is None else f"{self.signal}>{self.knot:.4g}")
        if self.times is not None:
            parts.append(self.times)
        if self.programme is not None:
            parts.append(PROGRAMME_PREFIX + self.programme)
        return "*".join(parts)

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(s for s in (self.signal, self.times) if s is not None)


PLAIN_COLUMNS = tuple(Column(name) for name in FEATURES)


def columns_from_names(names: Sequence[str]) -> tuple[Column, ...]:
    """The columns of an artefact that names them only (before columns were described): pair features
    and programme effects."""
    columns = []
    for name in names:
        if name in SIGNALS:
            columns.append(Column(name))
        elif name.startswith(PROGRAMME_PREFIX):
            columns.append(Column(None, programme=name.removeprefix(PROGRAMME_PREFIX)))
        else:
            raise UnknownColumn(f"colonne inconnue « {name} » / unknown column {name!r}")
    return tuple(columns)


def programme_effects(programmes: Sequence[str]) -> tuple[Column, ...]:
    return tuple(Column(None, programme=p) for p in programmes if len(PROGRAMME_PREFIX + p) <= MAX_NAME)


class ColumnPlan:
    """Columns compiled to a few vectorised operations, whatever their number: one gather of the signals,
    then the hinges, the products and the programme masks, each in one step."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        one = len(SIGNALS)  # the constant column appended to the signals
        index = {name: k for k, name in enumerate(SIGNALS)}
        for column in self.columns:
            unknown = [s for s in column.signals if s not in index]
            if unknown:
                raise UnknownColumn(
                    f"colonne « {column.name} » : signal inconnu {unknown[0]} / column {column.name!r}: "
                    f"unknown signal {unknown[0]!r}"
                )
            if column.knot is not None and (column.signal is None or not np.isfinite(column.knot)):
                raise UnknownColumn(f"colonne « {column.name} » : nœud invalide / column {column.name!r}: bad knot")
        if len({c.name for c in self.columns}) != len(self.columns):
            raise UnknownColumn("deux colonnes portent le même nom / two columns have the same name")
        self.programmes = tuple(dict.fromkeys(c.programme for c in self.columns if c.programme is not None))
        programme_index = {p: k for k, p in enumerate(self.programmes)}
        self._gather = np.array([one if c.signal is None else index[c.signal] for c in self.columns], dtype=np.int64)
        self._hinged = np.array([k for k, c in enumerate(self.columns) if c.knot is not None], dtype=np.int64)
        self._knots = np.array([c.knot for c in self.columns if c.knot is not None], dtype=np.float32)
        self._multiplied = np.array([k for k, c in enumerate(self.columns) if c.times is not None], dtype=np.int64)
        self._times = np.array([index[c.times] for c in self.columns if c.times is not None], dtype=np.int64)
        self._kept = np.array([k for k, c in enumerate(self.columns) if c.programme is not None], dtype=np.int64)
        self._kept_to = np.array(
            [programme_index[c.programme] for c in self.columns if c.programme is not None], dtype=np.int64
        )
        # The columns are the first signals in order: the design is a view of the signals.
        self._prefix = not (self._hinged.size or self._multiplied.size or self._kept.size) and bool(
            np.array_equal(self._gather, np.arange(len(self.columns)))
        )

    def __len__(self) -> int:
        return len(self.columns)

    def programme_index(self, programmes: Sequence[str]) -> np.ndarray:
        """Per row, the position of its programme in `self.programmes` (-1: none of them)."""
        position = {p: k for k, p in enumerate(self.programmes)}
        return np.array([position.get(p, -1) for p in programmes], dtype=np.int64)

    def design(self, signals: np.ndarray, programme: np.ndarray) -> np.ndarray:
        """The columns for rows of `signals` (n, len(SIGNALS)); `programme` from `programme_index`."""
        if self._prefix:
            return signals[:, : len(self.columns)]
        extended = np.empty((signals.shape[0], signals.shape[1] + 1), dtype=np.float32)
        extended[:, :-1] = signals
        extended[:, -1] = 1.0
        x = extended[:, self._gather]
        if self._hinged.size:
            x[:, self._hinged] = np.maximum(x[:, self._hinged] - self._knots, 0.0)
        if self._multiplied.size:
            x[:, self._multiplied] *= extended[:, self._times]
        if self._kept.size:
            x[:, self._kept] *= programme[:, None] == self._kept_to[None, :]
        return x
