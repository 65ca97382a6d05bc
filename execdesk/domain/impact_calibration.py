"""Real-time recalibration of the Almgren-Chriss impact coefficients from our own fills.

Each observation is one child execution: what we traded, at what average price, the mid just before
it, and the mid some seconds after it -- late enough for the temporary impact to have decayed, early
enough that market noise does not swamp the permanent move. Against the model of
:class:`execdesk.domain.impact.AlmgrenChrissImpact` (all figures in bps of ``mid_before``):

* realised permanent move ``y_p = s (mid_after - mid_before) / mid_before``, regressor
  ``x_p = sigma_daily q / ADV``, so ``y_p = gamma x_p + noise``;
* realised temporary cost ``y_t = s (price - mid_before) / mid_before - spread / 2 - y_p / 2`` (what we
  paid beyond half the spread and our share of the permanent move), regressor
  ``x_t = sigma_daily sqrt(q / V_T)``, so ``y_t = eta x_t + noise``;

with ``s = +1`` for a buy and ``-1`` for a sell. Each coefficient is the least-squares slope through
the origin, ``sum(x y) / sum(x^2)``, over the last ``window`` observations. Feed it aggressive (taker)
child orders: a passive fill earns the spread instead of paying impact and would drag ``eta`` down.

Updates are O(1): the estimator keeps running first and second moments of ``(x_t, x_p, y_t, y_p)``,
adds each new observation and subtracts the one that leaves the window. Subtraction accumulates
rounding error, so the sums are rebuilt from the window after every ``window`` evictions -- amortised
O(1) as well.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from execdesk.domain.impact import BPS, HOURS_PER_DAY, SECONDS_PER_HOUR, AlmgrenChrissImpact
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import Side

DEFAULT_WINDOW = 1000  # the seed's rolling window
DEFAULT_MIN_OBSERVATIONS = 30  # fewer than this and a slope is mostly noise: the prior serves

_XT, _XP, _YT, _YP = range(4)


class CalibrationInputError(ValueError):
    """An observation that cannot be used to calibrate impact."""


@dataclass(frozen=True)
class ImpactObservation:
    """One child execution. Give exactly one of ``duration_s`` (how long it took) or ``participation``
    (our share of the volume while it traded, ``q / (q + V_T)``)."""

    side: Side
    quantity: float
    price: float  # average fill price
    mid_before: float
    mid_after: float  # some seconds after the execution
    volatility_1h: float  # as in MarketSnapshot: fraction per hour
    adv: float  # base units per day
    duration_s: float | None = None
    participation: float | None = None
    spread_bps: float = 0.0  # at mid_before; half of it is the cost of crossing, not impact

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "side", Side(self.side))
        except ValueError:
            raise CalibrationInputError(f"side must be 'buy' or 'sell', got {self.side!r}") from None
        for name in ("quantity", "price", "mid_before", "mid_after", "adv"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise CalibrationInputError(f"{name} must be > 0 and finite, got {value!r}")
        for name in ("volatility_1h", "spread_bps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise CalibrationInputError(f"{name} must be >= 0 and finite, got {value!r}")
        if (self.duration_s is None) == (self.participation is None):
            raise CalibrationInputError(
                "give exactly one of duration_s and participation, got "
                f"duration_s={self.duration_s!r}, participation={self.participation!r}"
            )
        if self.duration_s is not None and not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise CalibrationInputError(f"duration_s must be > 0 and finite, got {self.duration_s!r}")
        if self.participation is not None and not (
            math.isfinite(self.participation) and 0 < self.participation < 1
        ):
            raise CalibrationInputError(f"participation must be within (0, 1), got {self.participation!r}")

    @classmethod
    def from_snapshots(
        cls,
        *,
        side: Side | str,
        quantity: float,
        price: float,
        before: MarketSnapshot,
        after: MarketSnapshot,
        duration_s: float,
    ) -> ImpactObservation:
        """An observation from the snapshots taken before the child order and some seconds after it."""
        return cls(
            side=Side(side),
            quantity=quantity,
            price=price,
            mid_before=before.mid,
            mid_after=after.mid,
            volatility_1h=before.volatility_1h,
            adv=before.volume_1h * HOURS_PER_DAY,
            duration_s=duration_s,
            spread_bps=before.spread_bps,
        )

    @property
    def trade_rate(self) -> float:
        """``q / V_T``: our trading rate over the market's."""
        if self.participation is not None:
            return self.participation / (1.0 - self.participation)
        assert self.duration_s is not None
        return self.quantity / (self.adv * self.duration_s / (HOURS_PER_DAY * SECONDS_PER_HOUR))

    @property
    def sigma_daily(self) -> float:
        return self.volatility_1h * math.sqrt(HOURS_PER_DAY)

    @property
    def temporary_regressor(self) -> float:
        return self.sigma_daily * math.sqrt(self.trade_rate) * BPS

    @property
    def permanent_regressor(self) -> float:
        return self.sigma_daily * self.quantity / self.adv * BPS

    @property
    def realised_move_bps(self) -> float:
        return self.side.sign * (self.mid_after - self.mid_before) / self.mid_before * BPS

    @property
    def realised_cost_bps(self) -> float:
        """What the execution cost beyond half the spread: temporary impact plus half the lasting move."""
        return self.side.sign * (self.price - self.mid_before) / self.mid_before * BPS - self.spread_bps / 2.0

    @property
    def realised_temporary_bps(self) -> float:
        return self.realised_cost_bps - self.realised_move_bps / 2.0

    def vector(self) -> tuple[float, float, float, float]:
        return (
            self.temporary_regressor,
            self.permanent_regressor,
            self.realised_temporary_bps,
            self.realised_move_bps,
        )


@dataclass(frozen=True)
class ImpactFit:
    """The coefficients in use and where they came from."""

    eta: float
    gamma: float
    n: int
    source: str  # "fitted", "prior", or "partly fitted"
    note: str
    eta_stderr: float | None = None
    gamma_stderr: float | None = None

    @property
    def model(self) -> AlmgrenChrissImpact:
        return AlmgrenChrissImpact(eta=self.eta, gamma=self.gamma)

    def to_dict(self) -> dict[str, Any]:
        return {
            "eta": self.eta,
            "gamma": self.gamma,
            "n": self.n,
            "source": self.source,
            "note": self.note,
            "eta_stderr": self.eta_stderr,
            "gamma_stderr": self.gamma_stderr,
        }


@dataclass(frozen=True)
class PredictedVsRealised:
    """The model in use (fitted or prior) against what the window's executions actually cost, in bps
    beyond half the spread: temporary impact plus half the lasting move."""

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
    """Least-squares estimates of ``eta`` and ``gamma`` over a rolling window of observations."""

    def __init__(
        self,
        window: int = DEFAULT_WINDOW,
        *,
        prior: AlmgrenChrissImpact | None = None,
        min_observations: int = DEFAULT_MIN_OBSERVATIONS,
    ) -> None:
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be an integer >= 1, got {window!r}")
        if (
            isinstance(min_observations, bool)
            or not isinstance(min_observations, int)
            or min_observations < 1
        ):
            raise ValueError(f"min_observations must be an integer >= 1, got {min_observations!r}")
        if min_observations > window:
            raise ValueError(
                f"min_observations must not exceed window, got {min_observations!r} > {window!r}"
            )
        self.window = window
        self.min_observations = min_observations
        self.prior = prior or AlmgrenChrissImpact()
        self._obs: deque[tuple[float, float, float, float]] = deque(maxlen=window)
        self._first = [0.0] * 4
        self._second = [[0.0] * 4 for _ in range(4)]
        self._evictions = 0

    def __len__(self) -> int:
        return len(self._obs)

    def observe(self, observation: ImpactObservation) -> None:
        z = observation.vector()
        if len(self._obs) == self.window:
            self._accumulate(self._obs[0], -1.0)
            self._evictions += 1
        self._obs.append(z)  # the deque drops the oldest, whose moments were just subtracted
        self._accumulate(z, 1.0)
        if self._evictions >= self.window:
            self._rebuild()

    def fit(self) -> ImpactFit:
        n = len(self._obs)
        if n < self.min_observations:
            return ImpactFit(
                self.prior.eta,
                self.prior.gamma,
                n,
                "prior",
                f"{n} of the {self.min_observations} observations needed: using the prior",
            )
        eta, eta_se, eta_fitted, eta_note = self._slope(_XT, _YT, "eta", self.prior.eta)
        gamma, gamma_se, gamma_fitted, gamma_note = self._slope(_XP, _YP, "gamma", self.prior.gamma)
        source = {2: "fitted", 1: "partly fitted", 0: "prior"}[eta_fitted + gamma_fitted]
        notes = [note for note in (eta_note, gamma_note) if note]
        note = "; ".join(notes) if notes else f"least squares over the last {n} observations"
        return ImpactFit(eta, gamma, n, source, note, eta_se, gamma_se)

    def model(self) -> AlmgrenChrissImpact:
        """The Almgren-Chriss model with the coefficients in use; see :meth:`fit` for their provenance."""
        return self.fit().model

    def predicted_vs_realised(self) -> PredictedVsRealised:
        fit = self.fit()
        n = len(self._obs)
        if n == 0:
            return PredictedVsRealised(0, None, None, None, None, None, fit.source)
        # realised total r = y_t + y_p / 2 and predicted p = eta x_t + gamma x_p / 2 are linear in z
        predicted = (fit.eta, fit.gamma / 2.0, 0.0, 0.0)
        realised = (0.0, 0.0, 1.0, 0.5)
        error = tuple(r - p for r, p in zip(realised, predicted, strict=True))
        mean_p = self._linear(predicted) / n
        mean_r = self._linear(realised) / n
        sse = max(0.0, self._quadratic(error))
        sst = max(0.0, self._quadratic(realised) - n * mean_r * mean_r)
        return PredictedVsRealised(
            n=n,
            mean_predicted_bps=mean_p,
            mean_realised_bps=mean_r,
            ratio=mean_r / mean_p if mean_p != 0 else None,
            r_squared=1.0 - sse / sst if sst > 0 and n > 1 else None,
            rmse_bps=math.sqrt(sse / n),
            source=fit.source,
        )

    def _slope(self, x: int, y: int, name: str, prior: float) -> tuple[float, float | None, bool, str]:
        """Slope through the origin, its standard error, whether it was fitted, and a note when not."""
        sxx, sxy, syy = self._second[x][x], self._second[x][y], self._second[y][y]
        n = len(self._obs)
        if not sxx > 0:
            return prior, None, False, f"{name}: its regressor is always 0 (zero volatility?): prior kept"
        slope = sxy / sxx
        sse = max(0.0, syy - 2.0 * slope * sxy + slope * slope * sxx)
        stderr = math.sqrt(sse / (n - 1) / sxx) if n > 1 else None
        if slope <= 0 and name == "eta":
            # the planner needs eta > 0: a non-positive fit means noise (or passive fills) dominates
            return prior, stderr, False, f"eta: fitted {slope:.4g} <= 0 (noise or passive fills?): prior kept"
        if slope < 0:
            return 0.0, stderr, True, f"{name}: fitted {slope:.4g} < 0, floored at 0"
        return slope, stderr, True, ""

    def _accumulate(self, z: tuple[float, float, float, float], weight: float) -> None:
        for i in range(4):
            self._first[i] += weight * z[i]
            for j in range(i, 4):
                self._second[i][j] += weight * z[i] * z[j]
                self._second[j][i] = self._second[i][j]

    def _rebuild(self) -> None:
        self._first = [0.0] * 4
        self._second = [[0.0] * 4 for _ in range(4)]
        for z in self._obs:
            self._accumulate(z, 1.0)
        self._evictions = 0

    def _linear(self, a: tuple[float, ...]) -> float:
        return sum(a[i] * self._first[i] for i in range(4))

    def _quadratic(self, a: tuple[float, ...]) -> float:
        return sum(a[i] * a[j] * self._second[i][j] for i in range(4) for j in range(4))
