"""The band of the pre-trade estimate: where the cost lands with ``confidence``, given three risks.

While the order is worked its cost per unit moves with the price of the share still to trade. With an
even schedule in ``N`` slices, during slice ``k`` (``k = 0 … N-1``) the share still to trade is
``w_k = (N - 1 - k) / N``, and the mean of ``w_k^2`` is ``share = (N - 1)(2N - 1) / (6 N^2)`` (the
Almgren-Chriss ``sum x_k^2`` of an even schedule, ``-> 1/3`` for many slices).

* **Diffusion** (timing risk): variance ``V_d = sigma_s^2 D share`` over ``D`` seconds, from the last
  hour's volatility. That volatility is an estimate from ``dof + 1`` one-minute returns (60 on every
  feed), so the true variance is ``V_d * dof / chi2_dof``: the predictive of a normal with an estimated
  variance, Student's t with ``dof`` degrees of freedom. Integrated over 32 equally likely quantiles of
  ``chi2_dof`` (Wilson-Hilferty).
* **Jumps** (Merton 1976): news and liquidation cascades move the price at once, and the last hour's
  volatility does not show a jump that has not happened yet. Jumps arrive as a Poisson process of
  ``intensity_per_day`` with normal log sizes of root mean square ``size_rms``; a jump during slice
  ``k`` moves the cost by ``w_k J``. Over ``D`` seconds ``m = intensity D / 86400`` jumps are expected;
  their variance is ``m size_rms^2 share`` (``jump_risk_bps`` is its square root).
* **Scheduled events** (a calendar: CPI, FOMC, funding times, token unlocks): the time is known, the
  direction is not. An event of typical move ``M`` when the share ``w`` of the order is still to trade
  (:func:`share_to_trade`, the weighting the jumps use) is a jump that happens for certain: a normal of
  variance ``(M w)^2``, added to every term of the mixture (``event_moves_bps`` holds each ``M w``;
  :mod:`execdesk.domain.scheduled_events` finds them).
* The band is ``expected +/- q`` with ``q`` the two-sided ``confidence`` quantile of the mixture:
  no jump (``e^-m``): normal of variance ``V_d + V_e``; one jump (``m e^-m``): normal of variance
  ``V_d + V_e + size^2 w_k^2``, the slice ``k`` equally likely (up to 32 slices exactly, beyond that 32
  equally spaced shares scaled to the same mean square); ``n >= 2`` jumps (rare: 0.06 % of one-hour
  orders under the crypto prior): variance ``V_d + V_e + n size^2 share``. ``q`` is found by bisection.
  Without jumps or events and with a known volatility the band is the normal ``+/- 1.96 sqrt(V_d)``.

The crypto prior (docs/tca.md, "Pre-trade estimate"): jumps on up to 58 % of trading days across six
cryptocurrencies on seven exchanges in 2.5 years of tick data (Saef, Nagy, Sizov & Haerdle, "Understanding
temporal dynamics of jumps in cryptocurrency markets", Digital Finance 6(4), 2024): a Poisson process
with ``P(at least one a day) = 0.58`` has ``intensity = -ln(0.42) = 0.868`` a day. The size, 1.5 % root
mean square, is an assumption: a 1-2 % move on news, the size the simulator's ``news_jump`` scenario uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from execdesk.domain.impact import BPS

SECONDS_PER_DAY = 86_400.0
VOLATILITY_DOF = 59  # the 1-h volatility is the standard deviation of 60 one-minute returns
_SIGMA_NODES = 32  # equally likely quantiles of the volatility's estimation error
_SLICE_NODES = 32  # slices integrated exactly up to this many
_MAX_JUMPS = 200


@dataclass(frozen=True)
class JumpPrior:
    """Poisson jumps: ``intensity_per_day`` arrivals a day, normal log sizes of RMS ``size_rms``."""

    intensity_per_day: float
    size_rms: float
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("intensity_per_day", "size_rms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"JumpPrior.{name} must be >= 0 and finite, got {value!r}")
        if self.size_rms >= 0.5:
            raise ValueError(f"JumpPrior.size_rms must be below 0.5 (a log return), got {self.size_rms!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"intensity_per_day": round(self.intensity_per_day, 6), "size_rms": self.size_rms,
                "source": self.source}


CRYPTO_JUMPS = JumpPrior(
    intensity_per_day=-math.log(1 - 0.58),
    size_rms=0.015,
    source="jumps on up to 58 % of days (Saef et al. 2024) -> 0.868 a day; 1.5 % RMS size (assumed: news moves)",
)


@dataclass(frozen=True)
class Band:
    half_width_bps: float  # the band is expected +/- this
    timing_risk_bps: float  # one standard deviation of the diffusion, volatility taken as known
    jump_risk_bps: float  # one standard deviation of the jumps
    expected_jumps: float  # m, jumps expected over the duration
    event_risk_bps: float = 0.0  # one standard deviation of the scheduled events, together


def share_to_trade(offset_s: float, duration_s: float, n_slices: int) -> float:
    """The share of an even schedule of ``n_slices`` over ``duration_s`` still to trade when the price
    moves ``offset_s`` seconds after the start: slice ``k`` trades at ``k duration_s / n_slices``, and a
    slice due at the very moment of the move trades after it. A move during slice ``k`` leaves
    ``w_k = (N - 1 - k) / N``; one before the start or at the end or later, none of the order (0)."""
    if isinstance(n_slices, bool) or not isinstance(n_slices, int) or n_slices < 1:
        raise ValueError(f"n_slices must be a whole number >= 1, got {n_slices!r}")
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"duration_s must be > 0 and finite, got {duration_s!r}")
    if not math.isfinite(offset_s):
        raise ValueError(f"offset_s must be finite, got {offset_s!r}")
    if offset_s < 0 or offset_s >= duration_s:
        return 0.0
    done = math.ceil(offset_s / duration_s * n_slices - 1e-9)  # slices traded before the move
    return (n_slices - done) / n_slices


def schedule_share(n_slices: int) -> float:
    """Mean of the squared share still to trade over an even schedule of ``n_slices``."""
    return (n_slices - 1) * (2 * n_slices - 1) / (6.0 * n_slices * n_slices)


def pretrade_band(*, sigma_per_s: float, duration_s: float, n_slices: int, confidence: float,
                  jumps: JumpPrior | None, volatility_dof: int | None,
                  event_moves_bps: Sequence[float] = ()) -> Band:
    """The band's half-width (bps) for an even schedule of ``n_slices`` over ``duration_s``, with the
    scheduled events inside it as ``event_moves_bps`` (each event's typical move times the share still to
    trade at its time)."""
    for move in event_moves_bps:
        if isinstance(move, bool) or not isinstance(move, int | float) or not math.isfinite(move) or move < 0:
            raise ValueError(f"event_moves_bps must hold numbers >= 0 and finite, got {move!r}")
    if volatility_dof is not None and (isinstance(volatility_dof, bool) or not isinstance(volatility_dof, int)
                                       or volatility_dof < 5):
        raise ValueError(f"volatility_dof must be a whole number >= 5 or None, got {volatility_dof!r}")
    share = schedule_share(n_slices)
    v_d = (sigma_per_s * BPS) ** 2 * duration_s * share
    size_bps = jumps.size_rms * BPS if jumps else 0.0
    m = jumps.intensity_per_day * duration_s / SECONDS_PER_DAY if jumps else 0.0
    jump_risk = size_bps * math.sqrt(m * share)
    scales = _variance_scales(volatility_dof)
    weights = _slice_shares(n_slices, share)
    poisson = _poisson(m)
    size2 = size_bps * size_bps
    v_e = math.fsum(move * move for move in event_moves_bps)

    def coverage(q: float) -> float:
        total = 0.0
        for r in scales:
            v = r * v_d + v_e
            c = poisson[0] * _inside(q, v)
            if len(poisson) > 1:
                c += poisson[1] * math.fsum(_inside(q, v + size2 * w * w) for w in weights) / len(weights)
            for n in range(2, len(poisson)):
                c += poisson[n] * _inside(q, v + n * size2 * share)
            total += c
        return total / len(scales)

    lo, hi = 0.0, 8.0 * math.sqrt(max(scales) * v_d + v_e + size2 * (1.0 + m)) + 1e-12
    if coverage(lo) >= confidence:
        return Band(0.0, math.sqrt(v_d), jump_risk, m, math.sqrt(v_e))
    while coverage(hi) < confidence:
        hi *= 2.0
    while hi - lo > 1e-10 * hi:
        mid = (lo + hi) / 2.0
        if coverage(mid) < confidence:
            lo = mid
        else:
            hi = mid
    return Band(hi, math.sqrt(v_d), jump_risk, m, math.sqrt(v_e))


def _inside(q: float, variance: float) -> float:
    """P(|X| <= q) for X normal with mean 0 and ``variance`` (a point mass at 0 when it is 0)."""
    if variance <= 0.0:
        return 1.0
    return math.erf(q / math.sqrt(2.0 * variance))


def _variance_scales(dof: int | None) -> list[float]:
    """``dof / chi2_dof`` at equally likely quantiles: the true variance over the estimated one."""
    if dof is None:
        return [1.0]
    normal, k = NormalDist(), 2.0 / (9.0 * dof)
    out = []
    for i in range(_SIGMA_NODES):
        z = normal.inv_cdf((i + 0.5) / _SIGMA_NODES)
        chi2 = dof * (1.0 - k + z * math.sqrt(k)) ** 3
        out.append(dof / chi2)
    return out


def _slice_shares(n_slices: int, share: float) -> list[float]:
    """The share still to trade after a jump in each slice (the middle of the slice; any time in it
    gives the same share)."""
    if n_slices <= _SLICE_NODES:
        return [share_to_trade(k + 0.5, float(n_slices), n_slices) for k in range(n_slices)]
    mid = [(j + 0.5) / _SLICE_NODES for j in range(_SLICE_NODES)]
    scale = math.sqrt(share / (math.fsum(w * w for w in mid) / _SLICE_NODES))
    return [w * scale for w in mid]


def _poisson(m: float) -> list[float]:
    """P(n jumps) for n = 0, 1, … until the rest is below 1e-12 (just [1] without jumps)."""
    if m <= 0.0:
        return [1.0]
    probs = [math.exp(-m)]
    while 1.0 - math.fsum(probs) > 1e-12 and len(probs) < _MAX_JUMPS:
        probs.append(probs[-1] * m / len(probs))
    return probs
