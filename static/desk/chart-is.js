/* ExecDesk.ISChart: the fills' slippage against the decision price over time, one point per fill (bps,
   + = cost; before fees and without the unfilled part — not the implementation shortfall, which the
   Performance panel shows). Drawn from the order state's `is_series` (the TCA's decision_slippage_bps after
   each fill), then extended with the progress push's `tca.decision_slippage_bps` after each fill. */
(function (D) {
  "use strict";

  var num = D.num, plotTime = D.plotTime;
  var gd = null, lastT = -Infinity, count = 0;

  function layout(empty) {
    var l = D.Charts.baseLayout();
    l.margin = { l: 8, r: 72, t: 10, b: 26 };
    l.yaxis.tickformat = "+.1f";
    l.yaxis.zeroline = true;
    l.yaxis.zerolinecolor = "#4a5568";
    l.yaxis.ticksuffix = " bps";
    l.showlegend = false;
    l.hovermode = "x";
    l.annotations = empty ? D.Charts.emptyNote("A point per fill, once the order fills") : [];
    l.xaxis.visible = l.yaxis.visible = !empty;
    return l;
  }

  function trace(series) {
    return { name: "fill slippage", type: "scatter", mode: "lines+markers",
      x: series.map(function (p) { return plotTime(p[0]); }), y: series.map(function (p) { return p[1]; }),
      line: { color: D.Charts.colors.is, width: 1.8, shape: "linear" }, marker: { size: 5, color: D.Charts.colors.is },
      fill: "tozeroy", fillcolor: "rgba(242,181,58,.08)",
      hovertemplate: "fills vs decision %{y:+.2f} bps<br>%{x}<extra></extra>" };
  }

  /** One point alone would get a millisecond-wide time axis: give it a minute around it until the second. */
  function xRange() {
    return count === 1 ? { "xaxis.range": [plotTime(lastT - 30), plotTime(lastT + 30)] } : { "xaxis.autorange": true };
  }

  function init(node, series) {
    if (!node || !D.Charts.available()) return;
    gd = node;
    count = series.length;
    lastT = count ? num(series[count - 1][0]) : -Infinity;
    var l = layout(!count);
    if (count === 1) l.xaxis.range = xRange()["xaxis.range"];
    window.Plotly.newPlot(gd, [trace(series)], l, D.Charts.config);
  }

  /** A fill moved the IS: one more point (a point at an earlier time than the last is left to the next resync). */
  function point(t, bps) {
    t = num(t); bps = num(bps);
    if (!gd || t === null || bps === null || t < lastT) return;
    lastT = t;
    window.Plotly.extendTraces(gd, { x: [[plotTime(t)]], y: [[bps]] }, [0], D.MAX_POINTS);
    count += 1;
    if (count === 1) window.Plotly.relayout(gd, Object.assign({ annotations: [], "xaxis.visible": true, "yaxis.visible": true }, xRange()));
    else if (count === 2) window.Plotly.relayout(gd, xRange());
  }

  /** A whole series (after a reconnect): restyled in place. */
  function reset(series) {
    if (!gd) return;
    var before = count, t = trace(series);
    window.Plotly.restyle(gd, { x: [t.x], y: [t.y] }, [0]);
    if (!count !== !series.length) {
      var l = layout(!series.length);
      window.Plotly.relayout(gd, { annotations: l.annotations, "xaxis.visible": l.xaxis.visible, "yaxis.visible": l.yaxis.visible });
    }
    count = series.length;
    lastT = count ? num(series[count - 1][0]) : -Infinity;
    if (count && count !== before) window.Plotly.relayout(gd, xRange()); // else the trader's zoom stays
  }

  D.ISChart = { init: init, point: point, reset: reset };
})(window.ExecDesk);
