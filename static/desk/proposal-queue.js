/* ExecDesk.ProposalQueue: the approval queue (templates/desk/_queue.html), on its own page and on the desk
   page: every pending proposal the signed-in user may decide, oldest first, one line each with its order's
   context, the countdown, and A / R / O on the focused row (proposal-decide.js, as on the order page).

   Who may decide what is the server's answer (#queue-state, then the state URL): a pending proposal pushed
   over the desk socket makes the queue ask again; a decided, expired or superseded one leaves at once. */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, setText = D.setText, num = D.num, Card = D.ProposalCard, Decide = D.ProposalDecide;

  function ProposalQueue(panel) {
    var list = $("#queue-list", panel);
    var empty = $("#queue-empty", panel);
    var count = $("#queue-count", panel);
    var template = $("#queue-row-tpl");
    var rows = new Map();          // proposal id -> {p, node}
    var decided = new Set();       // ids decided or gone: a late pending push must not bring them back
    var canTrade = panel.getAttribute("data-can-trade") === "1";
    var me = { name: panel.getAttribute("data-username") || "", role: panel.getAttribute("data-role") || "" };
    var resyncTimer = null;
    var bulk = BulkReject(panel, rows, function () { return decisions; });
    var decisions = Decide({
      url: function (id, action) {
        return panel.getAttribute("data-proposal-url").replace("999999999", String(Number(id)))
          .replace(/approve\/?$/, action + "/");
      },
      decided: function (data) { if (data.status !== "pending") remove(data.id); else resyncSoon(); },
      target: keyTarget,
      escape: function () {},
    });

    function orderUrl(id) { return panel.getAttribute("data-order-url").replace("999999999", String(Number(id))); }

    /* ───────── rows ───────── */

    /** The terms approving it would send, in one line: 'BUY 0.005 BTC LIMIT 65,000.00 GTC' (an override
        waiting for a supervisor: its own terms). */
    function termsText(p, o) {
      var t = p.awaiting_second ? { q: p.final_quantity, type: p.final_order_type, px: p.final_limit_price, tif: p.final_tif } :
        { q: p.quantity, type: p.order_type, px: p.limit_price, tif: p.tif };
      if (!num(t.q)) return p.new_rate ? "rate \u2192 " + Card.rateLabel(num(p.new_rate)) : "nothing sent";
      var parts = [String(o.side || "").toUpperCase(), D.fmtQty(t.q), D.baseAsset(o.symbol), D.typeLabel(t.type)];
      if (t.type !== "market" && t.px) parts.push("@ " + D.fmtPrice(t.px));
      if (t.type) parts.push(t.tif || "");
      return (p.awaiting_second ? "override: " : "") + parts.join(" ").trim();
    }

    function slot(node, name) { return node.querySelector('[data-slot="' + name + '"]'); }

    function fill(node, p) {
      var o = p.order || {};
      node.setAttribute("data-order-id", String(o.id));
      node.setAttribute("data-action", p.action || "");
      node.setAttribute("data-expires-at", String(p.expires_at || ""));
      node.setAttribute("data-created-at", String(p.created_at || ""));
      node.classList.toggle("is-blocked", !!p.risk_blocked);
      node.classList.toggle("is-four-eyes", !!(p.needs_supervisor || p.awaiting_second));
      var link = slot(node, "order-link");
      link.href = orderUrl(o.id);
      setText(link, "#" + o.id + "/" + p.seq);
      link.title = "Order #" + o.id + " (" + (o.created_by || "") + "), proposal #" + p.seq + ": open the order's page";
      setText(slot(node, "symbol"), o.symbol);
      var side = slot(node, "side");
      side.className = "side side-" + o.side;
      setText(side, String(o.side || "").toUpperCase());
      setText(slot(node, "strategy"), o.strategy);
      progress(node, o);
      var act = slot(node, "action");
      act.className = "badge action-badge " + D.actionClass(p.action);
      setText(act, p.action);
      setText(slot(node, "terms"), termsText(p, o));
      setText(slot(node, "notional"), num(p.notional) ? D.num(p.notional).toLocaleString("en-US",
        { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " USDT" : "");
      slot(node, "fallback").hidden = !p.is_fallback;
      slot(node, "blocked").hidden = !p.risk_blocked;
      slot(node, "foureyes").hidden = !(p.needs_supervisor || p.awaiting_second);
      var why = slot(node, "reasoning");
      setText(why, (p.advisor ? p.advisor + ": " : "") + (p.reasoning || "(no reasoning given)"));
      why.title = p.reasoning || "";
      node.setAttribute("data-approve-block", Card.approveBlock(p, me));
      Card.tick(node);
    }

    function progress(node, o) {
      var pct = num(o.progress_pct);
      setText(slot(node, "progress"), (pct === null ? D.DASH : pct.toFixed(1) + " %") + " of " + D.fmtQty(o.quantity) + " " + D.baseAsset(o.symbol));
    }

    function add(p) {
      var node = Card.create(template, p.id);
      if (canTrade) decisions.bind(node);
      else $all(".proposal-actions, .inline-form, .queue-select", node).forEach(function (n) { n.remove(); });
      Card.prefillOverride(node, p, null);
      var select = node.querySelector(".queue-select");
      if (select) select.addEventListener("change", bulk.render);
      rows.set(p.id, { p: p, node: node });
      return node;
    }

    /** Draw the server's list: rows it no longer lists leave, new ones arrive in order (oldest first). */
    function render(list_, initial) {
      var ids = new Set(list_.map(function (p) { return p.id; }));
      rows.forEach(function (r, id) { if (!ids.has(id)) remove(id); });
      var fresh = [];
      list_.forEach(function (p) {
        if (decided.has(p.id)) return;
        var r = rows.get(p.id), node;
        if (r) {
          node = r.node;
          if (p.awaiting_second && !r.p.awaiting_second) Card.prefillOverride(node, p, null);
          r.p = p;
        } else {
          node = add(p);
          fresh.push(p.id);
        }
        fill(node, p);
        list.appendChild(node); // appending in the server's order keeps the list oldest first
      });
      changed();
      if (!initial) fresh.forEach(cueSoon);
    }

    function remove(id) {
      decided.add(id);
      var r = rows.get(id);
      if (!r) return;
      var hadFocus = r.node.contains(document.activeElement);
      var next = r.node.nextElementSibling || r.node.previousElementSibling;
      r.node.remove();
      rows.delete(id);
      if (hadFocus && next) Decide.focusIfSeen(next);
      changed();
    }

    function changed() {
      setText(count, rows.size);
      count.classList.toggle("has-pending", rows.size > 0);
      empty.hidden = rows.size > 0;
      bulk.render();
      markKeyTarget();
      D.ProposalCue.waiting(rows.size);
    }

    /** A new row, still waiting after the cue delay (the automatic modes approve most at once): flash, beep,
        toast, and the focus if nothing else holds it and the row is on screen. */
    function cueSoon(id) {
      setTimeout(function () {
        var r = rows.get(id);
        if (!r) return;
        D.flash(r.node, "flash");
        D.ProposalCue.announce(r.p, D.baseAsset((r.p.order || {}).symbol), "order #" + (r.p.order || {}).id);
        var active = document.activeElement;
        var idle = !active || active === document.body || !list.contains(active);
        if (idle && !Decide.typingNow()) Decide.focusIfSeen(keyTarget());
        markKeyTarget();
      }, Decide.CUE_DELAY_MS);
    }

    /* ───────── keys: the focused row, else the oldest ───────── */

    function ordered() { return $all(".queue-row[data-proposal-id]", list); }

    function keyTarget() {
      if (!canTrade) return null;
      var active = document.activeElement;
      var focused = active && active.closest ? active.closest(".queue-row[data-proposal-id]") : null;
      if (focused && list.contains(focused)) return focused;
      return ordered()[0] || null;
    }

    function markKeyTarget() {
      var target = keyTarget();
      rows.forEach(function (r) { r.node.classList.toggle("is-key-target", r.node === target); });
    }

    /** ↑ / ↓ (and k / j) move between rows; the row scrolls into view with the focus. */
    function onArrow(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || Decide.typingNow() || $("dialog[open]")) return;
      var down = e.key === "ArrowDown" || e.key === "j", up = e.key === "ArrowUp" || e.key === "k";
      if (!down && !up) return;
      var all = ordered();
      if (!all.length) return;
      var current = keyTarget();
      var at = all.indexOf(current);
      var focusedHere = current && current.contains(document.activeElement);
      var next = !focusedHere ? current : all[Math.max(0, Math.min(all.length - 1, at + (down ? 1 : -1)))];
      if (!next) return;
      e.preventDefault();
      next.focus({ preventScroll: true });
      next.scrollIntoView({ block: "nearest" });
      markKeyTarget();
    }

    /* ───────── live ───────── */

    var asked = 0, applied = 0;
    function resync() {
      var n = ++asked;
      D.fetchPage(panel.getAttribute("data-state-url"), "json")
        .then(function (state) {
          if (n < applied) return; // answers can cross under load: an older list must not undo a newer one
          applied = n;
          render(state.rows || [], false);
        })
        .catch(function () { /* the next event or reconnect asks again */ });
    }

    function resyncSoon() {
      clearTimeout(resyncTimer);
      resyncTimer = setTimeout(resync, 150);
    }

    /** A desk-socket event: a proposal's fate, or an order's progress (its context on the rows). */
    function onEvent(msg) {
      var d = msg.data || {};
      if (msg.type === "proposal") {
        if (d.status === "pending") resyncSoon(); // new, or an override now waiting: the server says for whom
        else remove(d.id);
      } else if ((msg.type === "progress" || msg.type === "status") && d.id !== undefined) {
        var stillWorking = D.WORKING.indexOf(d.status) !== -1;
        rows.forEach(function (r) {
          if (!r.p.order || r.p.order.id !== d.id) return;
          Object.assign(r.p.order, { progress_pct: d.progress_pct, executed: d.executed, quantity: d.quantity,
            status: d.status });
          progress(r.node, r.p.order);
        });
        if (!stillWorking && Array.from(rows.values()).some(function (r) { return r.p.order && r.p.order.id === d.id; })) resyncSoon();
      }
    }

    function tick() { rows.forEach(function (r) { Card.tick(r.node); }); }

    function start() {
      var state = JSON.parse($("#queue-state").textContent);
      render(state.rows || [], true);
      if (canTrade) {
        decisions.bindKeys();
        document.addEventListener("keydown", onArrow);
        bulk.bind();
      }
      document.addEventListener("focusin", markKeyTarget);
      D.ProposalCue.bind();
      setInterval(tick, 500);
      if (!Decide.typingNow()) Decide.focusIfSeen(keyTarget());
    }

    return { start: start, onEvent: onEvent, resync: resync };
  }

  /** Bulk reject: the selected rows, one reason, one request per proposal through the same endpoint (each
      decision audited on its own; a refusal shows on its row, which stays). */
  function BulkReject(panel, rows, decisionsOf) {
    var form = $("#queue-bulk", panel);
    var all = $("#queue-select-all", panel);
    var reason = $("#queue-bulk-reason", panel);
    var button = $("#queue-bulk-reject", panel);
    var status = $("#queue-bulk-status", panel);

    function selected() {
      var out = [];
      rows.forEach(function (r) { var box = r.node.querySelector(".queue-select"); if (box && box.checked) out.push(r.node); });
      return out;
    }

    function render() {
      if (!form) return;
      form.hidden = rows.size === 0; // nothing to select: the bar would only take room above the empty note
      var n = selected().length;
      setText(button, "Reject selected (" + n + ")");
      button.disabled = n === 0;
      all.checked = n > 0 && n === rows.size;
      all.indeterminate = n > 0 && n < rows.size;
    }

    function submit(e) {
      e.preventDefault();
      var nodes = selected();
      var why = reason.value.trim();
      if (!nodes.length) return;
      if (!why) {
        setText(status, "A reason is required to reject proposals.");
        reason.focus();
        return;
      }
      setText(status, "Rejecting " + nodes.length + "\u2026");
      Promise.all(nodes.map(function (node) { return decisionsOf().decide(node, "reject", { reason: why }); }))
        .then(function (results) {
          var done = results.filter(Boolean).length, refused = results.length - done;
          setText(status, done + " rejected" + (refused ? ", " + refused + " refused (the reason is on each row)" : "") + ".");
          if (!refused) reason.value = "";
          render();
        });
    }

    function bind() {
      if (!form) return;
      form.addEventListener("submit", submit);
      all.addEventListener("change", function () {
        rows.forEach(function (r) { var box = r.node.querySelector(".queue-select"); if (box) box.checked = all.checked; });
        render();
      });
    }

    return { render: render, bind: bind };
  }

  /** The queue's own page: the panel and the desk socket. */
  function initQueue() {
    var root = $("#queue-root"), panel = $("#queue-panel");
    if (!root || !panel) return;
    var queue = ProposalQueue(panel);
    queue.start();
    D.DeskSocket(root.getAttribute("data-ws-path") || "/ws/desk/", {
      open: function (reconnected) { if (reconnected) queue.resync(); },
      event: queue.onEvent,
    });
  }

  D.ProposalQueue = ProposalQueue;
  D.initQueue = initQueue;
})(window.ExecDesk);
