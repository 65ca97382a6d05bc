"""`manage.py execute`: one parent order to its end, headless, through the desk's own services (so every
step is audited), with a rich progress bar, a TCA summary and the `--json` export of DESIGN.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from execdesk.desk.models import ParentOrder, Proposal, Strategy
from execdesk.desk.services.errors import DeskError, InvalidInput
from execdesk.desk.services.headless import (
    GRACE_S,
    HeadlessOutcome,
    execution_export,
    headless_budget_s,
    headless_user,
    parent_order_run_headless,
)
from execdesk.desk.services.inputs import decimal_input
from execdesk.desk.services.parent_orders import parent_order_create
from execdesk.desk.services.proposals import proposal_approve, proposal_reject
from execdesk.domain.end_policy import DEFAULT_END_POLICY, END_POLICIES
from execdesk.domain.states import IllegalTransition

APPROVAL_MODES = {"auto": "autopilot", "manual": "manual"}
# the CLI's advisor names → the desk's (None: the strategy's own default)
ADVISORS = {"rules": "rules", "none": "schedule", "anthropic": "anthropic"}
MARKET_OF_VENUE = {"paper": "sim", "bybit": "bybit"}
EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by SIGINT
MAX_GRACE_S = 86_400.0

# Which option a service's refusal is about, by the words its message starts with (InvalidInput names the
# field in the desk's words; the CLI user should see the option to fix).
_OPTION_OF_MESSAGE = (
    ("unknown venue", "venue"), ("unknown symbol", "symbol"), ("Bybit does not list", "symbol"),
    ("side", "side"), ("quantity", "qty"), ("notional", "qty"), ("horizon", "horizon"),
    ("decision interval", "interval"),
    ("unknown strategy", "strategy"), ("unknown advisor", "advisor"), ("unknown approval mode", "approve"),
    ("urgency", "urgency"), ("give either an urgency", "urgency"), ("risk aversion", "risk_aversion"),
    ("risk_aversion", "risk_aversion"), ("pov_rate", "pov_rate"), ("min_participation", "min_participation"),
    ("max_participation", "max_participation"),
    ("max_catchup", "max_catchup"), ("limit price", "limit_price"), ("start_at", "start_at"),
)


class Command(BaseCommand):
    help = ("Run one parent order to completion without the web desk, through the desk's services (every "
            "step audited), and write its TCA, proposals, child orders and fills as JSON.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--symbol", required=True, help="e.g. BTCUSDT")
        parser.add_argument("--side", required=True, choices=["buy", "sell"])
        parser.add_argument("--qty", required=True, help="parent order quantity in base units, e.g. 0.05")
        parser.add_argument("--horizon", required=True, type=int, help="execution horizon in seconds (≥ 30)")
        parser.add_argument("--interval", type=int, default=None,
                            help="seconds between decisions (default: the desk's EXECDESK_DEFAULT_INTERVAL)")
        parser.add_argument("--strategy", default="twap", choices=Strategy.values)
        parser.add_argument("--venue", default="paper", choices=sorted(MARKET_OF_VENUE),
                            help="paper: the paper venue on the simulated market; bybit: Bybit (EXECDESK_BYBIT_ENV)")
        parser.add_argument("--market", default=None,
                            help="sim | bybit | replay:PATH (default: the venue's own market)")
        parser.add_argument("--advisor", default=None, choices=sorted(ADVISORS),
                            help="rules, anthropic (Claude) or none (the strategy's schedule); default: the "
                                 "strategy's own")
        parser.add_argument("--approve", default="manual", choices=sorted(APPROVAL_MODES),
                            help="auto: every proposal is approved by the desk's autopilot (audited as "
                                 "system:auto-approval); manual (default): a human decides, on this terminal "
                                 "when it is one, else on the desk")
        parser.add_argument("--json", dest="json_path", help="write the execution record here")
        parser.add_argument("--user", default=None,
                            help="the trader the order is run as (default: the 'headless' trader, created "
                                 "with the trader role if missing)")
        parser.add_argument("--notes", default="", help="free text kept on the order")
        parser.add_argument("--raise-limits", dest="raise_limits", default="", metavar="REASON",
                            help="supervisors only (--user): create this one order above the desk's limits, for "
                                 "this reason (audited)")
        parser.add_argument("--urgency", default=None, choices=["low", "medium", "high"],
                            help="IS: Almgren-Chriss risk aversion per bps of the notional (default medium; "
                                 "docs/strategies.md)")
        parser.add_argument("--risk-aversion", dest="risk_aversion", default=None, metavar="LAMBDA",
                            help="IS, instead of --urgency: the Almgren-Chriss lambda in 1 / quote currency")
        parser.add_argument("--pov-rate", dest="pov_rate", default=None, metavar="R",
                            help="POV: target share of the volume, a fraction in (0, 1] (default 0.05)")
        parser.add_argument("--min-participation", dest="min_participation", default=None, metavar="A",
                            help="POV: the share it slows to when ahead of its reference schedule (≤ R)")
        parser.add_argument("--max-participation", dest="max_participation", default=None, metavar="B",
                            help="POV: the share it speeds up to when behind and after the deadline (≥ R, at "
                                 "most the desk's participation cap)")
        parser.add_argument("--end-policy", dest="end_policy", default=DEFAULT_END_POLICY.value,
                            choices=list(END_POLICIES),
                            help="at the deadline: finish (default: cross the remainder in the last interval, "
                                 "capped by the risk gate; EXPIRED one interval past the deadline if some is left), "
                                 "expire (stop at the deadline: EXPIRED with the remainder) or continue (work on "
                                 "at the last rate; a headless run cancels it one horizon past the deadline)")
        parser.add_argument("--max-catchup", dest="max_catchup", default=None, metavar="K",
                            help="an order behind its schedule sends at most K times the scheduled slice a step "
                                 "(1 to 100; default 2); POV follows the volume instead")
        parser.add_argument("--limit-price", dest="limit_price", default=None, metavar="PRICE",
                            help="the parent's limit: a buy never fills above it, a sell never below it")
        parser.add_argument("--start-at", dest="start_at", default=None, metavar="ISO",
                            help="a scheduled start (ISO 8601, UTC when no offset): the run waits for it and the "
                                 "schedule and its deadline begin then")
        parser.add_argument("--grace", default=str(GRACE_S),  # the desk's one number syntax: decimal_input
                            help=f"seconds past the order's end (its end policy's) before a run still working is "
                                 f"cancelled (default {GRACE_S:.0f})")

    def handle(self, *args, **o: Any) -> None:
        console = Console(file=self.stdout, force_terminal=None, highlight=False)  # type: ignore[arg-type]  # OutputWrapper wraps a text stream: rich only writes and flushes it
        _check_market(o["venue"], o["market"])
        if o["json_path"] and not Path(o["json_path"]).resolve().parent.is_dir():
            raise CommandError(f"--json {o['json_path']}: its directory does not exist")
        try:
            o["grace"] = float(decimal_input("--grace", o["grace"]))
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        if not 0 <= o["grace"] <= MAX_GRACE_S:
            raise CommandError(f"--grace must be between 0 and {MAX_GRACE_S:.0f} seconds, got {o['grace']}")
        try:
            user = headless_user(username=o["user"])
        except InvalidInput as exc:
            raise CommandError(f"--user: {exc}") from None
        parent = self._create(user, o)
        url = _desk_url(parent.pk)
        console.print(f"order #{parent.pk}: {parent.side.upper()} {o['qty']} {parent.symbol} over "
                      f"{parent.horizon_seconds} s every {parent.interval_seconds} s (end policy "
                      f"{parent.end_policy}), {parent.strategy} strategy, "
                      f"{parent.advisor} advisor, {parent.venue} venue, {o['approve']} approval")
        console.print(f"desk: {url}", soft_wrap=True)  # a link is never broken across lines
        try:
            outcome = self._run(console, parent, user, o)
        except (DeskError, IllegalTransition) as exc:  # the start was refused: nothing runs, nothing to stop
            raise CommandError(f"order #{parent.pk} was created but not started: {exc}. It waits on the desk: {url}"
                               ) from None
        data = execution_export(parent.pk)
        data["run"] = {"reason": outcome.reason, "interrupted": outcome.interrupted,
                       "timed_out": outcome.timed_out, "wall_s": round(outcome.wall_s, 3)}
        console.print(_summary(data, outcome))
        if o["json_path"]:
            Path(o["json_path"]).write_text(json.dumps(data, indent=1))
            console.print(f"JSON: {o['json_path']}")
        if outcome.completed:
            return
        code = EXIT_INTERRUPTED if outcome.interrupted else 1
        raise CommandError(f"order #{parent.pk} ended {outcome.status}: {outcome.reason}", returncode=code)

    def _create(self, user, o: dict[str, Any]) -> ParentOrder:
        advisor = ADVISORS[o["advisor"]] if o["advisor"] else None
        try:
            return parent_order_create(
                user=user, symbol=o["symbol"].upper(), side=o["side"], quantity=o["qty"],
                horizon_seconds=o["horizon"], interval_seconds=o["interval"], strategy=o["strategy"],
                approval_mode=APPROVAL_MODES[o["approve"]], venue=o["venue"], advisor=advisor,
                notes=o["notes"] or f"headless: manage.py execute ({o['approve']} approval)",
                raise_limits_reason=o["raise_limits"], urgency=o["urgency"], risk_aversion=o["risk_aversion"],
                pov_rate=o["pov_rate"], min_participation=o["min_participation"],
                max_participation=o["max_participation"], end_policy=o["end_policy"],
                max_catchup=o["max_catchup"], limit_price=o["limit_price"], start_at=o["start_at"])
        except InvalidInput as exc:
            raise CommandError(_option_error(str(exc), o)) from None
        except PermissionDenied as exc:
            raise CommandError(f"--user: {exc}") from None
        except DeskError as exc:  # the desk's trading state refuses new orders (HALTED, or REDUCING)
            raise CommandError(str(exc)) from None

    def _run(self, console: Console, parent: ParentOrder, user, o: dict[str, Any]) -> HeadlessOutcome:
        columns = (TextColumn(f"[bold]#{parent.pk} {parent.side} {parent.symbol}"), BarColumn(),
                   TextColumn("{task.fields[executed]} / {task.fields[quantity]}"),
                   TextColumn("IS {task.fields[is_bps]} bps"), TextColumn("left {task.fields[left]}"),
                   TextColumn("[bold]{task.fields[status]}"))
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("execute", total=float(parent.quantity), executed="0",
                                     quantity=f"{parent.quantity.normalize():f}", is_bps="–",
                                     left=f"{parent.horizon_seconds} s", status=parent.status)

            def on_progress(p: dict[str, Any]) -> None:
                is_bps = p["tca"].get("is_bps")  # the TCA's IS (fees included), as the desk shows it
                if is_bps is None:
                    is_bps = p["is_bps"]
                progress.update(task, completed=float(p["executed"]), executed=p["executed"],
                                is_bps="–" if is_bps is None else f"{is_bps:+.2f}",
                                left=f"{p['time_left_s']:.0f} s", status=p["status"])

            on_pending = None
            if o["approve"] == "manual":
                on_pending = _TerminalApprover(console, progress, user) if sys.stdin.isatty() else \
                    _DeskApprover(console)
            return parent_order_run_headless(
                parent_id=parent.pk, user=user, on_progress=on_progress, on_pending=on_pending,
                stop_after_s=headless_budget_s(parent, o["grace"]))


def _check_market(venue: str, market: str | None) -> None:
    """Which market a venue trades is fixed: the paper venue matches against the simulator, Bybit is Bybit."""
    if market is None or market == MARKET_OF_VENUE[venue]:
        return
    if market.startswith("replay:"):
        path = market.removeprefix("replay:")
        raise CommandError(f"--market {market}: replay markets are run by `manage.py backtest --tape {path}`; "
                           "execute runs on a live clock (--market sim or bybit)")
    if market not in MARKET_OF_VENUE.values():
        raise CommandError(f"--market {market!r}: expected sim, bybit or replay:PATH")
    raise CommandError(f"--market {market} cannot be traded on --venue {venue}: the paper venue fills against "
                       "the simulated market (--venue paper --market sim) and Bybit against its own "
                       "(--venue bybit --market bybit)")


def _option_error(message: str, o: dict[str, Any]) -> str:
    for start, option in _OPTION_OF_MESSAGE:
        if message.startswith(start):
            return f"--{option.replace('_', '-')} {o[option]}: {message}"
    if o["venue"] == "bybit":
        return f"--venue bybit: {message}"
    return f"cannot create the order: {message}"


def _desk_url(parent_id: int) -> str:
    return f"{settings.PUBLIC_URL}{reverse('desk:order', kwargs={'order_id': parent_id})}"


def _describe(p: Proposal) -> str:
    terms = f"{p.action.upper()} {p.quantity.normalize():f}"
    if p.order_type:
        terms += f" {p.order_type}"
    if p.limit_price is not None:
        terms += f" @ {p.limit_price.normalize():f}"
    failed = [f"{c.get('code')}: {c.get('message')}" for c in p.risk_checks if not c.get("passed")]
    risk = f"; risk: {'BLOCKED ' if p.risk_blocked else ''}{'; '.join(failed)}" if failed else ""
    return f"proposal #{p.seq} ({p.advisor}): {terms}{risk}\n  {p.reasoning}"


class _DeskApprover:
    """No terminal to ask on: show each proposal and where to decide it; the run waits for the desk."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, proposal: Proposal) -> None:
        self.console.print(f"{_describe(proposal)}\n  pending approval on the desk: {_desk_url(proposal.parent_id)} "
                           f"(expires {proposal.expires_at:%H:%M:%S} UTC)", markup=False, soft_wrap=True)


class _TerminalApprover:
    """Ask on the terminal, deciding through the same proposal services as the desk's buttons."""

    def __init__(self, console: Console, progress: Progress, user) -> None:
        self.console, self.progress, self.user = console, progress, user

    def __call__(self, proposal: Proposal) -> None:
        if proposal.action == "wait":  # nothing to send; the next proposal replaces it
            self.console.print(_describe(proposal), markup=False)
            return
        self.progress.stop()  # the live bar would draw over the prompt
        try:
            self._ask(proposal)
        finally:
            self.progress.start()

    def _ask(self, proposal: Proposal) -> None:
        self.console.print(_describe(proposal), markup=False)
        while True:
            answer = self.console.input("  [a]pprove, [r]eject, [s]kip (decide on the desk)? ",
                                        markup=False).strip().lower()
            try:
                if answer in ("a", "approve"):
                    proposal_approve(proposal_id=proposal.pk, user=self.user)
                    self.console.print(f"  proposal #{proposal.seq} approved")
                elif answer in ("r", "reject"):
                    reason = self.console.input("  reason: ", markup=False).strip()
                    proposal_reject(proposal_id=proposal.pk, user=self.user, reason=reason)
                    self.console.print(f"  proposal #{proposal.seq} rejected")
                elif answer not in ("s", "skip"):
                    continue
                return
            except DeskError as exc:  # expired, decided on the desk meanwhile, blocked by the re-check...
                self.console.print(f"  {exc}", style="red", markup=False)
                if "reason is required" not in str(exc):
                    return


def _num(value: Any, fmt: str = "{:+.2f}") -> str:
    return "–" if value is None else fmt.format(value)


def _summary(data: dict[str, Any], outcome: HeadlessOutcome) -> Table:
    parent, tca = data["parent"], data["tca"]
    table = Table(title=f"order #{parent['id']} {parent['status']}: {outcome.reason}", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("executed / quantity", f"{parent['executed_qty']} / {parent['quantity']} {parent['symbol']}"),
        ("end policy / remainder", f"{parent['end_policy']} / {parent['remaining_qty']}"),
        ("remainder's completion cost", f"{_num(tca.get('is_completion_bps'))} bps of IS "
                                        f"({_num(tca.get('completion_cost_bps'), '{:.2f}')} bps per unit)"),
        ("average price", parent["avg_price"] or "–"),
        ("decision price", parent["decision_price"]),
        ("implementation shortfall", f"{_num(tca.get('is_bps'))} bps"),
        ("arrival slippage", f"{_num(tca.get('arrival_slippage_bps'))} bps"),
        ("VWAP slippage", f"{_num(tca.get('vwap_slippage_bps'))} bps"),
        ("vs TWAP (estimated)", f"{_num(tca.get('vs_twap_bps'))} bps"),
        ("fees", f"{_num(tca.get('fees_bps'), '{:.2f}')} bps"),
        ("participation", _num(tca.get("participation"), "{:.2%}")),
        ("fill rate", _num(tca.get("fill_rate"), "{:.2%}")),
        ("passive share", _num(tca.get("passive_share"), "{:.2%}")),
        ("proposals / child orders / fills",
         f"{len(data['proposals'])} / {len(data['child_orders'])} / {len(data['fills'])}"),
        ("wall time", f"{outcome.wall_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
