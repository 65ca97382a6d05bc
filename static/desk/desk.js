/* ExecDesk dashboard client: one websocket per page, vanilla JS, no framework.
 *
 * Server data reaches the DOM only through textContent and attributes, never innerHTML: reasoning
 * text comes from an advisor that reads market data and news, and must be treated as untrusted.
 */
(function () {
  "use strict";

  /* ───────────────────────── small helpers ───────────────────────── */

  var DASH = "\u2014";
  var MAX_POINTS = 2000;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function setText(node, text) {
    if (node) node.textContent = text === null || text === undefined ? "" : String(text);
  }

  /** Build an element; children are nodes or strings (strings become text nodes). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "className") node.className = v;
        else if (k === "text") node.textContent = String(v);
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return node;
  }

  function num(v) {
    if (v === null || v === undefined || v === "") return null;
    var n = Number(v);
    return isFinite(n) ? n : null;
  }

  function fmtQty(v) {
    var n = num(v);
    if (n === null) return DASH;
    return n.toLocaleString("en-US", { maximumFractionDigits: 8 });
  }

  function priceDigits(n) {
    var a = Math.abs(n);
    return a >= 100 ? 2 : a >= 1 ? 4 : 6;
  }

  function fmtPrice(v) {
    var n = num(v);
    if (n === null) return DASH;
    var d = priceDigits(n);
    return n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }

  function fmtSigned(n, digits) {
    return (n > 0 ? "+" : n < 0 ? "-" : "") + Math.abs(n).toFixed(digits);
  }

  function fmtBps(v, withUnit) {
    var n = num(v);
    if (n === null) return DASH;
    return fmtSigned(n, 2) + (withUnit === false ? "" : " bps");
  }

  /** Positive IS / slippage is a cost (red), negative a saving (green). */
  function setCostClass(node, v) {
    if (!node) return;
    var n = num(v);
    node.classList.toggle("is-cost", n !== null && n > 0);
    node.classList.toggle("is-gain", n !== null && n < 0);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function fmtTime(epoch) {
    var n = num(epoch);
    if (n === null) return DASH;
    return new Date(n * 1000).toISOString().slice(11, 19);
  }

  /** 'YYYY-MM-DD HH:MM:SS.sss' in UTC: plotly draws date strings as given, so the axis stays in UTC. */
  function plotTime(epoch) {
    return new Date(epoch * 1000).toISOString().replace("T", " ").replace("Z", "");
  }

  function fmtDuration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h > 0 ? h + ":" + pad2(m) + ":" + pad2(r) : m + ":" + pad2(r);
  }

  function fmtAgo(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s ago";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min ago";
  }

  function baseAsset(symbol) {
    return String(symbol || "").replace(/(USDT|USDC|USD|PERP)$/, "") || String(symbol || "");
  }

  function statusClass(status) {
    return "status-" + String(status || "").toLowerCase();
  }

  function setBadge(node, status) {
    if (!node) return;
    Array.prototype.slice.call(node.classList).forEach(function (c) {
      if (c.indexOf("status-") === 0) node.classList.remove(c);
    });
    node.classList.add(statusClass(status));
    node.textContent = String(status || "");
  }

  function badge(text, cls) {
    return el("span", { className: "badge " + (cls || ""), text: text });
  }

  /* Server clock: payloads carry epoch seconds from the server. If the browser's clock is off by more
     than a little, count down against the server's time instead of the local one. */
  var clock = { offset: 0 };
  function serverNow() { return Date.now() / 1000 + clock.offset; }
  function learnClock(progress) {
    var deadline = num(progress.deadline), left = num(progress.time_left_s);
    if (deadline === null || left === null || left <= 0) return;
    var offset = (deadline - left) - Date.now() / 1000;
    clock.offset = Math.abs(offset) > 1.5 ? offset : 0;
  }

  /* ───────────────────────── toasts ───────────────────────── */

  function toast(message, kind) {
    var box = $("#toasts");
    if (!box) {
      box = el("div", { id: "toasts", className: "toasts", "aria-live": "polite" });
      document.body.appendChild(box);
    }
    var t = el("div", { className: "toast toast-" + (kind || "info"), role: kind === "error" ? "alert" : "status", text: message });
    box.appendChild(t);
    setTimeout(function () { t.classList.add("toast-out"); }, 4200);
    setTimeout(function () { t.remove(); }, 4800);
  }

  /* ───────────────────────── HTTP ───────────────────────── */

  function csrfToken() {
    var input = $("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /** POST form fields, expect JSON. Resolves with the JSON body; rejects with {error, checks}. */
  function postAction(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields || {}).forEach(function (k) {
      if (fields[k] !== undefined && fields[k] !== null) body.append(k, fields[k]);
    });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: body,
    }).then(function (res) {
      var type = res.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        var msg = res.redirected ? "your session has ended: log in again" :
          res.status === 403 ? "refused (403): the page's security token is stale, reload the page" :
          "unexpected answer from the desk (HTTP " + res.status + ")";
        throw { error: msg, checks: [] };
      }
      return res.json().then(function (data) {
        if (!res.ok) throw { error: data.error || ("HTTP " + res.status), checks: data.checks || [] };
        return data;
      });
    }, function () {
      throw { error: "the desk cannot be reached (network error)", checks: [] };
    });
  }

  /* ───────────────────────── websocket ───────────────────────── */

  /** One websocket with reconnect (exponential back-off with jitter) and a ping heartbeat. */
  function DeskSocket(path, handlers) {
    var ws = null, attempt = 0, retryTimer = null, pingTimer = null, lastMessage = 0, everOpen = false;
    var statusNode = $("#ws-status");

    function setStatus(live, text) {
      if (!statusNode) return;
      statusNode.textContent = live ? "live" : (text || "reconnecting\u2026");
      statusNode.classList.toggle("ws-live", live);
      statusNode.classList.toggle("ws-down", !live);
    }

    function url() {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    }

    function schedule() {
      clearInterval(pingTimer);
      attempt += 1;
      var delay = Math.min(15000, 500 * Math.pow(2, Math.min(attempt, 5))) * (0.75 + Math.random() * 0.5);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, delay);
    }

    function connect() {
      setStatus(false, everOpen || attempt > 0 ? "reconnecting\u2026" : "connecting\u2026");
      try {
        ws = new WebSocket(url());
      } catch (e) {
        schedule();
        return;
      }
      ws.onopen = function () {
        var reconnected = everOpen;
        attempt = 0;
        everOpen = true;
        lastMessage = Date.now();
        setStatus(true);
        clearInterval(pingTimer);
        pingTimer = setInterval(function () {
          if (!ws || ws.readyState !== WebSocket.OPEN) return;
          if (Date.now() - lastMessage > 45000) { ws.close(); return; } // silent socket: start over
          ws.send(JSON.stringify({ type: "ping" }));
        }, 20000);
        if (handlers.open) handlers.open(reconnected);
      };
      ws.onmessage = function (ev) {
        lastMessage = Date.now();
        var msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        if (!msg || typeof msg !== "object" || msg.type === "pong") return;
        handlers.event(msg);
      };
      var opened = false;
      ws.addEventListener("open", function () { opened = true; });
      ws.onclose = function (ev) {
        ws = null;
        clearInterval(pingTimer);
        setStatus(false, "reconnecting\u2026");
        if (opened && ev.code !== 4403) { schedule(); return; }
        // The handshake was refused (or the server closed us as not authorised): if our session has
        // ended, retrying is pointless until the user logs in again.
        probeSession().then(function (loggedIn) {
          if (loggedIn) schedule();
          else { setStatus(false, "logged out"); sessionEnded(); }
        });
      };
      ws.onerror = function () { /* onclose follows and reconnects */ };
    }

    connect();
    return { connected: function () { return !!ws && ws.readyState === WebSocket.OPEN; } };
  }

  /** true when the desk still knows us, false when it sends us to the login page; network errors
      count as "still logged in" (the server is down, keep trying). */
  function probeSession() {
    return fetch(location.pathname, { credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" } })
      .then(function (res) { return !(res.type === "opaqueredirect" || res.status === 302 || res.status === 403); },
            function () { return true; });
  }

  function sessionEnded() {
    if ($("#session-ended")) return;
    var login = document.body.getAttribute("data-login-url") || "/accounts/login/";
    var link = el("a", { href: login + "?next=" + encodeURIComponent(location.pathname), text: "Log in again" });
    var box = el("div", { id: "session-ended", className: "message message-error", role: "alert" },
      ["Your session has ended (logged out, or the desk restarted and renewed its logins); live updates stopped. ", link]);
    var main = $("main");
    if (main) main.insertBefore(box, main.firstChild);
  }

  /* ═════════════════════════ home page ═════════════════════════ */

  function formatCells(root) {
    $all("[data-fmt]", root).forEach(function (cell) {
      var raw = cell.getAttribute("data-raw");
      var kind = cell.getAttribute("data-fmt");
      if (raw === null) return;
      cell.textContent = kind === "qty" ? fmtQty(raw) : kind === "price" ? fmtPrice(raw) : fmtBps(raw, false);
      if (kind === "bps") setCostClass(cell, raw);
    });
  }

  function initHome() {
    var root = $("#home-root");
    var table = $("#orders-table");
    if (!root || !table) return;
    formatCells(table);

    var refreshTimer = null;
    function softRefresh() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () {
        fetch(root.getAttribute("data-home-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
          .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
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

    function updateRow(p) {
      var tr = row(p.id);
      if (!tr) { softRefresh(); return; }
      setBadge($("[data-field=status] .badge", tr), p.status);
      var bar = $("[data-field=progress] .bar", tr);
      var pct = Math.max(0, Math.min(100, num(p.progress_pct) || 0));
      if (bar) {
        bar.setAttribute("aria-valuenow", pct.toFixed(1));
        $(".bar-fill", bar).style.width = pct + "%";
      }
      setText($("[data-field=progress] .bar-label", tr), pct.toFixed(1) + "%");
      setText($("[data-field=executed]", tr), fmtQty(p.executed));
      setText($("[data-field=remaining]", tr), fmtQty(p.remaining));
      setText($("[data-field=avg_price]", tr), fmtPrice(p.avg_price));
      var isCell = $("[data-field=is_bps]", tr);
      setText(isCell, fmtBps(p.is_bps, false));
      setCostClass(isCell, p.is_bps);
      flashRow(tr);
    }

    function flashRow(tr) {
      tr.classList.remove("row-flash");
      void tr.offsetWidth; // restart the animation
      tr.classList.add("row-flash");
    }

    var ticker = $("#desk-market");
    function renderTicker(m) {
      if (!ticker) return;
      setText($("[data-m=symbol]", ticker), m.symbol);
      setText($("[data-m=mid]", ticker), fmtPrice(m.mid));
      setText($("[data-m=spread]", ticker), num(m.spread_bps) === null ? DASH : num(m.spread_bps).toFixed(2) + " bps");
      setText($("[data-m=vol]", ticker), num(m.volatility_1h) === null ? DASH : (num(m.volatility_1h) * 100).toFixed(2) + " %");
    }

    DeskSocket(root.getAttribute("data-ws-path") || "/ws/desk/", {
      open: function (reconnected) { if (reconnected) softRefresh(); },
      event: function (msg) {
        var data = msg.data || {};
        if (msg.type === "market") renderTicker(data);
        else if (msg.type === "progress" || msg.type === "status") updateRow(data);
        else if (msg.order_id !== null && msg.order_id !== undefined) {
          var tr = row(msg.order_id);
          if (!tr) softRefresh();
          else if (msg.type === "proposal" && data.status === "pending") flashRow(tr);
        }
      },
    });
  }

  /* ═════════════════════════ order page ═════════════════════════ */

  var WORKING = ["ACTIVE", "EXECUTING", "FILLED", "ADJUSTING"];
  var TERMINAL = ["COMPLETE", "CANCELLED"];
  var PROPOSAL_DONE = ["approved", "rejected", "overridden", "expired", "superseded"];

  function initOrder() {
    var root = $("#order-root");
    var stateNode = $("#order-state");
    if (!root || !stateNode) return;

    var S = {
      orderId: Number(root.getAttribute("data-order-id")),
      symbol: root.getAttribute("data-symbol"),
      side: root.getAttribute("data-side"),
      base: baseAsset(root.getAttribute("data-symbol")),
      canTrade: root.getAttribute("data-can-trade") === "1",
      progress: null,
      market: null,
      proposals: new Map(),
      cards: new Map(),
      children: new Map(),
      fills: new Map(),
    };
    var proposalUrlTpl = root.getAttribute("data-proposal-url");
    function proposalUrl(id, action) {
      return proposalUrlTpl.replace("999999999", String(Number(id))).replace(/approve\/?$/, action + "/");
    }
    var sideSign = S.side === "sell" ? -1 : 1;

    /* ───────── controls (start / pause / resume / cancel) ───────── */

    var controlError = $("#control-error");
    function showControlError(text) {
      if (!controlError) { toast(text, "error"); return; }
      controlError.textContent = text;
      controlError.hidden = !text;
    }

    function bindControls() {
      $all("form.control-form").forEach(function (form) {
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          var action = form.getAttribute("data-control");
          var buttons = $all("button", form);
          buttons.forEach(function (b) { b.disabled = true; });
          showControlError("");
          var fields = {};
          new FormData(form).forEach(function (v, k) { if (k !== "csrfmiddlewaretoken") fields[k] = v; });
          postAction(form.action, fields).then(function (data) {
            if (action === "cancel") closeCancel();
            toast("Order #" + S.orderId + " is now " + data.status + ".", "success");
            if (S.progress) { S.progress.status = data.status; renderProgress(S.progress); }
          }, function (err) {
            showControlError(err.error);
          }).then(function () {
            buttons.forEach(function (b) { b.disabled = false; });
          });
        });
      });
      var cancelBtn = $("#cancel-btn"), confirmBox = $("#cancel-confirm");
      if (cancelBtn && confirmBox) {
        cancelBtn.addEventListener("click", function () {
          var open = confirmBox.hidden;
          confirmBox.hidden = !open;
          cancelBtn.setAttribute("aria-expanded", String(open));
          if (open) $("#cancel-reason").focus();
        });
        $("#cancel-keep-btn").addEventListener("click", closeCancel);
      }
    }
    function closeCancel() {
      var box = $("#cancel-confirm"), btn = $("#cancel-btn");
      if (box) box.hidden = true;
      if (btn) { btn.setAttribute("aria-expanded", "false"); }
      var reason = $("#cancel-reason");
      if (reason) reason.value = "";
    }

    function renderControls(status) {
      var visible = {
        start: status === "INITIALIZED",
        pause: WORKING.indexOf(status) !== -1,
        resume: status === "PAUSED" || status === "HALTED",
        cancel: TERMINAL.indexOf(status) === -1,
      };
      $all("form.control-form").forEach(function (form) {
        form.hidden = !visible[form.getAttribute("data-control")];
      });
      if (!visible.cancel) closeCancel();
    }

    /* ───────── progress & performance ───────── */

    function renderProgress(p) {
      S.progress = p;
      learnClock(p);
      var statusNode = $("#order-status");
      setBadge(statusNode, p.status);
      var pct = Math.max(0, Math.min(100, num(p.progress_pct) || 0));
      var bar = $("#progress-bar");
      bar.setAttribute("aria-valuenow", pct.toFixed(2));
      $(".bar-fill", bar).style.width = pct + "%";
      bar.classList.toggle("status-complete-bar", p.status === "COMPLETE");
      setText($("#progress-pct"), pct.toFixed(1) + "%");
      setText($("#executed"), fmtQty(p.executed) + " " + S.base);
      setText($("#remaining"), fmtQty(p.remaining) + " " + S.base);
      setText($("#decision-price"), fmtPrice(p.decision_price));
      setText($("#avg-price"), fmtPrice(p.avg_price));
      var isNode = $("#is-bps");
      setText(isNode, fmtBps(p.is_bps));
      setCostClass(isNode, p.is_bps);
      var fees = num(p.fees);
      setText($("#fees"), fees === null ? DASH : fees.toLocaleString("en-US", { maximumFractionDigits: 6 }) + " USDT");
      renderControls(p.status);
      renderDrift();
      tick();
      Charts.progress(p);
    }

    function renderDrift() {
      var node = $("#drift-bps");
      var dp = S.progress && num(S.progress.decision_price), mid = S.market && num(S.market.mid);
      if (!node || !dp || !mid) return;
      var bps = sideSign * (mid - dp) / dp * 1e4;
      setText(node, fmtBps(bps));
      setCostClass(node, bps);
    }

    /* ───────── market ───────── */

    function renderMarket(m) {
      if (!m || num(m.mid) === null) return;
      if (S.market && num(S.market.ts) > num(m.ts)) return; // an older snapshot arriving late
      S.market = m;
      setText($("#market-mid"), fmtPrice(m.mid));
      setText($("#market-spread"), num(m.spread_bps) === null ? DASH : num(m.spread_bps).toFixed(2) + " bps");
      setText($("#market-volume"), fmtQty(num(m.volume_1m) === null ? null : num(m.volume_1m).toFixed(4)) + " " + S.base);
      setText($("#market-vol"), num(m.volatility_1h) === null ? DASH : (num(m.volatility_1h) * 100).toFixed(2) + " %");
      var f = num(m.funding_rate);
      setText($("#market-funding"), f === null ? DASH : fmtSigned(f * 100, 4) + " %");
      renderDepth(m);
      renderDrift();
      Charts.market(m);
    }

    function renderDepth(m) {
      var tbody = $("#depth-table tbody");
      if (!tbody) return;
      var bids = m.bids || [], asks = m.asks || [];
      var maxQty = 0;
      bids.concat(asks).forEach(function (l) { maxQty = Math.max(maxQty, num(l.qty) || 0); });
      var frag = document.createDocumentFragment();
      for (var i = 0; i < 5; i++) {
        var b = bids[i], a = asks[i];
        frag.appendChild(el("tr", null, [
          depthQtyCell(b, maxQty, "bid-qty"),
          el("td", { className: "bid-px", text: b ? fmtPrice(b.price) : "" }),
          el("td", { className: "ask-px", text: a ? fmtPrice(a.price) : "" }),
          depthQtyCell(a, maxQty, "ask-qty"),
        ]));
      }
      tbody.replaceChildren(frag);
    }

    function depthQtyCell(level, maxQty, cls) {
      var td = el("td", { className: cls });
      if (!level) return td;
      var w = maxQty ? Math.round((num(level.qty) || 0) / maxQty * 100) : 0;
      var bar = el("span", { className: "depth-bar" });
      bar.style.width = w + "%";
      td.appendChild(bar);
      td.appendChild(el("span", { className: "v", text: (num(level.qty) || 0).toFixed(3) }));
      return td;
    }

    /* ───────── proposals ───────── */

    var template = $("#proposal-card-tpl");
    var pendingArea = $("#pending-proposal");
    var pendingEmpty = $("#pending-empty");

    function upsertProposal(p, initial) {
      var prev = S.proposals.get(p.id);
      // a decided proposal never goes back to pending (a late push must not resurrect it)
      if (prev && prev.status !== "pending" && p.status === "pending") return;
      S.proposals.set(p.id, p);
      if (p.status === "pending") showPending(p, !prev && !initial);
      else removePending(p.id);
      if (!prev && num(p.mid) !== null && num(p.created_at) !== null) Charts.midPoint(p.created_at, p.mid);
      if (!initial) { renderHistory(); renderAdvisor(); }
    }

    function actionClass(action) { return "act-" + String(action || "").toLowerCase(); }

    function typeLabel(t) { return t ? String(t).replace("_", "-").toUpperCase() : DASH; }

    function showPending(p, isNew) {
      var card = S.cards.get(p.id);
      if (!card) {
        card = template.content.firstElementChild.cloneNode(true);
        card.setAttribute("data-proposal-id", String(p.id));
        bindCard(card, p);
        S.cards.set(p.id, card);
        pendingArea.appendChild(card);
        prefillOverride(card, p);
      }
      fillCard(card, p);
      pendingEmpty.hidden = S.cards.size > 0;
      if (isNew) {
        card.classList.remove("flash");
        void card.offsetWidth;
        card.classList.add("flash");
        toast("New proposal #" + p.seq + ": " + p.action + (num(p.quantity) ? " " + fmtQty(p.quantity) + " " + S.base : ""), "info");
      }
      updateTitle();
    }

    function removePending(id) {
      var card = S.cards.get(id);
      if (card) { card.remove(); S.cards.delete(id); }
      pendingEmpty.hidden = S.cards.size > 0;
      updateTitle();
    }

    var baseTitle = document.title;
    function updateTitle() {
      document.title = (S.cards.size ? "\u25cf PROPOSAL \u00b7 " : "") + baseTitle;
    }

    function slot(card, name) { return card.querySelector('[data-slot="' + name + '"]'); }

    function fillCard(card, p) {
      card.setAttribute("data-action", p.action || "");
      card.setAttribute("data-expires-at", String(p.expires_at || ""));
      card.setAttribute("data-created-at", String(p.created_at || ""));
      card.classList.toggle("is-blocked", !!p.risk_blocked);
      setText(slot(card, "seq"), "#" + p.seq);
      var act = slot(card, "action");
      act.className = "badge action-badge " + actionClass(p.action);
      setText(act, p.action);
      setText(slot(card, "advisor"), "by " + (p.advisor || "advisor"));
      slot(card, "fallback").hidden = !p.is_fallback;
      var fr = slot(card, "fallback-reason");
      fr.hidden = !p.is_fallback || !p.fallback_reason;
      setText(fr, p.fallback_reason ? "Fallback: " + p.fallback_reason : "");
      slot(card, "blocked").hidden = !p.risk_blocked;
      var qty = num(p.quantity);
      setText(slot(card, "quantity"), qty ? fmtQty(p.quantity) + " " + S.base : DASH);
      setText(slot(card, "order_type"), typeLabel(p.order_type));
      setText(slot(card, "limit_price"), p.limit_price ? fmtPrice(p.limit_price) : (p.order_type === "market" ? "market" : DASH));
      setText(slot(card, "tif"), p.order_type ? (p.tif || DASH) : DASH);
      var conf = Math.max(0, Math.min(1, num(p.confidence) || 0));
      slot(card, "confidence-fill").style.width = (conf * 100) + "%";
      setText(slot(card, "confidence"), conf.toFixed(2));
      setText(slot(card, "mid"), num(p.mid) === null ? DASH :
        fmtPrice(p.mid) + (num(p.spread_bps) === null ? "" : " / " + num(p.spread_bps).toFixed(2) + " bps"));
      setText(slot(card, "reasoning"), p.reasoning || "(no reasoning given)");
      setText(slot(card, "risk_assessment"), p.risk_assessment || DASH);
      renderChecks(slot(card, "checks"), p.risk_checks || [], false);
      var approve = card.querySelector(".approve-btn");
      if (approve) {
        approve.disabled = !!p.risk_blocked;
        approve.title = p.risk_blocked ? "A hard risk check fails: override with compliant terms, or reject" : "Approve (A)";
      }
      tickCard(card);
    }

    function renderChecks(list, checks, failedOnly) {
      var frag = document.createDocumentFragment();
      checks.forEach(function (c) {
        if (failedOnly && c.passed) return;
        var hard = String(c.severity) === "hard";
        var cls = c.passed ? "ck-pass" : hard ? "ck-fail-hard" : "ck-fail-soft";
        var icon = c.passed ? "\u2713" : hard ? "\u2715" : "!";
        var li = el("li", { className: cls, title: figuresText(c.figures) }, [
          el("span", { className: "ck-icon", "aria-label": c.passed ? "passed" : "failed", text: icon }),
          el("span", { className: "ck-code", text: c.code }),
          el("span", { className: "ck-sev", text: c.severity }),
          el("span", { className: "ck-msg", text: c.message }),
        ]);
        frag.appendChild(li);
      });
      list.replaceChildren(frag);
      list.hidden = !list.childElementCount && list.getAttribute("data-slot") === "error-checks";
    }

    function figuresText(figures) {
      if (!figures || typeof figures !== "object") return "";
      return Object.keys(figures).map(function (k) { return k + " = " + figures[k]; }).join("\n");
    }

    function showCardError(card, err) {
      var box = slot(card, "error");
      setText(box, err ? err.error : "");
      box.hidden = !err;
      var list = slot(card, "error-checks");
      renderChecks(list, err && err.checks ? err.checks : [], true);
      list.hidden = !list.childElementCount;
    }

    function prefillOverride(card, p) {
      var form = card.querySelector(".override-form");
      if (!form) return;
      var q = num(p.quantity);
      field(form, "quantity").value = q ? String(p.quantity) : "";
      var type = p.order_type || "limit";
      field(form, "order_type").value = type;
      var price = p.limit_price || (type !== "market" && S.market ? String(num(S.market.mid).toFixed(1)) : "");
      field(form, "limit_price").value = price || "";
      field(form, "tif").value = p.order_type ? (p.tif || "") : "";
      syncLimitField(form);
    }

    function field(form, name) { return form.querySelector('[data-name="' + name + '"]'); }

    function syncLimitField(form) {
      var isMarket = field(form, "order_type").value === "market";
      var lp = field(form, "limit_price");
      lp.disabled = isMarket;
      lp.required = !isMarket;
    }

    function bindCard(card, p) {
      var id = p.id;
      // unique ids for the label/input pairs of this card
      $all("[data-name]", card).forEach(function (input) {
        input.id = "p" + id + "-" + input.getAttribute("data-name");
      });
      $all("label[data-for]", card).forEach(function (label) {
        label.setAttribute("for", "p" + id + "-" + label.getAttribute("data-for"));
      });
      if (!S.canTrade) {
        $all(".proposal-actions, .inline-form", card).forEach(function (n) { n.remove(); });
        return;
      }
      card.querySelector(".approve-btn").addEventListener("click", function () { decide(card, "approve"); });
      card.querySelector(".reject-btn").addEventListener("click", function () { toggleForm(card, "reject"); });
      card.querySelector(".override-btn").addEventListener("click", function () { toggleForm(card, "override"); });
      $all(".form-close", card).forEach(function (b) {
        b.addEventListener("click", function () { closeForms(card); });
      });
      var ovForm = card.querySelector(".override-form");
      field(ovForm, "order_type").addEventListener("change", function () { syncLimitField(ovForm); });
      card.querySelector(".reject-form").addEventListener("submit", function (e) {
        e.preventDefault();
        var reason = field(e.target, "reason").value.trim();
        if (!reason) { showCardError(card, { error: "A reason is required to reject a proposal." }); field(e.target, "reason").focus(); return; }
        decide(card, "reject", { reason: reason });
      });
      ovForm.addEventListener("submit", function (e) {
        e.preventDefault();
        var reason = field(ovForm, "ov_reason").value.trim();
        var qty = field(ovForm, "quantity").value.trim();
        var type = field(ovForm, "order_type").value;
        var price = field(ovForm, "limit_price").value.trim();
        var problem = !qty ? "Enter a quantity." : (type !== "market" && !price) ? "A " + type.replace("_", "-") + " order needs a limit price." :
          !reason ? "A reason is required to override a proposal." : "";
        if (problem) { showCardError(card, { error: problem }); return; }
        decide(card, "override", {
          quantity: qty, order_type: type, limit_price: type === "market" ? "" : price,
          tif: field(ovForm, "tif").value, reason: reason,
        });
      });
    }

    function toggleForm(card, which) {
      var form = card.querySelector("." + which + "-form");
      if (!form) return;
      var opening = form.hidden;
      closeForms(card);
      if (!opening) return;
      form.hidden = false;
      card.querySelector("." + which + "-btn").setAttribute("aria-expanded", "true");
      var first = form.querySelector("input:not([disabled])");
      if (first) { first.focus(); if (first.select) first.select(); }
    }

    function closeForms(card) {
      $all(".inline-form", card).forEach(function (f) { f.hidden = true; });
      $all(".reject-btn, .override-btn", card).forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
    }

    function decide(card, action, fields) {
      var id = Number(card.getAttribute("data-proposal-id"));
      var buttons = $all("button", card);
      buttons.forEach(function (b) { b.classList.add("is-busy"); });
      showCardError(card, null);
      postAction(proposalUrl(id, action), fields || {}).then(function (data) {
        var verb = { approve: "approved", reject: "rejected", override: "overridden" }[action];
        toast("Proposal #" + data.seq + " " + verb + ".", "success");
        upsertProposal(data, false);
      }, function (err) {
        if (card.isConnected) showCardError(card, err);
        else toast(err.error, "error");
      }).then(function () {
        buttons.forEach(function (b) { b.classList.remove("is-busy"); });
      });
    }

    function firstPendingCard() {
      var best = null;
      S.cards.forEach(function (card) { if (!best) best = card; });
      return best;
    }

    function bindKeys() {
      if (!S.canTrade) return;
      document.addEventListener("keydown", function (e) {
        if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
        var t = e.target;
        var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
        var card = firstPendingCard();
        if (e.key === "Escape") {
          if (card) closeForms(card);
          closeCancel();
          return;
        }
        if (typing || !card) return;
        var key = e.key.toLowerCase();
        if (key === "a") {
          e.preventDefault();
          var approve = card.querySelector(".approve-btn");
          if (approve && !approve.disabled) decide(card, "approve");
          else showCardError(card, { error: "This proposal fails a hard risk check: override it or reject it." });
        } else if (key === "r") {
          e.preventDefault();
          toggleForm(card, "reject");
        } else if (key === "o") {
          e.preventDefault();
          toggleForm(card, "override");
        }
      });
    }

    function tickCard(card) {
      var exp = num(card.getAttribute("data-expires-at"));
      var created = num(card.getAttribute("data-created-at"));
      var node = slot(card, "expiry"), fill = slot(card, "expiry-fill");
      if (exp === null) { setText(node, ""); return; }
      var left = exp - serverNow();
      setText(node, left > 0 ? "expires in " + fmtDuration(left) : "expired \u2014 a fresh proposal follows");
      node.classList.toggle("is-urgent", left <= 5);
      var ttl = created !== null ? Math.max(1, exp - created) : 30;
      fill.style.width = Math.max(0, Math.min(100, left / ttl * 100)) + "%";
    }

    function renderHistory() {
      var tbody = $("#proposal-history tbody");
      var done = [];
      S.proposals.forEach(function (p) { if (p.status !== "pending") done.push(p); });
      done.sort(function (a, b) { return b.seq - a.seq; });
      var frag = document.createDocumentFragment();
      done.slice(0, 200).forEach(function (p) {
        var terms = termsText(p.quantity, p.order_type, p.limit_price, p.tif);
        var finalDiffers = p.status === "overridden" && p.final_quantity !== null;
        var termsCell = el("td", { className: "terms-cell" }, [terms]);
        if (finalDiffers) {
          termsCell.appendChild(el("div", { className: "history-reason" },
            ["\u2192 " + termsText(p.final_quantity, p.final_order_type, p.final_limit_price, "")]));
        }
        var actionCell = el("td", null, [badge(p.action, "action-badge " + actionClass(p.action))]);
        if (p.is_fallback) actionCell.appendChild(el("span", { className: "badge badge-fallback", title: p.fallback_reason || "", text: "fallback" }));
        if (p.risk_blocked) actionCell.appendChild(el("span", { className: "badge badge-blocked", title: "a hard risk check failed", text: "blocked" }));
        var whoCell = el("td", { className: "history-who" }, [
          el("span", { text: p.decided_by || (p.status === "expired" || p.status === "superseded" ? "system" : p.status === "approved" ? "auto" : DASH) }),
        ]);
        if (p.decision_reason) whoCell.appendChild(el("div", { className: "history-reason", text: p.decision_reason }));
        if (p.reasoning) whoCell.appendChild(el("div", { className: "history-reasoning", title: p.reasoning, text: p.reasoning }));
        frag.appendChild(el("tr", { "data-proposal-row": p.id }, [
          el("td", { className: "num", text: p.seq }),
          el("td", { className: "time-cell", text: fmtTime(p.created_at) }),
          actionCell,
          termsCell,
          el("td", { className: "num", text: (num(p.confidence) || 0).toFixed(2) }),
          el("td", null, [badge(p.status, statusClass(p.status))]),
          whoCell,
        ]));
      });
      tbody.replaceChildren(frag);
    }

    function termsText(qty, type, price, tif) {
      if (!num(qty)) return DASH;
      var s = fmtQty(qty) + " " + typeLabel(type);
      if (price) s += " @ " + fmtPrice(price);
      if (tif && type) s += " " + tif;
      return s;
    }

    function truncate(s, n) {
      s = String(s || "");
      return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
    }

    function latestProposal() {
      var best = null;
      S.proposals.forEach(function (p) { if (!best || p.seq > best.seq) best = p; });
      return best;
    }

    function renderAdvisor() {
      var p = latestProposal();
      if (!p) return;
      var act = $("#advisor-action");
      act.replaceChildren(badge(p.action, "action-badge " + actionClass(p.action)));
      if (p.is_fallback) act.appendChild(el("span", { className: "badge badge-fallback", title: p.fallback_reason || "", text: "fallback" }));
      setText($("#advisor-confidence"), (num(p.confidence) || 0).toFixed(2));
      setText($("#advisor-reasoning"), p.reasoning || "(no reasoning given)");
      setText($("#advisor-name"), p.advisor + (p.is_fallback ? " (fallback)" : ""));
      tickAdvisor();
    }

    function tickAdvisor() {
      var p = latestProposal();
      if (!p || num(p.created_at) === null) return;
      setText($("#advisor-last"), fmtAgo(serverNow() - p.created_at) + " \u00b7 " + fmtTime(p.created_at));
    }

    /* ───────── child orders ───────── */

    var childBody = $("#children-table tbody");

    function upsertChild(c) {
      S.children.set(c.id, c);
      var tr = childBody.querySelector('tr[data-child-id="' + Number(c.id) + '"]');
      var cells = childCells(c);
      if (tr) {
        tr.replaceChildren.apply(tr, cells);
      } else {
        tr = el("tr", { "data-child-id": c.id }, cells);
        var before = null;
        $all("tr[data-child-id]", childBody).some(function (row) {
          var other = S.children.get(Number(row.getAttribute("data-child-id")));
          if (other && (num(other.created_at) || 0) < (num(c.created_at) || 0)) { before = row; return true; }
          return false;
        });
        childBody.insertBefore(tr, before);
      }
      tr.setAttribute("data-status", c.status);
      emptyState("children-table");
    }

    function childCells(c) {
      var impact = el("td", { className: "num", text: fmtBps(c.impact_bps, false) });
      setCostClass(impact, c.impact_bps);
      var status = el("td", null, [badge(String(c.status).replace("_", " "), statusClass(c.status))]);
      if (c.reject_reason) status.appendChild(el("div", { className: "history-reason", text: c.reject_reason }));
      var reasoning = el("td", { className: "reasoning-cell", title: c.reasoning || "" });
      if (c.action) reasoning.appendChild(badge(c.action, "action-badge " + actionClass(c.action)));
      reasoning.appendChild(document.createTextNode(" " + truncate(c.reasoning, 120)));
      return [
        el("td", { className: "time-cell", text: fmtTime(c.created_at) }),
        el("td", { className: "mono small", text: c.order_link_id }),
        el("td", { text: typeLabel(c.order_type) }),
        el("td", { text: c.tif || DASH }),
        el("td", { className: "num", text: fmtQty(c.quantity) }),
        el("td", { className: "num", text: c.price ? fmtPrice(c.price) : (c.order_type === "market" ? "MKT" : DASH) }),
        status,
        el("td", { className: "num", text: fmtQty(c.filled_qty) }),
        el("td", { className: "num", text: fmtPrice(c.avg_price) }),
        impact,
        reasoning,
      ];
    }

    function emptyState(tableId) {
      var note = $('[data-empty-for="' + tableId + '"]');
      var table = document.getElementById(tableId);
      if (note && table) note.hidden = table.tBodies[0].rows.length > 0;
    }

    /* ───────── fills ───────── */

    var fillBody = $("#fills-table tbody");

    function addFill(f) {
      if (!f || !f.exec_id || S.fills.has(f.exec_id)) return false;
      S.fills.set(f.exec_id, f);
      var liq = String(f.liquidity || "").toLowerCase();
      var tr = el("tr", { "data-exec-id": f.exec_id }, [
        el("td", { className: "time-cell", text: fmtTime(f.ts) }),
        el("td", { className: "mono small", text: f.exec_id }),
        el("td", { className: "mono small", text: f.order_link_id }),
        el("td", { className: "num", text: fmtQty(f.qty) }),
        el("td", { className: "num", text: fmtPrice(f.price) }),
        el("td", { className: "num", text: fmtQty(f.fee) + (f.fee_currency ? " " + f.fee_currency : "") }),
        el("td", null, [el("span", { className: "liq-" + liq, text: liq === "maker" ? "maker \u00b7 passive" : liq === "taker" ? "taker \u00b7 aggressive" : liq })]),
      ]);
      // newest first
      var before = null;
      $all("tr[data-exec-id]", fillBody).some(function (row) {
        var other = S.fills.get(row.getAttribute("data-exec-id"));
        if (other && (num(other.ts) || 0) < (num(f.ts) || 0)) { before = row; return true; }
        return false;
      });
      fillBody.insertBefore(tr, before);
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
      setText($("#fills-summary"), n ? n + " fill" + (n === 1 ? "" : "s") + " \u00b7 " + fmtQty(qty.toFixed(8)) + " " + S.base +
        " \u00b7 maker " + (qty ? Math.round(maker / qty * 100) : 0) + " %" : "");
    }

    /* ───────── clock tick: countdowns ───────── */

    function tick() {
      var p = S.progress;
      if (p) {
        var node = $("#time-left");
        var deadline = num(p.deadline), started = num(p.started_at);
        var now = serverNow();
        if (TERMINAL.indexOf(p.status) !== -1) setText(node, "ended");
        else if (deadline === null) setText(node, fmtDuration(num(p.time_left_s) || 0) + " (not started)");
        else {
          var left = deadline - now;
          setText(node, left > 0 ? fmtDuration(left) + (p.status === "PAUSED" ? " (paused)" : "") : "0:00 (horizon over)");
        }
        renderSchedule(p, started, deadline, now);
      }
      S.cards.forEach(tickCard);
      tickAdvisor();
      if (S.market) {
        var age = serverNow() - num(S.market.ts);
        setText($("#market-age"), (S.market.stale ? "STALE \u00b7 " : "") + (age < 3 ? "live" : "updated " + fmtAgo(age)));
      }
    }

    function renderSchedule(p, started, deadline, now) {
      var marker = $("#schedule-marker"), node = $("#vs-schedule"), hint = $("#schedule-hint");
      var qty = num(p.quantity), executed = num(p.executed) || 0;
      if (started === null || deadline === null || !qty || TERMINAL.indexOf(p.status) !== -1) {
        marker.hidden = true;
        setText(node, DASH);
        setText(hint, "");
        return;
      }
      var frac = Math.max(0, Math.min(1, (now - started) / Math.max(1, deadline - started)));
      var expected = qty * frac;
      marker.hidden = false;
      marker.style.left = "calc(" + (frac * 100) + "% - 1px)";
      var diff = executed - expected;
      setText(node, fmtSigned(diff, 4) + " " + S.base + (diff >= 0 ? " ahead" : " behind"));
      node.classList.toggle("is-cost", diff < -qty * 0.05);
      setText(hint, "schedule " + (frac * 100).toFixed(0) + "%");
    }

    /* ───────── whole-state render (first paint and after every reconnect) ───────── */

    function applyState(state, initial) {
      (state.proposals || []).slice().sort(function (a, b) { return a.seq - b.seq; })
        .forEach(function (p) { upsertProposal(p, true); });
      // a proposal pending in our view but decided while we were disconnected
      if (!initial) {
        var inState = new Set((state.proposals || []).map(function (p) { return p.id; }));
        S.cards.forEach(function (card, id) { if (!inState.has(id)) removePending(id); });
      }
      renderHistory();
      renderAdvisor();
      (state.children || []).slice().reverse().forEach(upsertChild);
      var added = false;
      (state.fills || []).forEach(function (f) { added = addFill(f) || added; });
      if (state.market) renderMarket(state.market);
      if (state.progress) renderProgress(state.progress);
      if (added && !initial) Charts.fills(S);
    }

    function resync() {
      fetch(root.getAttribute("data-state-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : Promise.reject(res.status); })
        .then(function (state) { applyState(state, false); })
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
          upsertProposal(d, false);
          break;
        case "child":
          upsertChild(d);
          break;
        case "fill":
          if (addFill(d)) Charts.fills(S);
          break;
        case "market":
          renderMarket(d);
          break;
        case "error":
          toast(d.error || "desk error", "error");
          break;
      }
    }

    /* ───────── go ───────── */

    bindControls();
    bindKeys();
    var initialState = JSON.parse(stateNode.textContent);
    Charts.init(S, initialState);
    applyState(initialState, true);
    Charts.fills(S);
    setInterval(tick, 500);
    DeskSocket(root.getAttribute("data-ws-path"), {
      open: function () { resync(); }, // catch up with whatever happened before or while we were away
      event: onEvent,
    });
  }

  /* ═════════════════════════ charts (plotly.js) ═════════════════════════ */

  var Charts = (function () {
    var price = null, sched = null, S = null, lastMidT = 0, pendingMid = [];
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

    function init(state, initialState) {
      S = state;
      var gd = $("#price-chart"), gd2 = $("#schedule-chart");
      if (!gd) return;
      if (!available()) { var fb = $("#chart-fallback"); if (fb) fb.hidden = false; return; }
      // seed the mid line with what the page already knows: the mids the advisor saw, and the market now
      var pts = [];
      (initialState.proposals || []).forEach(function (p) {
        if (num(p.mid) !== null && num(p.created_at) !== null) pts.push([num(p.created_at), num(p.mid)]);
      });
      if (initialState.market && num(initialState.market.mid) !== null) pts.push([num(initialState.market.ts), num(initialState.market.mid)]);
      pts.sort(function (a, b) { return a[0] - b[0]; });
      pts = pts.slice(-MAX_POINTS);
      lastMidT = pts.length ? pts[pts.length - 1][0] : 0;

      var data = [
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
      var layout = baseLayout();
      var dp = initialState.progress && num(initialState.progress.decision_price);
      if (dp) {
        layout.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: dp, y1: dp,
          line: { color: colors.decision, width: 1, dash: "dash" } }];
        layout.annotations = [{ xref: "paper", x: 0, yref: "y", y: dp, xanchor: "left", yanchor: "bottom", showarrow: false,
          text: "decision " + fmtPrice(dp), font: { size: 10, color: colors.decision }, bgcolor: "rgba(14,18,25,.8)" }];
      }
      price = gd;
      window.Plotly.newPlot(gd, data, layout, config);

      if (gd2) {
        var l2 = baseLayout();
        l2.margin = { l: 8, r: 70, t: 22, b: 26 };
        l2.yaxis.tickformat = ",.4~f";
        l2.yaxis.rangemode = "tozero";
        l2.hovermode = "x";
        var d2 = [
          { name: "Linear schedule", type: "scatter", mode: "lines", x: [], y: [], line: { color: colors.schedule, width: 1.5, dash: "dot" },
            hovertemplate: "schedule %{y:,.4f}<br>%{x}<extra></extra>" },
          { name: "Executed", type: "scatter", mode: "lines", x: [], y: [], line: { color: colors.exec, width: 2, shape: "hv" },
            fill: "tozeroy", fillcolor: "rgba(61,155,255,.12)", hovertemplate: "executed %{y:,.4f}<br>%{x}<extra></extra>" },
        ];
        sched = gd2;
        window.Plotly.newPlot(gd2, d2, l2, config);
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

    /** Fills are rare: rebuild the fill and VWAP traces in place and let Plotly.react diff them. */
    function fills(state) {
      if (!price) return;
      var list = [];
      state.fills.forEach(function (f) { list.push(f); });
      list.sort(function (a, b) { return num(a.ts) - num(b.ts); });
      list = list.slice(-MAX_POINTS);
      var d = price.data;
      var vx = [], vy = [], cq = 0, cn = 0;
      [d[2], d[3]].forEach(function (tr) { tr.x = []; tr.y = []; tr.customdata = []; tr.marker.size = []; });
      list.forEach(function (f) {
        var q = num(f.qty) || 0, px = num(f.price) || 0, t = plotTime(num(f.ts));
        cq += q; cn += q * px;
        vx.push(t); vy.push(cq ? cn / cq : px);
        var tr = String(f.liquidity).toLowerCase() === "maker" ? d[2] : d[3];
        tr.x.push(t); tr.y.push(px); tr.customdata.push(fmtQty(f.qty)); tr.marker.size.push(markerSize(f.qty));
      });
      if (vx.length && state.progress && TERMINAL.indexOf(state.progress.status) === -1) {
        // carry the running VWAP to "now" so the step line reaches the right edge
        vx.push(plotTime(Math.max(serverNow(), lastMidT))); vy.push(vy[vy.length - 1]);
      }
      d[1].x = vx; d[1].y = vy;
      price.layout.datarevision = (price.layout.datarevision || 0) + 1;
      window.Plotly.react(price, d, price.layout, config);
      schedule(state);
    }

    function progress(p) {
      if (sched && S) schedule(S);
    }

    function schedule(state) {
      if (!sched) return;
      var p = state.progress;
      if (!p) return;
      var started = num(p.started_at), deadline = num(p.deadline), qty = num(p.quantity);
      var d = sched.data;
      if (started !== null && deadline !== null && qty) {
        d[0].x = [plotTime(started), plotTime(deadline)];
        d[0].y = [0, qty];
        var list = [];
        state.fills.forEach(function (f) { list.push(f); });
        list.sort(function (a, b) { return num(a.ts) - num(b.ts); });
        var ex = [plotTime(started)], ey = [0], cum = 0;
        list.forEach(function (f) { cum += num(f.qty) || 0; ex.push(plotTime(num(f.ts))); ey.push(cum); });
        var end = TERMINAL.indexOf(p.status) !== -1 && list.length ? num(list[list.length - 1].ts) : Math.min(serverNow(), deadline);
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

    return { init: init, midPoint: midPoint, market: market, fills: fills, progress: progress };
  })();

  /* ═════════════════════════ boot ═════════════════════════ */

  function boot() {
    var page = document.body.getAttribute("data-page");
    if (page === "home") initHome();
    else if (page === "order") initOrder();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
