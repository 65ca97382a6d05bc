"""The desk's call into the one risk gate: advisor proposals and human overrides pass here alike, with the
desk-wide trading state and the desk's net position in the symbol."""

from __future__ import annotations

from execdesk.desk.models import ParentOrder
from execdesk.desk.services.context import DEFAULT_LIMITS
from execdesk.desk.services.trading_gate import desk_trading_state, net_position
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.risk import RiskVerdict, evaluate


def risk_gate(parent: ParentOrder, draft: ProposalDraft, *, progress: OrderProgress, market: MarketSnapshot,
              instrument: Instrument) -> RiskVerdict:
    return evaluate(draft, progress=progress, market=market, instrument=instrument, limits=DEFAULT_LIMITS,
                    interval_s=float(parent.interval_seconds), is_bps=parent.is_bps,
                    trading_state=desk_trading_state(), net_position=net_position(parent.symbol))
