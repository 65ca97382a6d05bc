/* ExecDesk.Charts: the order page's two Plotly charts, price & fills and executed vs schedule.
   Without window.Plotly (the vendor file failed to load) the page shows #chart-fallback instead. */
(function (D) {
  "use strict";

  var $ = D.$, num = D.num, plotTime = D.plotTime, MAX_POINTS = D.MAX_POINTS, TERMINAL = D.TERMINAL;

  var price = null, sched = null, S = null, lastMidT = 0;
  var colors = { mid: "#8fa3bf", vwap: "#a183ff", maker: "#22c38e", taker: "#f2b53a", decision: "#d5dce7", schedule: "#738096", exec: "#3d9bff" };
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"] };

  function baseLayout() {
    return {
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#0e1219",
      font: { family: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", size: 10.5, color: "#aab4c3" },
      margin: { l: 8, r: 70, t: 26, b: 28 },
      xaxis: { type: "date", gridcolor: "#1b2230", linecolor: "#2d3748", zeroline: false, tickformat: "%H:%M:%S" },
      yaxis: { side: "right", gridcolor: "#1b2230", linecolor: "#2d3748", zeroline: false, tickformat: ",.2f" },
      legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)", font: { size: 10 } },
      hovermode: "closest",
      hoverlabel: { bgcolor: "#161c27", bordercolor: "#2d3748", font: { family: "ui-monospace, monospace", color: "#d5dce7" } },
      uirevision: "keep",
      datarevision: 0,
    };
  }

  function available() { return typeof window.Plotly !== "undefined"; }

  /** Seed the mid line with what the page already knows: the mids the advisor saw, and the market now. */
  function seedMids(initialState) {
    var pts = [];
    (initialState.proposals || []).forEach(function (p) {
      if (num(p.mid) !== null && num(p.created_at) !== null) pts.push([num(p.created_at), num(p.mid)]);
    });
    if (initialState.market && num(initialState.market.mid) !== null) pts.push([num(initialState.market.ts), num(initialState.market.mid)]);
    pts.sort(function (a, b) { return a[0] - b[0]; });
    return pts.slice(-MAX_POINTS);
  }

  function priceTraces(pts) {
    return [
      { name: "Mid", type: "scatter", mode: "lines", x: pts.map(function (p) { return plotTime(p[0]); }), y: pts.map(function (p) { return p[1]; }),
        line: { color: colors.mid, width: 1.4 }, hovertemplate: "mid %{y:,.2f}<br>%{x}<extra></extra>" },
      { name: "Running VWAP", type: "scatter", mode: "lines", x: [], y: [], line: { color: colors.vwap, width: 2, shape: "hv" },
        hovertemplate: "VWAP %{y:,.2f}<br>%{x}<extra></extra>" },
      { name: "Fill \u00b7 maker (passive)", type: "scatter", mode: "markers", x: [], y: [], customdata: [],
        marker: { color: colors.maker, size: [], symbol: "circle", opacity: 0.85, line: { color: "#0a0d12", width: 1 } },
        hovertemplate: "maker fill %{customdata} @ %{y:,.2f}<br>%{x}<extra></extra>" },
      { name: "Fill \u00b7 taker (aggressive)", type: "scatter", mode: "markers", x: [], y: [], customdata: [],
        marker: { color: colors.taker, size: [], symbol: "diamond", opacity: 0.9, line: { color: "#0a0d12", width: 1 } },
        hovertemplate: "taker fill %{customdata} @ %{y:,.2f}<br>%{x}<extra></extra>" },
    ];
  }

  function priceLayout(decisionPrice) {
    var layout = baseLayout();
    if (decisionPrice) {
      layout.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: decisionPrice, y1: decisionPrice,
        line: { color: colors.decision, width: 1, dash: "dash" } }];
      layout.annotations = [{ xref: "paper", x: 0, yref: "y", y: decisionPrice, xanchor: "left", yanchor: "bottom", showarrow: false,
        text: "decision " + D.fmtPrice(decisionPrice), font: { size: 10, color: colors.decision }, bgcolor: "rgba(14,18,25,.8)" }];
    }
    return layout;
  }

  function scheduleTraces() {
    return [
      { name: "Linear schedule", type: "scatter", mode: "lines", x: [], y: [], line: { color: colors.schedule, width: 1.5, dash: "dot" },
        hovertemplate: "schedule %{y:,.4f}<br>%{x}<extra></extra>" },
      { name: "Executed", type: "scatter", mode: "lines", x: [], y: [], line: { color: colors.exec, width: 2, shape: "hv" },
        fill: "tozeroy", fillcolor: "rgba(61,155,255,.12)", hovertemplate: "executed %{y:,.4f}<br>%{x}<extra></extra>" },
    ];
  }

  function scheduleLayout() {
    var layout = baseLayout();
    layout.margin = { l: 8, r: 70, t: 22, b: 26 };
    layout.yaxis.tickformat = ",.4~f";
    layout.yaxis.rangemode = "tozero";
    layout.hovermode = "x";
    return layout;
  }

  /** Draw both charts; `state` is the order page's live state (read again on every update). */
  function init(state, initialState) {
    S = state;
    var gd = $("#price-chart"), gd2 = $("#schedule-chart");
    if (!gd) return;
    if (!available()) { var fb = $("#chart-fallback"); if (fb) fb.hidden = false; return; }
    var pts = seedMids(initialState);
    lastMidT = pts.length ? pts[pts.length - 1][0] : 0;
    price = gd;
    window.Plotly.newPlot(gd, priceTraces(pts), priceLayout(initialState.progress && num(initialState.progress.decision_price)), config);
    if (gd2) {
      sched = gd2;
      window.Plotly.newPlot(gd2, scheduleTraces(), scheduleLayout(), config);
    }
  }

  function midPoint(t, mid) {
    if (!price) return;
    t = num(t); mid = num(mid);
    if (t === null || mid === null || t <= lastMidT) return;
    lastMidT = t;
    window.Plotly.extendTraces(price, { x: [[plotTime(t)]], y: [[mid]] }, [0], MAX_POINTS);
  }

  function market(m) { midPoint(m.ts, m.mid); }

  function markerSize(qty) {
    var total = S && S.progress ? num(S.progress.quantity) : null;
    if (!total) return 10;
    return Math.max(6, Math.min(30, 6 + 48 * Math.sqrt((num(qty) || 0) / total)));
  }

  function fillsByTime(state) {
    var list = [];
    state.fills.forEach(function (f) { list.push(f); });
    list.sort(function (a, b) { return num(a.ts) - num(b.ts); });
    return list;
  }

  /** Fills are rare: rebuild the fill and VWAP traces in place and let Plotly.react diff them. */
  function fills(state) {
    if (!price) return;
    var list = fillsByTime(state).slice(-MAX_POINTS);
    var d = price.data;
    var vx = [], vy = [], cq = 0, cn = 0;
    [d[2], d[3]].forEach(function (tr) { tr.x = []; tr.y = []; tr.customdata = []; tr.marker.size = []; });
    list.forEach(function (f) {
      var q = num(f.qty) || 0, px = num(f.price) || 0, t = plotTime(num(f.ts));
      cq += q; cn += q * px;
      vx.push(t); vy.push(cq ? cn / cq : px);
      var tr = String(f.liquidity).toLowerCase() === "maker" ? d[2] : d[3];
      tr.x.push(t); tr.y.push(px); tr.customdata.push(D.fmtQty(f.qty)); tr.marker.size.push(markerSize(f.qty));
    });
    if (vx.length && state.progress && TERMINAL.indexOf(state.progress.status) === -1) {
      // carry the running VWAP to "now" so the step line reaches the right edge
      vx.push(plotTime(Math.max(D.serverNow(), lastMidT))); vy.push(vy[vy.length - 1]);
    }
    d[1].x = vx; d[1].y = vy;
    price.layout.datarevision = (price.layout.datarevision || 0) + 1;
    window.Plotly.react(price, d, price.layout, config);
    schedule(state);
  }

  function progress() {
    if (sched && S) schedule(S);
  }

  function schedule(state) {
    if (!sched) return;
    var p = state.progress;
    if (!p) return;
    var started = num(p.started_at), deadline = num(p.deadline), qty = num(p.quantity);
    var d = sched.data;
    if (started !== null && deadline !== null && qty) {
      if (S && S.schedule && S.schedule.length) {
        // the strategy's own plan: each slice is due at its offset (a step line)
        d[0].name = (S.strategyLabel || "Strategy") + " schedule";
        d[0].line.shape = "hv";
        d[0].x = [plotTime(started)].concat(S.schedule.map(function (pt) { return plotTime(started + pt[0]); }), [plotTime(deadline)]);
        d[0].y = [0].concat(S.schedule.map(function (pt) { return pt[1]; }), [qty]);
      } else {
        d[0].x = [plotTime(started), plotTime(deadline)];
        d[0].y = [0, qty];
      }
      var list = fillsByTime(state);
      var ex = [plotTime(started)], ey = [0], cum = 0;
      list.forEach(function (f) { cum += num(f.qty) || 0; ex.push(plotTime(num(f.ts))); ey.push(cum); });
      var end = TERMINAL.indexOf(p.status) !== -1 && list.length ? num(list[list.length - 1].ts) : Math.min(D.serverNow(), deadline);
      ex.push(plotTime(Math.max(end, started))); ey.push(num(p.executed) || cum);
      d[1].x = ex; d[1].y = ey;
    } else {
      d[0].x = []; d[0].y = []; d[1].x = []; d[1].y = [];
    }
    var empty = !d[0].x.length;
    sched.layout.xaxis.visible = !empty;
    sched.layout.yaxis.visible = !empty;
    sched.layout.showlegend = !empty;
    sched.layout.annotations = empty ? [{ xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false,
      text: "The schedule starts when the order starts", font: { size: 11, color: "#738096" } }] : [];
    sched.layout.datarevision = (sched.layout.datarevision || 0) + 1;
    window.Plotly.react(sched, d, sched.layout, config);
  }

  D.Charts = { init: init, midPoint: midPoint, market: market, fills: fills, progress: progress };
})(window.ExecDesk);
