"""Implementation shortfall: follow the Almgren–Chriss optimal trajectory, catching up when behind.

Time is in seconds: `sigma` is the price's volatility per sqrt(second), `eta` the temporary impact in
price per (unit per second), `gamma` the permanent impact in price per unit and `epsilon` the fixed cost
per unit (half the spread). The trajectory is cut on the TWAP grid's number of slices, with equal
slices of tau = horizon / N (the paper's grid); each trade n_k is due at the start of its interval,
t_{k-1}, as TWAP's slices are. So the target at time t is X − x_k for the k slices started by t: the
holdings read on the slice grid. As the risk aversion goes to 0 the trajectory is the straight line
and IS is TWAP.

The paper's program is a sale; a purchase follows the same schedule, so the side does not enter here.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_right
from dataclasses import dataclass

from execdesk.domain.almgren_chriss import ACPlan, plan
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.base import Slice, StepInput, StrategyDecision, baseline_decision
from execdesk.domain.strategies.twap import TWAPConfig

# The default risk aversion is the one whose trajectory has kappa × T = 1: a half-life 1/kappa equal to
# the horizon, so the plan is visibly front-loaded (with 10 slices: 1.27 × the even slice first, 0.85 ×
# last) without dumping the order at the start. A trader with a view passes `risk_aversion` instead.
DEFAULT_KAPPA_T = 1.0


@dataclass(frozen=True)
class ISConfig:
    horizon_seconds: float
    interval_seconds: float
    sigma: float
    eta: float
    gamma: float
    epsilon: float = 0.0
    risk_aversion: float | None = None  # None: the lambda giving kappa T = DEFAULT_KAPPA_T

    def __post_init__(self) -> None:
        for name in ("horizon_seconds", "interval_seconds", "eta"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive and finite, got {value!r}")
        for name in ("sigma", "gamma", "epsilon"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be non-negative and finite, got {value!r}")
        if self.risk_aversion is not None and not (math.isfinite(self.risk_aversion) and self.risk_aversion >= 0):
            raise ValueError(f"risk_aversion must be non-negative and finite, got {self.risk_aversion!r}")
        if not self.eta_tilde > 0:
            raise ValueError(f"ill-posed impact model: eta - gamma * tau / 2 = {self.eta_tilde!r} <= 0 "
                             f"(eta={self.eta!r}, gamma={self.gamma!r}, tau={self.tau!r} s); "
                             "use a shorter interval or check the impact coefficients")

    @property
    def n_slices(self) -> int:
        return TWAPConfig(self.horizon_seconds, self.interval_seconds).n_slices

    @property
    def tau(self) -> float:
        return self.horizon_seconds / self.n_slices

    @property
    def eta_tilde(self) -> float:
        return self.eta - 0.5 * self.gamma * self.tau

    @property
    def lam(self) -> float:
        """The risk aversion in use: the given one, or the one whose plan has kappa T = DEFAULT_KAPPA_T."""
        if self.risk_aversion is not None:
            return self.risk_aversion
        return risk_aversion_for_kappa_t(DEFAULT_KAPPA_T, self.n_slices, self.tau, self.sigma, self.eta_tilde)


def risk_aversion_for_kappa_t(kappa_t: float, n_slices: int, tau: float, sigma: float, eta_tilde: float) -> float:
    """Invert cosh(kappa tau) = 1 + lambda sigma^2 tau^2 / (2 eta_tilde) for the kappa with kappa T = kappa_t.

    lambda = 2 (cosh(kappa tau) − 1) eta_tilde / (tau^2 sigma^2), written with sinh to keep precision
    for small kappa tau. 0 when sigma is 0: without price risk every lambda gives the straight line.
    For a sigma so small that the lambda overflows, the largest float: the plan is then as close to the
    straight line as that sigma makes it.
    """
    if sigma == 0:
        return 0.0
    ratio = 2.0 * math.sinh(0.5 * kappa_t / n_slices) / tau / sigma
    lam = ratio * ratio * eta_tilde
    return lam if math.isfinite(lam) else sys.float_info.max


class ISStrategy:
    name = "is"

    def __init__(self, config: ISConfig) -> None:
        self.config = config
        self._cached: tuple[float, ACPlan, list[float], list[float]] | None = None

    def ac_plan(self, total_quantity: float) -> ACPlan:
        return self._grid(total_quantity)[1]

    def schedule(self, total_quantity: float, started_at: float) -> list[Slice]:
        if total_quantity <= 0:
            return [Slice(0.0, 0.0)]
        ac = self.ac_plan(total_quantity)
        return [Slice((k - 1) * ac.tau, trade) for k, trade in enumerate(ac.trades, start=1)]

    def target(self, progress: OrderProgress) -> float:
        total = progress.quantity
        elapsed = progress.now - progress.started_at
        if total <= 0 or elapsed < 0:
            return 0.0
        _, _, offsets, done = self._grid(total)
        return done[bisect_right(offsets, elapsed)]

    def decide(self, step: StepInput) -> StrategyDecision:
        progress = step.progress
        target = self.target(progress)
        behind = progress.remaining if progress.time_left <= 0 else target - progress.executed
        lam = self.config.lam
        kappa_t = self.ac_plan(progress.quantity).kappa * self.config.horizon_seconds if progress.quantity > 0 else 0
        basis = ("the deadline has passed, everything remaining is due" if progress.time_left <= 0
                 else f"Almgren-Chriss trajectory (lambda {lam:.3g}, kappa T {kappa_t:.3g})")
        return baseline_decision(self.name, behind, target, progress, basis)

    def _grid(self, total_quantity: float) -> tuple[float, ACPlan, list[float], list[float]]:
        """The AC plan for this total, the slice start times and the target after each: done[k] = X − x_k
        for the k slices started (done[0] = 0, done[N] = X exactly since x_N is pinned to 0)."""
        if self._cached is None or self._cached[0] != total_quantity:
            c = self.config
            ac = plan(total_quantity, c.horizon_seconds, c.n_slices, c.sigma, c.eta, c.gamma, c.epsilon, c.lam)
            offsets = [(k - 1) * ac.tau for k in range(1, len(ac.holdings))]
            done = [0.0] + [total_quantity - x for x in ac.holdings[1:]]
            self._cached = (total_quantity, ac, offsets, done)
        return self._cached
