/* ExecDesk.OrderTables: the order's child orders (#children-table) and fills (#fills-table), newest first. */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, el = D.el, setText = D.setText, num = D.num, DASH = D.DASH;

  function truncate(s, n) {
    s = String(s || "");
    return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
  }

  /** The "no rows yet" note under a table. */
  function emptyState(tableId) {
    var note = $('[data-empty-for="' + tableId + '"]');
    var table = document.getElementById(tableId);
    if (note && table) note.hidden = table.tBodies[0].rows.length > 0;
  }

  /** Insert a new row before the first row whose item is older (rows stay newest first). */
  function insertNewestFirst(tbody, tr, rowSelector, itemOf, timeOf, item) {
    var before = null;
    $all(rowSelector, tbody).some(function (row) {
      var other = itemOf(row);
      if (other && (num(timeOf(other)) || 0) < (num(timeOf(item)) || 0)) { before = row; return true; }
      return false;
    });
    tbody.insertBefore(tr, before);
  }

  function childCells(c) {
    var impact = el("td", { className: "num", text: D.fmtBps(c.impact_bps, false) });
    D.setCostClass(impact, c.impact_bps);
    var status = el("td", null, [D.badge(String(c.status).replace("_", " "), D.statusClass(c.status))]);
    if (c.reject_reason) status.appendChild(el("div", { className: "history-reason", text: c.reject_reason }));
    var reasoning = el("td", { className: "reasoning-cell", title: c.reasoning || "" });
    if (c.action) reasoning.appendChild(D.actionBadge(c.action));
    reasoning.appendChild(document.createTextNode(" " + truncate(c.reasoning, 120)));
    return [
      el("td", { className: "time-cell", text: D.fmtTime(c.created_at) }),
      el("td", { className: "mono small", text: c.order_link_id }),
      el("td", { text: D.typeLabel(c.order_type) }),
      el("td", { text: c.tif || DASH }),
      el("td", { className: "num", text: D.fmtQty(c.quantity) }),
      el("td", { className: "num", text: c.price ? D.fmtPrice(c.price) : (c.order_type === "market" ? "MKT" : DASH) }),
      status,
      el("td", { className: "num", text: D.fmtQty(c.filled_qty) }),
      el("td", { className: "num", text: D.fmtPrice(c.avg_price) }),
      impact,
      reasoning,
    ];
  }

  function fillRow(f) {
    var liq = String(f.liquidity || "").toLowerCase();
    return el("tr", { "data-exec-id": f.exec_id }, [
      el("td", { className: "time-cell", text: D.fmtTime(f.ts) }),
      el("td", { className: "mono small", text: f.exec_id }),
      el("td", { className: "mono small", text: f.order_link_id }),
      el("td", { className: "num", text: D.fmtQty(f.qty) }),
      el("td", { className: "num", text: D.fmtPrice(f.price) }),
      el("td", { className: "num", text: D.fmtQty(f.fee) + (f.fee_currency ? " " + f.fee_currency : "") }),
      el("td", null, [el("span", { className: "liq-" + liq, text: liq === "maker" ? "maker \u00b7 passive" : liq === "taker" ? "taker \u00b7 aggressive" : liq })]),
    ]);
  }

  /** Approved WAITs between two child orders, as one row (the seed's "WAIT - - -" row): when the desk
   *  waited, how many times, and the latest reasoning. g: {first, last, count, p (the latest WAIT)}. */
  function waitCells(g) {
    var p = g.p;
    var reasoning = el("td", { className: "reasoning-cell", title: p.reasoning || "" }, [D.actionBadge(p.action)]);
    reasoning.appendChild(document.createTextNode(" " + truncate(p.reasoning, 120)));
    var none = function () { return el("td", { className: "muted", text: DASH }); };
    var when = g.count > 1 ? D.fmtTime(g.first) + "\u2013" + D.fmtTime(g.last) : D.fmtTime(g.last);
    return [
      el("td", { className: "time-cell", text: when }),
      el("td", { className: "muted small", text: g.count > 1 ? g.count + " proposals, latest #" + p.seq : "proposal #" + p.seq }),
      el("td", { text: g.count > 1 ? "WAIT \u00d7" + g.count : "WAIT" }), none(), none(), none(),
      el("td", null, [D.badge("waited", "status-expired")]),
      none(), none(), none(),
      reasoning,
    ];
  }

  var WAIT_ROWS = 50;

  function OrderTables(S) {
    var childBody = $("#children-table tbody");
    var fillBody = $("#fills-table tbody");
    var ROWS = "tr[data-child-id], tr[data-wait-id]";

    var waitGroups = new Map(); // wait row -> {first, last, count, ids, p}

    function itemOf(row) {
      if (row.hasAttribute("data-child-id")) return S.children.get(Number(row.getAttribute("data-child-id")));
      var g = waitGroups.get(row);
      return g ? { created_at: g.last } : null;
    }

    function createdAt(x) { return x.created_at; }

    function upsertChild(c) {
      S.children.set(c.id, c);
      var tr = childBody.querySelector('tr[data-child-id="' + Number(c.id) + '"]');
      var cells = childCells(c);
      if (tr) {
        tr.replaceChildren.apply(tr, cells);
      } else {
        tr = el("tr", { "data-child-id": c.id }, cells);
        insertNewestFirst(childBody, tr, ROWS, itemOf, createdAt, c);
      }
      tr.setAttribute("data-status", c.status);
      emptyState("children-table");
    }

    /** An approved WAIT joins the recent orders: merged into the WAIT row next to where it falls in time (no
     *  order between them), else as a new row. */
    function upsertWait(p) {
      if (p.action !== "WAIT" || p.status !== "approved") return;
      var t = num(p.created_at) || 0;
      var rows = $all(ROWS, childBody), older = null;
      rows.some(function (row) {
        var item = itemOf(row);
        if (item && (num(item.created_at) || 0) < t) { older = row; return true; }
        return false;
      });
      var newer = older ? older.previousElementSibling : rows[rows.length - 1] || null;
      var row = [older, newer].filter(function (r) { return r && waitGroups.has(r); })[0];
      if (row) {
        var g = waitGroups.get(row);
        if (g.ids.has(p.id)) return;
        g.ids.add(p.id); g.count += 1;
        g.first = Math.min(g.first, t);
        if (t >= g.last) { g.last = t; g.p = p; }
        row.replaceChildren.apply(row, waitCells(g));
        return;
      }
      var group = { first: t, last: t, count: 1, ids: new Set([p.id]), p: p };
      var tr = el("tr", { className: "wait-row" }, waitCells(group));
      tr.setAttribute("data-wait-id", p.id);
      waitGroups.set(tr, group);
      childBody.insertBefore(tr, older);
      $all("tr[data-wait-id]", childBody).slice(WAIT_ROWS).forEach(function (old) { waitGroups.delete(old); old.remove(); });
      emptyState("children-table");
    }

    /** Add a fill we have not seen; true when it was new. */
    function addFill(f) {
      if (!f || !f.exec_id || S.fills.has(f.exec_id)) return false;
      S.fills.set(f.exec_id, f);
      insertNewestFirst(fillBody, fillRow(f), "tr[data-exec-id]",
        function (row) { return S.fills.get(row.getAttribute("data-exec-id")); },
        function (x) { return x.ts; }, f);
      emptyState("fills-table");
      renderFillSummary();
      return true;
    }

    function renderFillSummary() {
      var qty = 0, maker = 0, n = 0;
      S.fills.forEach(function (f) {
        var q = num(f.qty) || 0;
        qty += q; n += 1;
        if (String(f.liquidity).toLowerCase() === "maker") maker += q;
      });
      setText($("#fills-summary"), n ? n + " fill" + (n === 1 ? "" : "s") + " \u00b7 " + D.fmtQty(qty.toFixed(8)) + " " + S.base +
        " \u00b7 maker " + (qty ? Math.round(maker / qty * 100) : 0) + " %" : "");
    }

    return { upsertChild: upsertChild, upsertWait: upsertWait, addFill: addFill };
  }

  D.OrderTables = OrderTables;
})(window.ExecDesk);
