/* ExecDesk.initOrder: one parent order's page. Builds the page state, wires the parts together
   (order-panels, order-advisor, order-controls, order-proposals, order-tables, charts) and feeds them
   the embedded first state, the websocket's events and a full state again after every (re)connect. */
(function (D) {
  "use strict";

  var $ = D.$;

  /** The state every part reads: the order's identity from #order-root, and what we know so far. */
  function pageState(root) {
    var symbol = root.getAttribute("data-symbol");
    var side = root.getAttribute("data-side");
    return {
      orderId: Number(root.getAttribute("data-order-id")),
      symbol: symbol,
      side: side,
      sideSign: side === "sell" ? -1 : 1,
      base: D.baseAsset(symbol),
      canTrade: root.getAttribute("data-can-trade") === "1",
      me: { name: root.getAttribute("data-username") || "", role: root.getAttribute("data-role") || "" },
      isExecuted: null,      // executed quantity of the IS chart's last point
      progress: null,
      market: null,
      proposals: new Map(),  // id -> proposal
      cards: new Map(),      // id -> pending card element
      children: new Map(),   // id -> child order
      fills: new Map(),      // exec_id -> fill
    };
  }

  /** The decision URL for a proposal: the page carries approve's URL for a placeholder id. */
  function proposalUrlMaker(root) {
    var tpl = root.getAttribute("data-proposal-url");
    return function (id, action) {
      return tpl.replace("999999999", String(Number(id))).replace(/approve\/?$/, action + "/");
    };
  }

  function initOrder() {
    var root = $("#order-root");
    var stateNode = $("#order-state");
    if (!root || !stateNode) return;

    var S = pageState(root);
    var panels = D.OrderPanels(S);
    var tables = D.OrderTables(S);
    var advisor = D.OrderAdvisor(S);
    var controls = D.OrderControls(S, function (status) {
      if (S.progress) { S.progress.status = status; renderProgress(S.progress); }
      if (status === "ACTIVE" && !(S.schedule && S.schedule.length)) afterStart();
    });

    /** The order just started: its strategy's inputs were frozen and its schedule planned. Fetch both and
     *  update in place (the page never reloads). */
    function afterStart() {
      resync();
      D.fetchPage(window.location.pathname, "html").then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("strategy-params");
        var here = document.getElementById("strategy-params");
        if (fresh && here) here.replaceWith(document.importNode(fresh, true)); // Django-escaped markup, as parsed
      }).catch(function () { /* the panel keeps its pre-start text until the next visit */ });
    }
    var changes = D.OrderChanges(S, function (p) {
      renderProgress(p);
      D.Charts.replan(S); // an amend may have moved the quantity or the deadline
    });
    var proposals = D.OrderProposals(S, {
      url: proposalUrlMaker(root),
      onChange: panels.renderAdvisor,
      onEscape: function () { controls.closeCancel(); changes.closeAll(); },
    });

    function renderProgress(p) {
      panels.renderProgress(p);
      controls.render(p.status);
      changes.render(p.status);
      panels.renderDrift();
      tick();
      D.Charts.progress(p);
      isPoint(p);
    }

    /** A fill moved the fills' slippage: a point at the latest fill's time (fills are pushed before the progress). */
    function isPoint(p) {
      var executed = D.num(p.executed);
      if (executed === null) return;
      var slip = D.num((p.tca || {}).decision_slippage_bps);
      if (S.isExecuted !== null && executed > S.isExecuted && slip !== null && D.ISChart) {
        var t = null;
        S.fills.forEach(function (f) { var ft = D.num(f.ts); if (ft !== null && (t === null || ft > t)) t = ft; });
        D.ISChart.point(t === null ? D.serverNow() : t, slip);
      }
      S.isExecuted = executed;
    }

    function renderMarket(m) {
      if (!panels.renderMarket(m)) return;
      panels.renderDrift();
      D.Charts.market(m);
    }

    /** Every half second: countdowns and "… ago" figures. */
    function tick() {
      panels.tickClock();
      proposals.tickCards();
      panels.tickAdvisor();
      panels.tickMarketAge();
    }

    /** A whole state: the first paint, and after every reconnect. asked: when it was requested (ms). */
    function applyState(state, initial, asked) {
      if (state.schedule) {
        var replanned = !initial && (S.schedule || []).length !== state.schedule.length;
        S.schedule = state.schedule; S.strategyLabel = state.strategy_label;
        if (replanned) D.Charts.replan(S);
      }
      if (!initial && state.is_series && D.ISChart) {
        D.ISChart.reset(state.is_series);
        if (state.progress) S.isExecuted = D.num(state.progress.executed);
      }
      (state.proposals || []).slice().sort(function (a, b) { return a.seq - b.seq; })
        .forEach(function (p) { proposals.upsert(p, true); });
      // a proposal pending in our view but decided while we were disconnected
      if (!initial) proposals.forgetMissing(state.proposals || [], asked);
      proposals.renderHistory();
      panels.renderAdvisor();
      (state.children || []).slice().reverse().forEach(tables.upsertChild);
      (state.proposals || []).forEach(tables.upsertWait);
      var added = false;
      (state.fills || []).forEach(function (f) { added = tables.addFill(f) || added; });
      if (state.market) renderMarket(state.market);
      if (state.progress) renderProgress(state.progress);
      if (state.advisor) advisor.render(state.advisor);
      if (added && !initial) D.Charts.fills(S);
    }

    function resync() {
      var asked = Date.now();
      D.fetchPage(root.getAttribute("data-state-url"), "json")
        .then(function (state) { applyState(state, false, asked); })
        .catch(function () { /* the socket's events keep the page current */ });
    }

    function onEvent(msg) {
      if (msg.order_id !== null && msg.order_id !== undefined && Number(msg.order_id) !== S.orderId) return;
      var d = msg.data || {};
      switch (msg.type) {
        case "progress":
        case "status":
          renderProgress(d);
          break;
        case "proposal":
          proposals.upsert(d, false);
          tables.upsertWait(d);
          break;
        case "child":
          tables.upsertChild(d);
          break;
        case "fill":
          if (tables.addFill(d)) D.Charts.fills(S);
          break;
        case "market":
          renderMarket(d);
          break;
        case "advisor":
          advisor.render(d);
          panels.renderAdvisor();
          break;
        case "error":
          D.toast(d.error || "desk error", "error");
          break;
      }
    }

    controls.bind();
    changes.bind();
    proposals.bindKeys();
    var initialState = JSON.parse(stateNode.textContent);
    if (initialState.progress) S.isExecuted = D.num(initialState.progress.executed);
    if (initialState.advisor) S.advisorMetrics = initialState.advisor;
    D.Charts.init(S, initialState);
    applyState(initialState, true);
    D.Charts.fills(S);
    setInterval(tick, 500);
    D.DeskSocket(root.getAttribute("data-ws-path"), {
      open: function () { resync(); }, // catch up with whatever happened before or while we were away
      event: onEvent,
    });
  }

  D.initOrder = initOrder;
})(window.ExecDesk);
