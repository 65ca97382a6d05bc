"""Real-time calibration of the square-root transient impact model from our own fills and later mids.

Each observation is one aggressive child execution: what we traded, the mid just before it, and the mid
some seconds after it (a *markout*, typically 10-60 s). A market order is instantaneous: what it moves
shows in the later mid, not in its own fill (it walks the visible book, which the mid before already
prices), so impact is identified from markouts. Against :class:`execdesk.domain.impact.SquareRootImpact`
(all figures in bps of ``mid_before``, ``s = +1`` for a buy and ``-1`` for a sell):

* ``y = s (mid_after - mid_before) / mid_before``: the markout, a cost when positive;
* ``x_Y = s sigma_daily [g(E_after / ADV) - g(E_before / ADV)]``, ``g(e) = sgn(e) sqrt(|e|)``: how much
  the square-root displacement of our impact volume ``E`` (our signed quantity, forgotten with the
  model's half-life) changed between the two mids. ``E_before`` is what our earlier fills left,
  ``E_after`` includes this child and any of ours up to the later mid;
* ``x_gamma = s sigma_daily (our net signed quantity from the child to the later mid) / ADV``;

and ``y = c + Y x_Y + gamma x_gamma + noise`` is fitted by least squares **with an intercept** ``c``
(drift and adverse selection common to every observation) and heteroskedasticity-consistent (White HC1)
standard errors: a markout's noise is the market's volatility over the markout, which varies from one
observation to the next. Observations of varying size identify ``Y``; ``gamma`` is small in crypto and
mostly shows as a wide standard error. The fit uses the last ``window`` observations; each fit is O(n)
with numpy (n <= 1,000: well under a millisecond).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from execdesk.domain.impact import BPS, HOURS_PER_DAY, SquareRootImpact
from execdesk.domain.orders import Side

DEFAULT_WINDOW = 1000  # the seed's rolling window
DEFAULT_MIN_OBSERVATIONS = 30  # fewer than this and a slope is mostly noise: the prior serves

_Y, _XY, _XG, _FILL = range(4)


class CalibrationInputError(ValueError):
    """An observation that cannot be used to calibrate impact."""


def _signed_sqrt(e: float) -> float:
    return math.copysign(math.sqrt(abs(e)), e)


@dataclass(frozen=True)
class ImpactObservation:
    """One aggressive child execution and a later mid.

    ``impact_before`` is our impact volume just before the child (signed base units: our earlier fills,
    each decayed by the model's half-life to the child's time; 0 for an isolated child).
    ``impact_after`` is the same at the later mid, including the child; ``None`` means the child was our
    only fill since, and the calibrator decays ``impact_before + s quantity`` over ``markout_s`` itself.
    ``traded_after`` is our signed quantity filled after the child and before the later mid.
    """

    side: Side
    quantity: float
    price: float  # average fill price
    mid_before: float
    mid_after: float  # markout_s seconds after the execution
    markout_s: float
    volatility_1h: float  # as in MarketSnapshot: fraction per hour
    adv: float  # base units per day
    spread_bps: float = 0.0  # at mid_before; half of it is the cost of crossing, not impact
    impact_before: float = 0.0
    impact_after: float | None = None
    traded_after: float = 0.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "side", Side(self.side))
        except ValueError:
            raise CalibrationInputError(f"side must be 'buy' or 'sell', got {self.side!r}") from None
        for name in ("quantity", "price", "mid_before", "mid_after", "adv"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise CalibrationInputError(f"{name} must be > 0 and finite, got {value!r}")
        for name in ("volatility_1h", "spread_bps", "markout_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise CalibrationInputError(f"{name} must be >= 0 and finite, got {value!r}")
        for name in ("impact_before", "impact_after", "traded_after"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
                raise CalibrationInputError(f"{name} must be a finite number, got {value!r}")

    @property
    def sigma_daily(self) -> float:
        return self.volatility_1h * math.sqrt(HOURS_PER_DAY)

    @property
    def markout_bps(self) -> float:
        """The later mid against the mid before, a cost when positive: the impact we caused and noise."""
        return self.side.sign * (self.mid_after - self.mid_before) / self.mid_before * BPS

    @property
    def realised_cost_bps(self) -> float:
        """The fill against the mid before, beyond half the spread: the visible book's walk."""
        return self.side.sign * (self.price - self.mid_before) / self.mid_before * BPS - self.spread_bps / 2.0

    def regressors(self, half_life_s: float) -> tuple[float, float]:
        """``(x_Y, x_gamma)`` in bps, with ``E_after`` decayed at ``half_life_s`` when not given."""
        s = self.side.sign
        after = self.impact_after
        if after is None:
            after = (self.impact_before + s * self.quantity) * 0.5 ** (self.markout_s / half_life_s)
        scale = s * self.sigma_daily * BPS
        x_y = scale * (_signed_sqrt(after / self.adv) - _signed_sqrt(self.impact_before / self.adv))
        x_gamma = scale * (s * self.quantity + self.traded_after) / self.adv
        return x_y, x_gamma

    def predicted_markout_bps(self, model: SquareRootImpact) -> float:
        """What ``model`` expects the markout to be (without an intercept)."""
        x_y, x_gamma = self.regressors(model.half_life_s)
        return model.y * x_y + model.gamma * x_gamma


@dataclass(frozen=True)
class RobustFit:
    """Least squares with White's HC1 standard errors (MacKinnon & White 1985)."""

    coefficients: tuple[float, ...]
    stderr: tuple[float, ...]
    r_squared: float | None
    n: int


def robust_least_squares(x: np.ndarray, y: np.ndarray) -> RobustFit:
    """``y = X b + e`` by least squares (``X`` as given: add the column of ones for an intercept), with
    the heteroskedasticity-consistent covariance ``n / (n - k) (X'X)^-1 (sum e_i^2 x_i x_i') (X'X)^-1``.

    Raises ``ValueError`` when ``X`` has no more rows than columns or is rank-deficient.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n, k = x.shape
    if n <= k:
        raise ValueError(f"need more observations ({n}) than coefficients ({k})")
    if np.linalg.matrix_rank(x) < k:
        raise ValueError("the regressors are collinear (or one is constant): the coefficients are not identified")
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    resid = y - x @ beta
    meat = (x * (resid * resid)[:, None]).T @ x
    cov = xtx_inv @ meat @ xtx_inv * (n / (n - k))
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(resid @ resid) / sst if sst > 0 else None
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return RobustFit(tuple(float(b) for b in beta), tuple(float(v) for v in se), r2, n)


@dataclass(frozen=True)
class ImpactFit:
    """The coefficients in use, their standard errors and where they came from."""

    y: float
    gamma: float
    half_life_s: float
    n: int
    source: str  # "fitted", "partly fitted" or "prior"
    note: str
    y_stderr: float | None = None
    gamma_stderr: float | None = None
    intercept_bps: float | None = None
    intercept_stderr: float | None = None
    r_squared: float | None = None

    @property
    def model(self) -> SquareRootImpact:
        return SquareRootImpact(y=self.y, half_life_s=self.half_life_s, gamma=self.gamma)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "square_root",
            "y": self.y,
            "gamma": self.gamma,
            "half_life_s": self.half_life_s,
            "n": self.n,
            "source": self.source,
            "note": self.note,
            "y_stderr": self.y_stderr,
            "gamma_stderr": self.gamma_stderr,
            "intercept_bps": self.intercept_bps,
            "intercept_stderr": self.intercept_stderr,
            "r_squared": self.r_squared,
        }


@dataclass(frozen=True)
class PredictedVsRealised:
    """The model in use (fitted or prior) against the window's markouts, in bps."""

    n: int
    mean_predicted_bps: float | None
    mean_realised_bps: float | None
    ratio: float | None  # realised / predicted
    r_squared: float | None
    rmse_bps: float | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        def r(value: float | None, digits: int = 4) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "n": self.n,
            "mean_predicted_bps": r(self.mean_predicted_bps),
            "mean_realised_bps": r(self.mean_realised_bps),
            "ratio": r(self.ratio),
            "r_squared": r(self.r_squared),
            "rmse_bps": r(self.rmse_bps),
            "source": self.source,
        }


class ImpactCalibrator:
    """``Y`` and ``gamma`` of the square-root transient model over a rolling window of markouts; the
    half-life stays the prior's (markouts 10-60 s after a child cannot tell a 10-minute decay apart)."""

    def __init__(
        self,
        window: int = DEFAULT_WINDOW,
        *,
        prior: SquareRootImpact | None = None,
        min_observations: int = DEFAULT_MIN_OBSERVATIONS,
    ) -> None:
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be an integer >= 1, got {window!r}")
        if (
            isinstance(min_observations, bool)
            or not isinstance(min_observations, int)
            or min_observations < 4
        ):
            raise ValueError(f"min_observations must be an integer >= 4, got {min_observations!r}")
        if min_observations > window:
            raise ValueError(
                f"min_observations must not exceed window, got {min_observations!r} > {window!r}"
            )
        self.window = window
        self.min_observations = min_observations
        self.prior = prior or SquareRootImpact()
        self._rows: deque[tuple[float, float, float, float]] = deque(maxlen=window)

    def __len__(self) -> int:
        return len(self._rows)

    def observe(self, observation: ImpactObservation) -> None:
        x_y, x_gamma = observation.regressors(self.prior.half_life_s)
        self._rows.append((observation.markout_bps, x_y, x_gamma, observation.realised_cost_bps))

    def fit(self) -> ImpactFit:
        n, prior = len(self._rows), self.prior
        if n < self.min_observations:
            return ImpactFit(prior.y, prior.gamma, prior.half_life_s, n, "prior",
                             f"{n} of the {self.min_observations} observations needed: using the prior")
        data = np.array(self._rows)
        y, ones = data[:, _Y], np.ones(n)
        notes: list[str] = []
        try:
            fit = robust_least_squares(np.column_stack((ones, data[:, _XY], data[:, _XG])), y)
            (c, y_hat, g_hat), (c_se, y_se, g_se) = fit.coefficients, fit.stderr
        except ValueError:
            try:  # gamma's regressor is collinear with Y's (e.g. one size only): fit Y alone
                fit = robust_least_squares(np.column_stack((ones, data[:, _XY])), y)
            except ValueError as exc:
                return ImpactFit(prior.y, prior.gamma, prior.half_life_s, n, "prior",
                                 f"not identified ({exc}): using the prior")
            (c, y_hat), (c_se, y_se) = fit.coefficients, fit.stderr
            g_hat, g_se = prior.gamma, None
            notes.append("gamma: not separable from Y in this window, prior kept")
        y_fitted, g_fitted = True, g_se is not None
        if not y_hat > 0:
            # the model needs Y > 0: a non-positive fit means noise dominates (or the fills were passive)
            notes.append(f"Y: fitted {y_hat:.4g} <= 0 (noise or passive fills?): prior kept")
            y_hat, y_fitted = prior.y, False
        if g_fitted and g_hat < 0:
            notes.append(f"gamma: fitted {g_hat:.4g} < 0, floored at 0")
            g_hat = 0.0
        source = {2: "fitted", 1: "partly fitted", 0: "prior"}[y_fitted + g_fitted]
        note = "; ".join(notes) if notes else (
            f"markouts over the last {n} executions: least squares with an intercept, HC1 errors"
        )
        return ImpactFit(y_hat, g_hat, prior.half_life_s, n, source, note, y_se, g_se, c, c_se, fit.r_squared)

    def model(self) -> SquareRootImpact:
        """The model with the coefficients in use; see :meth:`fit` for their provenance."""
        return self.fit().model

    def predicted_vs_realised(self) -> PredictedVsRealised:
        fit = self.fit()
        n = len(self._rows)
        if n == 0:
            return PredictedVsRealised(0, None, None, None, None, None, fit.source)
        data = np.array(self._rows)
        realised = data[:, _Y]
        predicted = fit.y * data[:, _XY] + fit.gamma * data[:, _XG]
        mean_p, mean_r = float(predicted.mean()), float(realised.mean())
        sse = float(np.sum((realised - predicted) ** 2))
        sst = float(np.sum((realised - mean_r) ** 2))
        return PredictedVsRealised(
            n=n,
            mean_predicted_bps=mean_p,
            mean_realised_bps=mean_r,
            ratio=mean_r / mean_p if mean_p != 0 else None,
            r_squared=1.0 - sse / sst if sst > 0 and n > 1 else None,
            rmse_bps=math.sqrt(sse / n),
            source=fit.source,
        )
