/* ExecDesk.Charts: the order page's price & fills chart and its executed vs schedule chart, plus the look
   and helpers the other charts (chart-is.js, chart-depth.js) share. Each chart is drawn once with
   Plotly.newPlot; live updates only extend (Plotly.extendTraces) or restyle / relayout it.
   Without window.Plotly (the vendor file failed to load) the page shows #chart-fallback instead. */
(function (D) {
  "use strict";

  var $ = D.$, num = D.num, plotTime = D.plotTime, MAX_POINTS = D.MAX_POINTS, TERMINAL = D.TERMINAL;

  var colors = { mid: "#8fa3bf", vwap: "#a183ff", maker: "#22c38e", taker: "#f2b53a", decision: "#d5dce7",
                 schedule: "#738096", exec: "#3d9bff", bid: "#22c38e", ask: "#f2545f", is: "#f2b53a" };
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
    };
  }

  function available() { return typeof window.Plotly !== "undefined"; }

  /** The empty-chart note as a layout annotation (relayout'ed away when data arrives). */
  function emptyNote(text) {
    return [{ xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, text: text, font: { size: 11, color: "#738096" } }];
  }

  /* ───────────────────────── price & fills ───────────────────────── */

  var price = null, sched = null, S = null, lastMidT = 0;
  var plotted = new Set(), lastFillT = -Infinity, vwapQty = 0, vwapNotional = 0, lastVwap = null;
  var TR = { mid: 0, vwap: 1, maker: 2, taker: 3, tail: 4 };

  /** Seed the mid line with what the page already knows: the mids the advisor saw, and the market now. */
  function seedMids(initialState) {
    var pts = [];
    (initialState.proposals || []).forEach(function (p) {
      if (num(p.mid) !== null && num(p.created_at) !== null) pts.push([num(p.created_at), num(p.mid)]);
    });
    if (initialState.market && num(initialState.market.mid) !== null && num(initialState.market.ts) !== null) {
      pts.push([num(initialState.market.ts), num(initialState.market.mid)]);
    }
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
      // the running VWAP carried from the last fill to now, so the step line reaches the right edge
      { name: "VWAP now", type: "scatter", mode: "lines", x: [], y: [], showlegend: false, hoverinfo: "skip",
        line: { color: colors.vwap, width: 2, dash: "dot" } },
    ];
  }

  function decisionShapes(decisionPrice) {
    if (!decisionPrice) return { shapes: [], annotations: [] };
    return {
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: decisionPrice, y1: decisionPrice,
        line: { color: colors.decision, width: 1, dash: "dash" } }],
      annotations: [{ xref: "paper", x: 0, yref: "y", y: decisionPrice, xanchor: "left", yanchor: "bottom", showarrow: false,
        text: "decision " + D.fmtPrice(decisionPrice), font: { size: 10, color: colors.decision }, bgcolor: "rgba(14,18,25,.8)" }],
    };
  }

  function priceLayout(decisionPrice) {
    var layout = baseLayout();
    var deco = decisionShapes(decisionPrice);
    layout.shapes = deco.shapes;
    layout.annotations = deco.annotations;
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
    layout.xaxis.visible = layout.yaxis.visible = layout.showlegend = false;
    layout.annotations = emptyNote("The schedule starts when the order starts");
    return layout;
  }

  /** Draw the charts once; `state` is the order page's live state (read again on every update). */
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
    if (D.ISChart) D.ISChart.init($("#is-chart"), initialState.is_series || []);
    if (D.DepthChart) D.DepthChart.init($("#depth-chart"), initialState.market);
  }

  function midPoint(t, mid) {
    if (!price) return;
    t = num(t); mid = num(mid);
    if (t === null || mid === null || t <= lastMidT) return;
    lastMidT = t;
    window.Plotly.extendTraces(price, { x: [[plotTime(t)]], y: [[mid]] }, [TR.mid], MAX_POINTS);
    vwapTail();
  }

  function market(m) {
    midPoint(m.ts, m.mid);
    if (D.DepthChart) D.DepthChart.update(m);
  }

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

  function isMaker(f) { return String(f.liquidity).toLowerCase() === "maker"; }

  /** The fill traces' columns for a list of fills, running VWAP included (continuing from vwapQty/vwapNotional). */
  function columns(list) {
    var cols = {};
    cols[TR.vwap] = { x: [], y: [] };
    cols[TR.maker] = { x: [], y: [], customdata: [], size: [] };
    cols[TR.taker] = { x: [], y: [], customdata: [], size: [] };
    list.forEach(function (f) {
      var q = num(f.qty) || 0, px = num(f.price) || 0, t = plotTime(num(f.ts));
      vwapQty += q; vwapNotional += q * px;
      lastVwap = vwapQty ? vwapNotional / vwapQty : px;
      cols[TR.vwap].x.push(t); cols[TR.vwap].y.push(lastVwap);
      var c = cols[isMaker(f) ? TR.maker : TR.taker];
      c.x.push(t); c.y.push(px); c.customdata.push(D.fmtQty(f.qty)); c.size.push(markerSize(f.qty));
      plotted.add(f.exec_id);
      lastFillT = Math.max(lastFillT, num(f.ts));
    });
    return cols;
  }

  /** New fills extend the traces; a fill older than the last one plotted (a resync) restyles them whole. */
  function fills(state) {
    if (!price) { schedule(state); return; }
    var list = fillsByTime(state);
    var fresh = list.filter(function (f) { return !plotted.has(f.exec_id); });
    if (!fresh.length) { schedule(state); return; }
    var inOrder = fresh.every(function (f) { return num(f.ts) >= lastFillT; }) && plotted.size + fresh.length <= MAX_POINTS;
    if (inOrder) {
      var c = columns(fresh);
      window.Plotly.extendTraces(price, { x: [c[TR.vwap].x], y: [c[TR.vwap].y] }, [TR.vwap], MAX_POINTS);
      var idx = [], upd = { x: [], y: [], customdata: [], "marker.size": [] };
      [TR.maker, TR.taker].forEach(function (i) {
        if (!c[i].x.length) return;
        idx.push(i);
        upd.x.push(c[i].x); upd.y.push(c[i].y); upd.customdata.push(c[i].customdata); upd["marker.size"].push(c[i].size);
      });
      if (idx.length) window.Plotly.extendTraces(price, upd, idx, MAX_POINTS);
    } else {
      plotted.clear(); lastFillT = -Infinity; vwapQty = vwapNotional = 0;
      var all = columns(list.slice(-MAX_POINTS));
      window.Plotly.restyle(price, {
        x: [all[TR.vwap].x, all[TR.maker].x, all[TR.taker].x],
        y: [all[TR.vwap].y, all[TR.maker].y, all[TR.taker].y],
        customdata: [null, all[TR.maker].customdata, all[TR.taker].customdata],
        "marker.size": [null, all[TR.maker].size, all[TR.taker].size],
      }, [TR.vwap, TR.maker, TR.taker]);
    }
    vwapTail();
    schedule(state);
  }

  /** Carry the running VWAP from the last fill to now (two points, restyled). */
  function vwapTail() {
    if (!price || lastVwap === null || !S || !S.progress) return;
    var done = TERMINAL.indexOf(S.progress.status) !== -1;
    var end = Math.max(D.serverNow(), lastMidT);
    var x = done ? [] : [plotTime(lastFillT), plotTime(end)];
    var y = done ? [] : [lastVwap, lastVwap];
    window.Plotly.restyle(price, { x: [x], y: [y] }, [TR.tail]);
  }

  /* ───────────────────────── executed vs schedule ───────────────────────── */

  var schedDrawn = false;

  function progress() {
    if (sched && S) schedule(S);
  }

  function schedule(state) {
    if (!sched) return;
    var p = state.progress;
    if (!p) return;
    var started = num(p.started_at), deadline = num(p.deadline), qty = num(p.quantity);
    if (started === null || deadline === null || !qty) return;
    if (!schedDrawn) {
      var plan = state.schedule && state.schedule.length;
      var sx = plan ? [plotTime(started)].concat(state.schedule.map(function (pt) { return plotTime(started + pt[0]); }), [plotTime(deadline)])
        : [plotTime(started), plotTime(deadline)];
      var sy = plan ? [0].concat(state.schedule.map(function (pt) { return pt[1]; }), [qty]) : [0, qty];
      window.Plotly.restyle(sched, { x: [sx], y: [sy], name: (plan ? (state.strategyLabel || "Strategy") + " schedule" : "Linear schedule"),
        "line.shape": plan ? "hv" : "linear" }, [0]);
      window.Plotly.relayout(sched, { "xaxis.visible": true, "yaxis.visible": true, showlegend: true, annotations: [] });
      schedDrawn = true;
    }
    var list = fillsByTime(state);
    var ex = [plotTime(started)], ey = [0], cum = 0;
    list.forEach(function (f) { cum += num(f.qty) || 0; ex.push(plotTime(num(f.ts))); ey.push(cum); });
    var end = TERMINAL.indexOf(p.status) !== -1 && list.length ? num(list[list.length - 1].ts) : Math.min(D.serverNow(), deadline);
    ex.push(plotTime(Math.max(end, started))); ey.push(num(p.executed) || cum);
    window.Plotly.restyle(sched, { x: [ex], y: [ey] }, [1]);
  }

  /** An amended order: its quantity or deadline changed, so the schedule is drawn again. */
  function replan(state) {
    schedDrawn = false;
    schedule(state);
  }

  D.Charts = {
    init: init, midPoint: midPoint, market: market, fills: fills, progress: progress, replan: replan,
    colors: colors, config: config, baseLayout: baseLayout, available: available, emptyNote: emptyNote,
  };
})(window.ExecDesk);
