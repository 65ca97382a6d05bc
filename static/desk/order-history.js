/* ExecDesk.ProposalHistory: the order's decided proposals, newest first (the table #proposal-history). */
(function (D) {
  "use strict";

  var el = D.el, num = D.num, DASH = D.DASH;

  function termsText(qty, type, price, tif) {
    if (!num(qty)) return DASH;
    var s = D.fmtQty(qty) + " " + D.typeLabel(type);
    if (price) s += " @ " + D.fmtPrice(price);
    if (tif && type) s += " " + tif;
    return s;
  }

  function termsCell(p) {
    var td = el("td", { className: "terms-cell" }, [termsText(p.quantity, p.order_type, p.limit_price, p.tif)]);
    if (p.status === "overridden" && p.final_quantity !== null) {
      td.appendChild(el("div", { className: "history-reason" },
        ["\u2192 " + termsText(p.final_quantity, p.final_order_type, p.final_limit_price, "")]));
    }
    return td;
  }

  function actionCell(p) {
    var td = el("td", null, [D.actionBadge(p.action)]);
    if (p.is_fallback) td.appendChild(D.fallbackBadge(p));
    if (p.risk_blocked) td.appendChild(el("span", { className: "badge badge-blocked", title: "a hard risk check failed", text: "blocked" }));
    return td;
  }

  /** Who decided: a user, "auto" (approved within limits), or "system" (expired / superseded). */
  function whoCell(p) {
    var td = el("td", { className: "history-who" }, [
      el("span", { text: p.decided_by || (p.status === "expired" || p.status === "superseded" ? "system" : p.status === "approved" ? "auto" : DASH) }),
    ]);
    if (p.decision_reason) td.appendChild(el("div", { className: "history-reason", text: p.decision_reason }));
    if (p.reasoning) td.appendChild(el("div", { className: "history-reasoning", title: p.reasoning, text: p.reasoning }));
    return td;
  }

  function historyRow(p) {
    return el("tr", { "data-proposal-row": p.id }, [
      el("td", { className: "num", text: p.seq }),
      el("td", { className: "time-cell", text: D.fmtTime(p.created_at) }),
      actionCell(p),
      termsCell(p),
      el("td", { className: "num", text: (num(p.confidence) || 0).toFixed(2) }),
      el("td", null, [D.badge(p.status, D.statusClass(p.status))]),
      whoCell(p),
    ]);
  }

  /** Redraw the table from all known proposals (a Map of id -> proposal); the latest 200 decided ones. */
  function render(tbody, proposals) {
    var done = [];
    proposals.forEach(function (p) { if (p.status !== "pending") done.push(p); });
    done.sort(function (a, b) { return b.seq - a.seq; });
    var frag = document.createDocumentFragment();
    done.slice(0, 200).forEach(function (p) { frag.appendChild(historyRow(p)); });
    tbody.replaceChildren(frag);
  }

  D.ProposalHistory = { render: render };
})(window.ExecDesk);
