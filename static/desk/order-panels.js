/* ExecDesk.OrderPanels: the order page's read-only panels: progress, performance (IS, drift, schedule),
   market (figures and depth) and the advisor's latest word. S is the page state built by order.js. */
(function (D) {
  "use strict";

  var $ = D.$, el = D.el, setText = D.setText, num = D.num, DASH = D.DASH, TERMINAL = D.TERMINAL;

  function OrderPanels(S) {

    /* ───────── progress & performance ───────── */

    function renderProgress(p) {
      S.progress = p;
      D.learnClock(p);
      D.setBadge($("#order-status"), p.status);
      var pct = Math.max(0, Math.min(100, num(p.progress_pct) || 0));
      var bar = $("#progress-bar");
      bar.setAttribute("aria-valuenow", pct.toFixed(2));
      $(".bar-fill", bar).style.width = pct + "%";
      bar.classList.toggle("status-complete-bar", p.status === "COMPLETE");
      setText($("#progress-pct"), pct.toFixed(1) + "%");
      setText($("#executed"), D.fmtQty(p.executed) + " " + S.base);
      setText($("#remaining"), D.fmtQty(p.remaining) + " " + S.base);
      setText($("#decision-price"), D.fmtPrice(p.decision_price));
      setText($("#avg-price"), D.fmtPrice(p.avg_price));
      var isNode = $("#is-bps");
      setText(isNode, D.fmtBps(p.is_bps));
      D.setCostClass(isNode, p.is_bps);
      var tca = p.tca || {};
      var vsTwap = $("#vs-twap-bps");
      if (vsTwap) {
        setText(vsTwap, D.fmtBps(tca.vs_twap_bps));
        D.setCostClass(vsTwap, tca.vs_twap_bps);
      }
      var rate = num(tca.fill_rate);
      setText($("#tca-fill-rate"), rate === null ? DASH : (rate * 100).toFixed(1) + " %");
      var b = function (v) { v = num(v); return v === null ? DASH : v.toFixed(2); };
      if (num(tca.is_bps) !== null) {
        setText($("#tca-is-parts"), "delay " + b(tca.is_delay_bps) + " \u00b7 timing " + b(tca.is_timing_bps) +
          " \u00b7 execution " + b(tca.is_execution_bps) + " \u00b7 fees " + b(tca.is_fees_bps) +
          " \u00b7 opportunity " + b(tca.is_opportunity_bps) + " \u00b7 completion " + b(tca.is_completion_bps));
      }
      setText($("#tca-evidence"), b(tca.spread_captured_bps) + " \u00b7 " + b(tca.markout_1s_bps) + " / " +
        b(tca.markout_10s_bps) + " / " + b(tca.markout_60s_bps));
      setText($("#tca-market"), b(tca.vwap_slippage_bps) + " \u00b7 " + b(tca.twap_slippage_bps));
      var part = num(tca.participation);
      setText($("#tca-participation"), part === null ? DASH : (part * 100).toFixed(1) + " %");
      var fees = num(p.fees);
      setText($("#fees"), fees === null ? DASH : fees.toLocaleString("en-US", { maximumFractionDigits: 6 }) + " USDT");
      renderHeader(p);
    }

    /** What an amend or a mode change alters in the header: quantity, deadline, approval mode. */
    function renderHeader(p) {
      var qty = $("#order-qty");
      if (qty && p.quantity && qty.getAttribute("data-raw") !== String(p.quantity)) {
        qty.setAttribute("data-raw", String(p.quantity));
        setText(qty, D.fmtQty(p.quantity));
      }
      if (num(p.deadline) !== null) setText($("#order-deadline"), D.fmtTime(p.deadline) + " UTC");
      var mode = $("#order-mode");
      if (mode && p.approval_mode) {
        mode.className = "mode mode-" + p.approval_mode;
        var cap = num(p.auto_cap_notional);
        setText(mode, p.approval_mode === "manual" ? "manual" : p.approval_mode === "autopilot" ? "autopilot" :
          "auto \u2264 " + (cap === null ? DASH : cap.toLocaleString("en-US", { maximumFractionDigits: 0 })) + " USDT");
      }
    }

    /** Where the mid is now against the decision price, signed so that a cost is positive. */
    function renderDrift() {
      var node = $("#drift-bps");
      var dp = S.progress && num(S.progress.decision_price), mid = S.market && num(S.market.mid);
      if (!node || !dp || !mid) return;
      var bps = S.sideSign * (mid - dp) / dp * 1e4;
      setText(node, D.fmtBps(bps));
      D.setCostClass(node, bps);
    }

    /** Time left on the horizon, and executed against the strategy's schedule (both move with the clock). */
    function tickClock() {
      var p = S.progress;
      if (!p) return;
      var node = $("#time-left");
      var deadline = num(p.deadline), started = num(p.started_at);
      var now = D.serverNow();
      if (TERMINAL.indexOf(p.status) !== -1) setText(node, "ended");
      else if (deadline === null) setText(node, D.fmtDuration(num(p.time_left_s) || 0) + " (not started)");
      else {
        var left = deadline - now;
        // past the deadline: a finish order makes its final cross, a continue order works on at its last rate
        var over = p.end_policy === "continue" ? "past the deadline (continues " + D.fmtDuration(-left) + ")"
          : p.end_policy === "expire" ? "0:00 (expiring)" : "0:00 (final interval)";
        setText(node, left > 0 ? D.fmtDuration(left) + (p.status === "PAUSED" ? " (paused)" : "") : over);
      }
      renderSchedule(p, started, deadline, now);
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
      if (S.schedule && S.schedule.length) {  // the strategy's plan: the slices due by now
        expected = 0;
        S.schedule.forEach(function (pt) { if (pt[0] <= now - started) expected = pt[1]; });
        frac = expected / qty;
      }
      marker.hidden = false;
      marker.style.left = "calc(" + (frac * 100) + "% - 1px)";
      var diff = executed - expected;
      setText(node, D.fmtSigned(diff, 4) + " " + S.base + (diff >= 0 ? " ahead" : " behind"));
      node.classList.toggle("is-cost", diff < -qty * 0.05);
      setText(hint, "schedule " + (frac * 100).toFixed(0) + "%");
    }

    /* ───────── market ───────── */

    /** Show a market snapshot; false when it was ignored (no mid, or older than the one shown). */
    function renderMarket(m) {
      if (!m || num(m.mid) === null) return false;
      if (S.market && num(S.market.ts) > num(m.ts)) return false; // an older snapshot arriving late
      S.market = m;
      setText($("#market-mid"), D.fmtPrice(m.mid));
      setText($("#market-spread"), D.fmtSpread(m.spread_bps));
      setText($("#market-volume"), volumeText(m.volume_1h));
      setText($("#market-volume-1m"), volumeText(m.volume_1m));
      setText($("#market-vol"), D.fmtVolatility(m.volatility_1h));
      var f = num(m.funding_rate);
      setText($("#market-funding"), f === null ? DASH : D.fmtSigned(f * 100, 4) + " %");
      renderDepth(m);
      return true;
    }

    function volumeText(v) {
      return num(v) === null ? DASH : D.fmtQty(num(v).toFixed(num(v) >= 100 ? 1 : 4)) + " " + S.base;
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
          el("td", { className: "bid-px", text: b ? D.fmtPrice(b.price) : "" }),
          el("td", { className: "ask-px", text: a ? D.fmtPrice(a.price) : "" }),
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

    function tickMarketAge() {
      if (!S.market) return;
      var age = D.serverNow() - num(S.market.ts);
      setText($("#market-age"), (S.market.stale ? "STALE \u00b7 " : "") + (age < 3 ? "live" : "updated " + D.fmtAgo(age)));
    }

    /* ───────── advisor ───────── */

    function latestProposal() {
      var best = null;
      S.proposals.forEach(function (p) { if (!best || p.seq > best.seq) best = p; });
      return best;
    }

    /** The advisor's latest word, its latency and its fallbacks. Claude's figures come from its metrics (the
        order state's `advisor` block and the "advisor" push); the others' from the proposals themselves. */
    function renderAdvisor() {
      var p = latestProposal();
      renderAdvisorRecord(p);
      if (!p) return;
      var act = $("#advisor-action");
      act.replaceChildren(D.actionBadge(p.action));
      if (p.is_fallback) act.appendChild(D.fallbackBadge(p));
      if (D.num(p.new_rate) !== null) act.appendChild(el("span", { className: "rate-change num",
        text: " rate \u2192 " + D.ProposalCard.rateLabel(D.num(p.new_rate)) }));
      setText($("#advisor-confidence"), (num(p.confidence) || 0).toFixed(2));
      setText($("#advisor-reasoning"), p.reasoning || "(no reasoning given)");
      setText($("#advisor-name"), p.advisor + (p.is_fallback ? " (fallback)" : ""));
      tickAdvisor();
    }

    function renderAdvisorRecord(p) {
      var m = S.advisorMetrics, latency = $("#advisor-latency"), fallbacks = $("#advisor-fallbacks");
      if (m) {
        var last = m.last_query || {}, p50 = num(m.latency_p50_ms);
        setText(latency, num(last.latency_ms) === null ? DASH :
          Math.round(num(last.latency_ms)) + " ms" + (p50 === null ? "" : " \u00b7 p50 " + Math.round(p50) + " ms"));
        var rate = num(m.fallback_rate);
        setText(fallbacks, (m.fallbacks || 0) + " of " + (m.proposals || 0) + (rate === null ? "" : " \u00b7 " + Math.round(rate * 100) + " %"));
        return;
      }
      var stepMs = p ? num(p.advisor_latency_ms) : null;
      // the local advisors answer in well under a millisecond: keep the decimals that say so
      setText(latency, stepMs === null ? DASH : (stepMs < 10 ? stepMs.toFixed(2) : Math.round(stepMs)) + " ms (step)");
      var n = 0, fb = 0;
      S.proposals.forEach(function (q) { n += 1; if (q.is_fallback) fb += 1; });
      setText(fallbacks, n ? fb + " of " + n + " \u00b7 " + Math.round(fb / n * 100) + " %" : DASH);
    }

    /** When the advisor was last asked: Claude's last question, else the latest proposal. */
    function tickAdvisor() {
      var m = S.advisorMetrics, at = null;
      if (m && m.last_query && m.last_query.started_at) at = Date.parse(m.last_query.started_at) / 1000;
      if (at === null || isNaN(at)) {
        var p = latestProposal();
        at = p ? num(p.created_at) : null;
      }
      if (at === null) return;
      setText($("#advisor-last"), D.fmtAgo(D.serverNow() - at) + " \u00b7 " + D.fmtTime(at));
    }

    return {
      renderProgress: renderProgress, renderDrift: renderDrift, tickClock: tickClock,
      renderMarket: renderMarket, tickMarketAge: tickMarketAge,
      renderAdvisor: renderAdvisor, tickAdvisor: tickAdvisor,
    };
  }

  D.OrderPanels = OrderPanels;
})(window.ExecDesk);
