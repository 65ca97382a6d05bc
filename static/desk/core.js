/* ExecDesk page scripts: shared helpers on one namespace, window.ExecDesk. Loaded first, no framework.
 *
 * Server data reaches the DOM only through textContent and attributes, never innerHTML: reasoning
 * text comes from an advisor that reads market data and news, and must be treated as untrusted.
 */
(function () {
  "use strict";

  var DASH = "\u2014";
  var D = window.ExecDesk = window.ExecDesk || {};

  D.DASH = DASH;
  D.MAX_POINTS = 2000;
  /** Parent-order statuses the controls and charts care about. */
  D.WORKING = ["ACTIVE", "EXECUTING", "FILLED", "ADJUSTING"];
  D.TERMINAL = ["COMPLETE", "CANCELLED", "EXPIRED"];

  /* ───────────────────────── DOM ───────────────────────── */

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

  /** Restart a one-shot CSS animation class on a node. */
  function flash(node, cls) {
    node.classList.remove(cls);
    void node.offsetWidth; // restart the animation
    node.classList.add(cls);
  }

  /* ───────────────────────── numbers, prices, times ───────────────────────── */

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

  /** Spread in bps and 1-h volatility (a fraction) as the market panels show them. */
  function fmtSpread(v) { return num(v) === null ? DASH : num(v).toFixed(2) + " bps"; }
  function fmtVolatility(v) { return num(v) === null ? DASH : (num(v) * 100).toFixed(2) + " %"; }

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

  /** 'post_only' -> 'POST-ONLY'. */
  function typeLabel(t) { return t ? String(t).replace("_", "-").toUpperCase() : DASH; }

  /* ───────────────────────── badges ───────────────────────── */

  function statusClass(status) {
    return "status-" + String(status || "").toLowerCase();
  }

  function actionClass(action) { return "act-" + String(action || "").toLowerCase(); }

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

  function actionBadge(action) { return badge(action, "action-badge " + actionClass(action)); }

  function fallbackBadge(p) {
    return el("span", { className: "badge badge-fallback", title: p.fallback_reason || "", text: "fallback" });
  }

  /* ───────────────────────── server clock ───────────────────────── */

  /* Payloads carry epoch seconds from the server. If the browser's clock is off by more than a
     little, count down against the server's time instead of the local one. */
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

  /** GET a same-origin URL; resolves with the parsed body ("json" or "text"), rejects with the status. */
  function fetchPage(url, as) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: as === "json" ? "application/json" : "text/html" } })
      .then(function (res) { return res.ok ? (as === "json" ? res.json() : res.text()) : Promise.reject(res.status); });
  }

  Object.assign(D, {
    $: $, $all: $all, setText: setText, el: el, flash: flash,
    num: num, fmtQty: fmtQty, fmtPrice: fmtPrice, fmtSigned: fmtSigned, fmtBps: fmtBps,
    fmtSpread: fmtSpread, fmtVolatility: fmtVolatility, setCostClass: setCostClass,
    fmtTime: fmtTime, plotTime: plotTime, fmtDuration: fmtDuration, fmtAgo: fmtAgo,
    baseAsset: baseAsset, typeLabel: typeLabel,
    statusClass: statusClass, actionClass: actionClass, setBadge: setBadge, badge: badge,
    actionBadge: actionBadge, fallbackBadge: fallbackBadge,
    serverNow: serverNow, learnClock: learnClock,
    toast: toast, postAction: postAction, fetchPage: fetchPage,
  });
})();
