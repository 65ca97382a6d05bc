/* ExecDesk.initHome: the desk overview, a live table of parent orders and the default market's ticker. */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, setText = D.setText, num = D.num;

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

  /** The orders table: rows updated in place from pushes, re-fetched whole when an unknown order shows up. */
  function OrdersTable(root, table) {
    var refreshTimer = null;

    function softRefresh() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () {
        D.fetchPage(root.getAttribute("data-home-url"), "text")
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.querySelector("#orders-table tbody");
            if (!fresh) return;
            var tbody = document.importNode(fresh, true);
            formatCells(tbody);
            table.tBodies[0].replaceWith(tbody);
            setText($("#order-count"), $all("tr[data-order-id]", tbody).length);
          })
          .catch(function () { /* the next event tries again */ });
      }, 400);
    }

    function row(id) { return table.querySelector('tr[data-order-id="' + Number(id) + '"]'); }

    function flashRow(tr) { D.flash(tr, "row-flash"); }

    function updateRow(p) {
      var tr = row(p.id);
      if (!tr) { softRefresh(); return; }
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
      flashRow(tr);
    }

    /** Any other order event: fetch the table if the order is new to us, flash the row on a new proposal. */
    function touchRow(msg) {
      var tr = row(msg.order_id);
      if (!tr) softRefresh();
      else if (msg.type === "proposal" && (msg.data || {}).status === "pending") flashRow(tr);
    }

    return { softRefresh: softRefresh, updateRow: updateRow, touchRow: touchRow };
  }

  function renderTicker(ticker, m) {
    if (!ticker) return;
    setText($("[data-m=symbol]", ticker), m.symbol);
    setText($("[data-m=mid]", ticker), D.fmtPrice(m.mid));
    setText($("[data-m=spread]", ticker), D.fmtSpread(m.spread_bps));
    setText($("[data-m=vol]", ticker), D.fmtVolatility(m.volatility_1h));
  }

  function initHome() {
    var root = $("#home-root");
    var table = $("#orders-table");
    if (!root || !table) return;
    formatCells(table);
    var orders = OrdersTable(root, table);
    var ticker = $("#desk-market");

    D.DeskSocket(root.getAttribute("data-ws-path") || "/ws/desk/", {
      open: function (reconnected) { if (reconnected) orders.softRefresh(); },
      event: function (msg) {
        var data = msg.data || {};
        if (msg.type === "market") renderTicker(ticker, data);
        else if (msg.type === "progress" || msg.type === "status") orders.updateRow(data);
        else if (msg.order_id !== null && msg.order_id !== undefined) orders.touchRow(msg);
      },
    });
  }

  D.initHome = initHome;
})(window.ExecDesk);
