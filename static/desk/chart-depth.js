/* ExecDesk.DepthChart: the order book's cumulative depth from the market push's 5 levels a side, as two
   step areas (bids green, asks red) around a mid line. Restyled in place, at most twice a second. */
(function (D) {
  "use strict";

  var num = D.num;
  var gd = null, pending = null, timer = null, drawnAt = 0;
  var EVERY_MS = 500;

  /** Levels best first -> step points [(best, 0), (best, q1), (next, q1 + q2), ...] for shape "hv". */
  function steps(levels) {
    var x = [], y = [], cum = 0;
    (levels || []).forEach(function (l, i) {
      var px = num(l.price), q = num(l.qty) || 0;
      if (px === null) return;
      if (i === 0) { x.push(px); y.push(0); }
      cum += q;
      x.push(px); y.push(cum);
    });
    return { x: x, y: y };
  }

  function layout() {
    var l = D.Charts.baseLayout();
    l.margin = { l: 8, r: 56, t: 10, b: 26 };
    l.xaxis = { type: "linear", gridcolor: "#1b2230", linecolor: "#2d3748", zeroline: false, tickformat: ",.1f", nticks: 6 };
    l.yaxis.tickformat = ",.3~f";
    l.yaxis.rangemode = "tozero";
    l.showlegend = false;
    l.hovermode = "x";
    l.shapes = [];
    l.annotations = D.Charts.emptyNote("Waiting for the order book");
    l.xaxis.visible = l.yaxis.visible = false;
    return l;
  }

  function side(name, color, fill) {
    return { name: name, type: "scatter", mode: "lines", x: [], y: [], line: { color: color, width: 1.6, shape: "hv" },
      fill: "tozeroy", fillcolor: fill, hovertemplate: name + " %{y:,.4f} to %{x:,.2f}<extra></extra>" };
  }

  function init(node, market) {
    if (!node || !D.Charts.available()) return;
    gd = node;
    var c = D.Charts.colors;
    window.Plotly.newPlot(gd, [side("bids", c.bid, "rgba(34,195,142,.15)"), side("asks", c.ask, "rgba(242,84,95,.15)")], layout(), D.Charts.config);
    if (market) update(market);
  }

  function draw() {
    timer = null;
    var m = pending;
    pending = null;
    if (!gd || !m) return;
    drawnAt = Date.now();
    var b = steps(m.bids), a = steps(m.asks);
    window.Plotly.restyle(gd, { x: [b.x, a.x], y: [b.y, a.y] }, [0, 1]);
    var mid = num(m.mid);
    var some = !!(b.x.length || a.x.length);
    window.Plotly.relayout(gd, {
      annotations: some ? [] : layout().annotations, "xaxis.visible": some, "yaxis.visible": some,
      shapes: mid === null ? [] : [{ type: "line", xref: "x", yref: "paper", x0: mid, x1: mid, y0: 0, y1: 1,
        line: { color: "#8fa3bf", width: 1, dash: "dot" } }],
    });
  }

  /** A market snapshot arrived: draw it now, or within EVERY_MS if one was just drawn. */
  function update(m) {
    if (!gd || !m || (!m.bids && !m.asks)) return;
    pending = m;
    if (timer) return;
    timer = setTimeout(draw, Math.max(0, EVERY_MS - (Date.now() - drawnAt)));
  }

  D.DepthChart = { init: init, update: update };
})(window.ExecDesk);
