"""`manage.py backtest`: strategies × scenarios × seeds on the simulator (or a Bybit trade tape), with a
rich progress bar, a JSON of every run and a Plotly HTML report.

`llm` is Claude deciding over TWAP's schedule (execdesk.backtest.llm): it needs ANTHROPIC_API_KEY, brings
TWAP into the suite as its paired counterfactual, asks one question per step of every run (a one-hour
order at 15 s is 240 questions per run), and defaults to two worker processes for the API's rate limits.
`--llm-cache DIR` keeps the answers so that a rerun sends no request and gives the same results."""

from __future__ import annotations

import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from execdesk.backtest.llm import BASELINE, LLM_MAX_WORKERS, llm_config, llm_summary_text
from execdesk.backtest.markets import (
    TAPE,
    WARMUP_MAX_S,
    WARMUP_MIN_S,
    default_warmup,
    load_tape,
    replay_market,
)
from execdesk.backtest.report_html import render_report
from execdesk.backtest.report_md import render_markdown
from execdesk.backtest.report_text import console_tables
from execdesk.backtest.spec import (
    BYBIT_ROUND_TRIP_S,
    DEFAULT_START_TS,
    LLM_STRATEGY,
    OrderSpec,
    RunSpec,
    parse_sides,
    parse_strategies,
)
from execdesk.backtest.suite import SuiteSpec, run_spec, run_suite
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.inputs import utc_datetime_input
from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP, MAX_CATCHUP_LIMIT, max_catchup_input
from execdesk.domain.end_policy import DEFAULT_END_POLICY, END_POLICIES
from execdesk.domain.limit_price import limit_price_input
from execdesk.market.regimes import SCENARIOS, resolve_scenarios
from execdesk.market.replay import ReplayMarket

DEFAULT_SEEDS = 20


class Command(BaseCommand):
    help = ("Backtest execution strategies on the simulator's regime suite (or a Bybit trade archive tape) "
            "through the desk's strategy, risk and TCA code.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--strategies", default="twap,vwap,is,pov,adaptive",
                            help="comma list of twap, vwap, is, pov, adaptive, llm (Claude over TWAP's "
                                 "schedule: needs ANTHROPIC_API_KEY)")
        parser.add_argument("--scenarios", default="all",
                            help=f"'all' or a comma list of {', '.join(SCENARIOS)} (docs/backtest.md)")
        parser.add_argument("--seeds", type=int, default=None,
                            help=f"seeds per scenario (paired across strategies; default {DEFAULT_SEEDS}, on a tape "
                                 "as many orders as it holds after the warm-up, at most that)")
        parser.add_argument("--first-seed", type=int, default=1)
        parser.add_argument("--tape", help="replay a Bybit public trade archive CSV (.csv or .csv.gz)")
        parser.add_argument("--warmup", type=float, default=None, metavar="SECONDS",
                            help="with --tape: the tape's history before the first order, at least 60 (default: "
                                 "as much of an hour as the tape holds beyond the orders); σ, ADV and the impact "
                                 "are calibrated on it only")
        parser.add_argument("--latency-ms", dest="latency_ms", type=float, default=BYBIT_ROUND_TRIP_S * 1000,
                            help="travel time of each order and cancel to the venue (default "
                                 f"{BYBIT_ROUND_TRIP_S * 1000:g}: the desk's measured Bybit round trip, p50, "
                                 "docs/benchmarks.md)")
        parser.add_argument("--symbol", default="BTCUSDT")
        parser.add_argument("--side", default="both", choices=["buy", "sell", "both"],
                            help="both (the standard suite): each path's sell mirrors its buy, reported per side "
                                 "and pooled")
        parser.add_argument("--pov-rate", dest="pov_rate", type=float, default=None,
                            help="POV's participation rate (0 to 1); default: the rate expected to finish at the "
                                 "horizon, like the other strategies (a fixed rate is flagged if it is not)")
        parser.add_argument("--min-participation", dest="min_participation", type=float, default=None, metavar="A",
                            help="POV: the share it slows to when ahead of its reference schedule (≤ the rate)")
        parser.add_argument("--max-participation", dest="max_participation", type=float, default=None, metavar="B",
                            help="POV: the share it speeds up to when behind (≥ the rate, at most the risk "
                                 "gate's cap)")
        parser.add_argument("--urgency", default=None, choices=["low", "medium", "high"],
                            help="IS: Almgren-Chriss risk aversion per bps of the notional (default medium; "
                                 "docs/strategies.md)")
        parser.add_argument("--risk-aversion", dest="risk_aversion", type=float, default=None, metavar="LAMBDA",
                            help="IS, instead of --urgency: the Almgren-Chriss lambda in 1 / quote currency")
        parser.add_argument("--qty", type=float, default=10.0, help="parent order quantity (base units)")
        parser.add_argument("--horizon", type=float, default=OrderSpec.horizon_s, help="seconds")
        parser.add_argument("--interval", type=float, default=OrderSpec.interval_s, help="seconds between decisions")
        parser.add_argument("--end-policy", dest="end_policy", default=DEFAULT_END_POLICY.value,
                            choices=list(END_POLICIES),
                            help="at the deadline: finish (default: cross the remainder in the last interval, "
                                 "capped by the risk gate), expire (stop at the deadline, the remainder charged "
                                 "its completion cost) or continue (work on at the last rate; a backtest stops "
                                 "it one horizon past the deadline)")
        parser.add_argument("--max-catchup", dest="max_catchup", default=str(DEFAULT_MAX_CATCHUP), metavar="K",
                            help="an order behind its schedule sends at most K times the scheduled slice a step "
                                 f"(1 to {MAX_CATCHUP_LIMIT:g}; default {DEFAULT_MAX_CATCHUP:g}); POV follows the volume")
        parser.add_argument("--limit-price", dest="limit_price", default=None, metavar="PRICE",
                            help="the parent's limit: a buy never fills above it, a sell never below it")
        parser.add_argument("--start-at", dest="start_at", default=None, metavar="ISO",
                            help="when the order starts on the simulator (ISO 8601, UTC when no offset; default "
                                 "Monday 2026-01-05 13:30 UTC, into the US open); a tape starts where it holds trades")
        parser.add_argument("--randomise", type=float, default=0.0,
                            help="TWAP/adaptive slice size and timing jitter, 0 to 0.5")
        parser.add_argument("--workers", type=int, default=None,
                            help=f"processes (default: CPU count; at most {LLM_MAX_WORKERS} with llm, for the "
                                 "API's rate limits)")
        parser.add_argument("--llm-cache", dest="llm_cache", metavar="DIR",
                            help="keep Claude's answers here (default EXECDESK_LLM_CACHE_DIR): a rerun is free "
                                 "and gives the same results")
        parser.add_argument("--json", dest="json_path", help="write every run and the summary here")
        parser.add_argument("--html", dest="html_path", help="write the Plotly report here")
        parser.add_argument("--markdown", dest="md_path", help="write the summary table as Markdown here")
        parser.add_argument("--example", help="the execution shown in the HTML report: strategy:scenario:seed")

    def handle(self, *args, **o) -> None:
        console = Console(file=self.stdout, force_terminal=None)  # type: ignore[arg-type]  # OutputWrapper wraps a text stream: rich only writes and flushes it
        try:
            suite = self._suite(o)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if o["workers"] is not None and o["workers"] < 1:
            raise CommandError(f"--workers must be at least 1, got {o['workers']}")
        for path in (o["json_path"], o["html_path"], o["md_path"]):
            if path and not Path(path).resolve().parent.is_dir():
                raise CommandError(f"cannot write {path}: its directory does not exist")
        if suite.tape:
            for line in _tape_lines(suite):
                console.print(line, highlight=False, soft_wrap=True)
        if LLM_STRATEGY in suite.strategies:
            steps = math.ceil(suite.order.horizon_s / suite.order.interval_s - 1e-9) + 1
            questions = len(suite.tasks()) * steps
            console.print(f"llm asks Claude once per step: up to {questions:,} questions for this suite "
                          "(answers already in the response cache are free)")
        columns = (TextColumn("[bold]backtest"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("runs", total=suite.runs)
            try:
                result = run_suite(suite, workers=o["workers"], progress=lambda n: progress.advance(task, n))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        data = result.to_dict()
        if suite.tape is not None:  # what the replay learnt from the warm-up before the first order
            data["suite"]["replay_calibration"] = _first_replay(suite).calibration.to_dict()
        for table in console_tables(data):
            console.print(table)
        if "llm" in data["summary"].get(LLM_STRATEGY, {}):
            console.print(llm_summary_text(data["summary"][LLM_STRATEGY]["llm"]))
        console.print(f"{suite.runs} runs, {result.simulated_s:,.0f} simulated seconds of execution, "
                      f"wall time {result.wall_s:.1f} s")
        if o["json_path"]:
            Path(o["json_path"]).write_text(json.dumps(data, indent=1))
            console.print(f"JSON: {o['json_path']}")
        if o["md_path"]:
            Path(o["md_path"]).write_text(render_markdown(data))
            console.print(f"Markdown summary: {o['md_path']}")
        if o["html_path"]:
            example = run_spec(_example_spec(suite, o["example"]), trace=True)
            Path(o["html_path"]).write_text(render_report(data, example))
            console.print(f"HTML report: {o['html_path']}")

    def _suite(self, o) -> SuiteSpec:
        strategies = tuple(parse_strategies(o["strategies"]))
        if LLM_STRATEGY in strategies:
            if o["llm_cache"] and Path(o["llm_cache"]).exists() and not Path(o["llm_cache"]).is_dir():
                raise ValueError(f"--llm-cache {o['llm_cache']}: not a directory")
            llm_config(o["llm_cache"])  # no key: refused here, before any run
            if BASELINE not in strategies:
                strategies = (BASELINE, *strategies)
                self.stdout.write("llm is measured against TWAP on the same market paths: twap added to the suite")
        if not (math.isfinite(o["latency_ms"]) and 0 <= o["latency_ms"] <= 60_000):
            raise ValueError(f"--latency-ms must be between 0 and 60000, got {o['latency_ms']:g}")
        warmup = None
        if o["tape"]:
            if not Path(o["tape"]).is_file():
                raise ValueError(f"--tape {o['tape']}: no such file")
            if o["scenarios"] not in ("all", TAPE):
                raise ValueError("--scenarios cannot be combined with --tape: a replay is its own scenario")
            scenarios: tuple[str, ...] = (TAPE,)
            warmup, seeds = _tape_plan(o)
        else:
            if o["warmup"] is not None:
                raise ValueError("--warmup is the history before the order on a tape: it needs --tape")
            scenarios = tuple(s.name for s in resolve_scenarios(o["scenarios"]))
            seeds = DEFAULT_SEEDS if o["seeds"] is None else o["seeds"]
        sides = parse_sides(o["side"])
        start_ts = _start_ts(o)
        order = OrderSpec(start_ts=start_ts, symbol=o["symbol"].upper(), side=sides[0], quantity=o["qty"],
                          horizon_s=o["horizon"], interval_s=o["interval"], randomise=o["randomise"],
                          pov_rate=o["pov_rate"], latency_s=o["latency_ms"] / 1000, warmup_s=warmup,
                          urgency=o["urgency"], risk_aversion=o["risk_aversion"],
                          min_participation=o["min_participation"], max_participation=o["max_participation"],
                          end_policy=o["end_policy"], max_catchup=max_catchup_input(o["max_catchup"]),
                          limit_price=limit_price_input(o["limit_price"]))
        cap = SuiteSpec.limits.max_participation
        if order.max_participation is not None and order.max_participation > cap:
            raise ValueError(f"--max-participation {order.max_participation:g} is above the risk gate's "
                             f"participation cap ({cap:g}): every slice above it would be refused")
        return SuiteSpec(strategies=strategies, scenarios=scenarios, seeds=seeds, order=order,
                         tape=o["tape"], first_seed=o["first_seed"], llm_cache=o["llm_cache"], sides=sides)


def _start_ts(o) -> float:
    if o["start_at"] is None:
        return DEFAULT_START_TS
    if o["tape"]:
        raise ValueError("--start-at is the simulator's start: a tape's orders start where the tape holds trades")
    try:
        moment = utc_datetime_input("--start-at", o["start_at"])
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None
    assert moment is not None  # a non-blank value
    return moment.timestamp()


def _tape_plan(o) -> tuple[float, int]:
    """Warm-up and seeds on a tape: each seed's order starts one horizon further into it, after a warm-up
    every seed shares. Unless given, the seeds are as many orders as the tape holds after a minute of
    warm-up (at most the default), and the warm-up as much of an hour as the tape holds beyond them."""
    tape = load_tape(o["tape"], o["symbol"].upper())
    horizon, warmup = o["horizon"], o["warmup"]
    if warmup is not None and not (math.isfinite(warmup) and warmup >= WARMUP_MIN_S):
        raise ValueError(f"--warmup must be at least {WARMUP_MIN_S:.0f} seconds, got {warmup:g}")
    seeds = o["seeds"]
    if seeds is None:
        room = tape.duration_s - (WARMUP_MIN_S if warmup is None else warmup)
        seeds = min(DEFAULT_SEEDS, math.floor(room / horizon + 1e-9))
        if seeds < 1:
            raise ValueError(f"the tape holds {tape.duration_s:,.0f} s: no room for a {horizon:g} s order after "
                             f"{WARMUP_MIN_S if warmup is None else warmup:g} s of warm-up")
    span = seeds * horizon
    if warmup is None:
        return default_warmup(tape, span), seeds
    if warmup + span > tape.duration_s:
        raise ValueError(f"--warmup {warmup:g}: the tape holds {tape.duration_s:,.0f} s, not {warmup:,.0f} s of "
                         f"warm-up and {seeds} × {horizon:g} s of orders")
    return warmup, seeds


def _first_replay(suite: SuiteSpec) -> ReplayMarket:
    return replay_market(RunSpec(strategy=suite.strategies[0], scenario=TAPE, seed=suite.first_seed,
                                 order=suite.order, tape=suite.tape))


def _tape_lines(suite: SuiteSpec) -> list[str]:
    """What the replay learnt before the first order, and what its warm-up and latency imply."""
    order = suite.order
    assert order.warmup_s is not None and suite.tape is not None
    market = _first_replay(suite)
    base = market.instrument.base_asset
    lines = [f"tape {market.tape.path}: {market.tape.n_trades:,} prints over {market.tape.duration_s:,.0f} s; "
             f"{suite.seeds} order(s) of {order.horizon_s:g} s, one after another after the warm-up"]
    lines += market.calibration.lines(market.mid, base)
    warmup = order.warmup_s
    if warmup < WARMUP_MAX_S:
        hours = len(market.hourly_volumes(24))
        lines.append(f"warm-up {warmup:,.0f} s is less than an hour: the snapshot's volume_1h and volatility_1h "
                     f"(IS's Almgren–Chriss inputs) are {warmup:,.0f} s of tape scaled to an hour, VWAP's volume "
                     f"curve has {hours} whole hour(s) of history" + (" (flat)" if hours == 0 else "")
                     + f", and λ's band is as wide as {warmup:,.0f} s of prints allow")
    lines.append(f"latency {order.latency_s * 1000:g} ms per order and per cancel"
                 + (" (the desk's measured Bybit round trip, p50, docs/benchmarks.md: a floor for a real network)"
                    if order.latency_s == BYBIT_ROUND_TRIP_S else ""))
    return lines


def _example_spec(suite: SuiteSpec, example: str | None) -> RunSpec:
    if example:
        try:
            strategy, scenario, seed = example.split(":")
            seed_n = int(seed)
        except ValueError:
            raise CommandError(f"--example {example!r}: expected strategy:scenario:seed") from None
        if strategy not in suite.strategies or scenario not in suite.scenarios:
            raise CommandError(f"--example {example!r}: strategy and scenario must be part of the suite")
    else:
        preferred = [s for s in ("adaptive", "is", "vwap", "pov") if s in suite.strategies]
        strategy = preferred[0] if preferred else suite.strategies[0]
        scenario, seed_n = suite.scenarios[0], suite.first_seed
    offset = 0.0 if suite.tape is None else (seed_n - suite.first_seed) * suite.order.horizon_s
    return RunSpec(strategy=strategy, scenario=scenario, seed=seed_n, order=suite.order, limits=suite.limits,
                   tape=suite.tape, tape_offset_s=offset, llm_cache=suite.llm_cache)

