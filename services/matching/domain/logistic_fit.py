"""The fitting under the success model: a logistic regression with an L2 penalty of its own per column,
and the calibration of its decisions (Platt's sigmoid, or isotonic steps), both as plain arrays."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from shared.contract.events.model import MAX_THRESHOLDS

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Linear:
    weights: np.ndarray
    intercept: float

    def decision(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights + self.intercept


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> Linear:
    """Logistic regression on standardised columns with an L2 penalty of its own per column (half
    penalty x weight squared: the base columns lightly, what is learned beyond them more), returned on
    the columns' own scale. scikit-learn's LogisticRegression takes one penalty for every column."""
    x = x.astype(np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    sign = 2.0 * y - 1.0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[:-1]
        margin = sign * (z @ w + theta[-1])
        slope = -sign * expit(-margin)
        loss = float(np.logaddexp(0.0, -margin).sum() + 0.5 * penalty @ (w * w))
        return loss, np.append(z.T @ slope + penalty * w, slope.sum())

    theta = minimize(objective, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000}).x
    weights = theta[:-1] / scale
    return Linear(weights, float(theta[-1] - weights @ mean))


@dataclass(frozen=True)
class Calibrator:
    method: str
    thresholds: tuple[np.ndarray, np.ndarray] | None = None
    ab: tuple[float, float] | None = None

    def __call__(self, d: np.ndarray) -> np.ndarray:
        if self.thresholds is not None:
            return np.interp(d, *self.thresholds)
        assert self.ab is not None
        return 1.0 / (1.0 + np.exp(self.ab[0] * d + self.ab[1]))


def calibrate(d: np.ndarray, y: np.ndarray, method: str) -> Calibrator:
    if method == "isotonic":
        fitted = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(d, y)
        x, p = fitted.X_thresholds_, fitted.y_thresholds_
        if len(x) > MAX_THRESHOLDS:  # the artefact's bound: the same step function, sampled
            x = np.quantile(x, np.linspace(0, 1, MAX_THRESHOLDS))
            p = fitted.predict(x)
        return Calibrator(method, thresholds=(x, p))
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(d.reshape(-1, 1), y)  # Platt scaling
    return Calibrator(method, ab=(-float(platt.coef_[0, 0]), -float(platt.intercept_[0])))


# The fits multiply tall, narrow matrices (10,000 x 120) and grow small trees: BLAS and OpenMP threads cost
# more than they bring, and on a busy two-core machine far more (a choice on 10,752 outcomes took 50 s of
# wall time with the libraries' threads, 1.3 s with one each).
def one_thread(train: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(train)
    def limited(*args: P.args, **kwargs: P.kwargs) -> T:
        with threadpool_limits(limits=1):
            return train(*args, **kwargs)

    return limited
