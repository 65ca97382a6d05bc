/* ExecDesk.initHome: the desk overview, a live table of parent orders (filtered by the server, see
   home-filters.js), the approval queue's panel (proposal-queue.js) and the default market's ticker. */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, setText = D.setText, num = D.num, DASH = D.DASH, TERMINAL = D.TERMINAL;

  /** Server-rendered cells carry their raw value in data-raw; show it in the page's number format. */
  function formatCells(root) {
    $all("[data-fmt]", root).forEach(function (cell) {
      var raw = cell.getAttribute("data-raw");
      var kind = cell.getAttribute("data-fmt");
      if (raw === null) return;
      cell.textContent = kind === "qty" ? D.fmtQty(raw) : kind === "price" ? D.fmtPrice(raw) : D.fmtBps(raw, false);
      if (kind === "bps") D.setCostClass(cell, raw);
    });
  }

  function modeLabel(mode, cap) {
    if (mode === "manual") return "manual";
    if (mode === "auto_within_limits") {
      var c = num(cap);
      return "auto \u2264 " + (c === null ? DASH : c.toLocaleString("en-US", { maximumFractionDigits: 0 }));
    }
    return mode || DASH;
  }

  /** The orders table: rows updated in place from pushes, re-fetched whole (with the page's filters) when an
      unknown order shows up or a row may have left the filtered view. */
  function OrdersTable(root, table, filters) {
    var refreshTimer = null;

    function softRefresh() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () {
        D.fetchPage(root.getAttribute("data-home-url") + location.search, "text")
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.querySelector("#orders-table tbody");
            if (!fresh) return;
            var tbody = document.importNode(fresh, true);
            formatCells(tbody);
            table.tBodies[0].replaceWith(tbody);
            var hint = doc.querySelector("#overview-panel .panel-head .panel-hint");
            var here = $("#overview-panel .panel-head .panel-hint");
            if (hint && here) here.replaceWith(document.importNode(hint, true));
            tick();
          })
          .catch(function () { /* the next event tries again */ });
      }, 300);
    }

    function row(id) { return table.querySelector('tr[data-order-id="' + Number(id) + '"]'); }

    function flashRow(tr) { D.flash(tr, "row-flash"); }

    function setPending(tr, count) {
      var link = $("[data-field=pending] .pending-count", tr);
      if (!link) return;
      count = Math.max(0, count);
      setText(link, count);
      link.classList.toggle("has-pending", count > 0);
      link.setAttribute("aria-label", count + " pending proposal" + (count === 1 ? "" : "s"));
      tr.classList.toggle("row-pending", count > 0);
    }

    function updateRow(p) {
      var tr = row(p.id);
      if (!tr) { softRefresh(); return; }
      D.learnClock(p);
      var statusChanged = tr.getAttribute("data-status") !== p.status;
      tr.setAttribute("data-status", p.status);
      tr.setAttribute("data-deadline", num(p.deadline) === null ? "" : String(p.deadline));
      tr.setAttribute("data-time-left", num(p.time_left_s) === null ? "" : String(p.time_left_s));
      D.setBadge($("[data-field=status] .badge", tr), p.status);
      var bar = $("[data-field=progress] .bar", tr);
      var pct = Math.max(0, Math.min(100, num(p.progress_pct) || 0));
      if (bar) {
        bar.setAttribute("aria-valuenow", pct.toFixed(1));
        $(".bar-fill", bar).style.width = pct + "%";
      }
      setText($("[data-field=progress] .bar-label", tr), pct.toFixed(1) + "%");
      setText($("[data-field=executed]", tr), D.fmtQty(p.executed));
      setText($("[data-field=remaining]", tr), D.fmtQty(p.remaining));
      setText($("[data-field=avg_price]", tr), D.fmtPrice(p.avg_price));
      var isCell = $("[data-field=is_bps]", tr);
      setText(isCell, D.fmtBps(p.is_bps, false));
      D.setCostClass(isCell, p.is_bps);
      var rate = num((p.tca || {}).fill_rate);
      setText($("[data-field=fill_rate]", tr), rate === null ? D.DASH : Math.round(rate * 100) + "%");
      var vsTwap = (p.tca || {}).vs_twap_bps;
      var twapCell = $("[data-field=vs_twap_bps]", tr);
      setText(twapCell, D.fmtBps(vsTwap, false));
      D.setCostClass(twapCell, vsTwap);
      if (p.pending_proposals !== undefined && p.pending_proposals !== null) setPending(tr, num(p.pending_proposals) || 0);
      if (p.approval_mode) {
        var mode = $("[data-field=mode]", tr);
        if (mode) {
          mode.className = "mode mode-" + p.approval_mode;
          setText(mode, modeLabel(p.approval_mode, p.auto_cap_notional));
        }
      }
      tickRow(tr);
      flashRow(tr);
      if (statusChanged && filters && filters.filtersStatus()) softRefresh(); // it may have left (or joined) the view
    }

    /** Any other order event: fetch the table if the order is new to us; a proposal changes the pending count
        (the desk keeps at most one pending proposal per order, so pending means 1 and decided means 0). */
    function touchRow(msg) {
      var tr = row(msg.order_id);
      if (!tr) { softRefresh(); return; }
      if (msg.type !== "proposal") return;
      var d = msg.data || {};
      if (d.status === "pending") {
        var isNew = tr.getAttribute("data-pending-id") !== String(d.id);
        tr.setAttribute("data-pending-id", String(d.id));
        setPending(tr, 1);
        if (isNew) flashRow(tr);
      } else {
        var known = tr.getAttribute("data-pending-id");
        if (!known || known === String(d.id)) setPending(tr, 0);
      }
    }

    /** Time left: counted down between pushes against the server's clock; a note under it says why it is
        not counting (not started, paused, halted). */
    function tickRow(tr) {
      var cell = $("[data-field=time_left]", tr);
      if (!cell) return;
      var status = tr.getAttribute("data-status");
      var deadline = num(tr.getAttribute("data-deadline"));
      var text, note = "";
      if (TERMINAL.indexOf(status) !== -1) text = "ended";
      else if (deadline === null) { text = D.fmtDuration(num(tr.getAttribute("data-time-left")) || 0); note = "not started"; }
      else {
        var left = deadline - D.serverNow();
        text = left > 0 ? D.fmtDuration(left) : "0:00";
        // past the deadline an order is in its end policy's last stretch: finish's cross, expire's stop, continue
        var policy = tr.getAttribute("data-end-policy");
        var over = policy === "continue" ? "continuing" : policy === "expire" ? "expiring" : "final interval";
        note = left <= 0 ? over : status === "PAUSED" ? "paused" : status === "HALTED" ? "halted" : "";
        cell.classList.toggle("is-urgent-time", left > 0 && left < 60);
      }
      if (cell.getAttribute("data-shown") === text + "|" + note) return;
      cell.setAttribute("data-shown", text + "|" + note);
      cell.replaceChildren(document.createTextNode(text));
      if (note) cell.appendChild(D.el("span", { className: "time-note", text: note }));
    }

    function tick() { $all("tr[data-order-id]", table).forEach(tickRow); }

    $all("tr[data-order-id]", table).forEach(function (tr) {
      if ($("[data-field=pending] .has-pending", tr)) tr.classList.add("row-pending");
    });

    return { softRefresh: softRefresh, updateRow: updateRow, touchRow: touchRow, tick: tick };
  }

  function renderTicker(ticker, m) {
    if (!ticker) return;
    setText($("[data-m=symbol]", ticker), m.symbol);
    setText($("[data-m=mid]", ticker), D.fmtPrice(m.mid));
    setText($("[data-m=spread]", ticker), D.fmtSpread(m.spread_bps));
    setText($("[data-m=vol]", ticker), D.fmtVolatility(m.volatility_1h));
  }

  /** The order form shows a strategy's own terms (IS urgency, POV rate and bounds) only for that strategy; a
      field with an error or a value stays visible, so nothing the desk will refuse is hidden. */
  var STRATEGY_FIELDS = { is: ["urgency", "risk_aversion"],
                          pov: ["pov_rate", "min_participation", "max_participation"] };

  function strategyFields() {
    var select = $("#id_strategy");
    if (!select) return;
    function sync() {
      Object.keys(STRATEGY_FIELDS).forEach(function (strategy) {
        STRATEGY_FIELDS[strategy].forEach(function (name) {
          var box = $(".field-" + name);
          var input = $("#id_" + name);
          if (!box) return;
          var keep = select.value === strategy || box.classList.contains("has-error") || (input && input.value);
          box.hidden = !keep;
        });
      });
    }
    select.addEventListener("change", sync);
    sync();
  }

  function initHome() {
    strategyFields();
    var root = $("#home-root");
    var table = $("#orders-table");
    if (!root || !table) return;
    formatCells(table);
    var orders;
    var form = $("#overview-filters");
    var filters = form ? D.HomeFilters(form, function () { orders.softRefresh(); }) : null;
    orders = OrdersTable(root, table, filters);
    var ticker = $("#desk-market");
    orders.tick();
    setInterval(orders.tick, 1000);
    var queuePanel = $("#queue-panel");
    var queue = queuePanel && D.ProposalQueue ? D.ProposalQueue(queuePanel) : null;
    if (queue) queue.start();

    D.DeskSocket(root.getAttribute("data-ws-path") || "/ws/desk/", {
      open: function (reconnected) { if (reconnected) { orders.softRefresh(); if (queue) queue.resync(); } },
      event: function (msg) {
        var data = msg.data || {};
        if (queue) queue.onEvent(msg);
        if (msg.type === "market") renderTicker(ticker, data);
        else if (msg.type === "progress" || msg.type === "status") orders.updateRow(data);
        else if (msg.order_id !== null && msg.order_id !== undefined) orders.touchRow(msg);
      },
    });
  }

  D.initHome = initHome;
})(window.ExecDesk);
