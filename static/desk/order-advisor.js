/* ExecDesk.OrderAdvisor: the "Claude advisor" panel of an order whose advisor is Claude: questions,
   latency, tokens and cost, fallbacks and their reasons, rate changes, human decisions per advisor,
   value added against market TWAP and the last question's fate. Fed the order state's `advisor` block
   and every "advisor" push (the same dict, selectors_advisor.advisor_metrics). The advisor's words
   (reasons, errors, labels) are untrusted: they reach the page through textContent only.
   The formats match templates/desk/order.html, which paints the first state without script. */
(function (D) {
  "use strict";

  var $ = D.$, el = D.el, setText = D.setText, num = D.num, DASH = D.DASH;

  /** 0.25 -> "25 %" (whole percent, as the template's widthratio draws it). */
  function pct(v) {
    var n = num(v);
    return n === null ? DASH : Math.round(n * 100) + " %";
  }

  function ms(v) {
    var n = num(v);
    return n === null ? null : String(Math.round(n));
  }

  /** 1.5 -> "1.5× schedule". */
  function rateText(v) {
    var n = num(v);
    return n === null ? DASH : D.ProposalCard.rateLabel(n) + " schedule";
  }

  function costText(m) {
    if (!m.cost_known) return "price unknown for " + (m.model || "the model");
    var n = num(m.cost_usd);
    return n === null ? DASH : n.toFixed(4) + " USD";
  }

  function OrderAdvisor(S) {
    var panel = $("#claude-panel");

    function renderFallbacks(m) {
      var rate = num(m.fallback_rate);
      setText($("#claude-fallback-rate", panel),
        rate === null ? DASH : pct(rate) + " (" + (m.fallbacks || 0) + " of " + (m.proposals || 0) + ")");
      var list = $("#claude-fallback-reasons", panel);
      var reasons = m.fallback_reasons || {};
      var kinds = Object.keys(reasons);
      if (!kinds.length) {
        list.replaceChildren(el("li", { className: "muted", text: "none" }));
        return;
      }
      list.replaceChildren.apply(list, kinds.map(function (k) {
        return el("li", { text: k + ": " + reasons[k] });
      }));
    }

    function renderOutcomes(m) {
      var tbody = $("#claude-outcomes tbody", panel);
      var outcomes = m.outcomes || {};
      var labels = Object.keys(outcomes);
      if (!labels.length) {
        tbody.replaceChildren(el("tr", { className: "empty-row" },
          [el("td", { colspan: 6, className: "muted", text: "No proposal decided yet." })]));
        return;
      }
      tbody.replaceChildren.apply(tbody, labels.map(function (label) {
        var o = outcomes[label] || {};
        return el("tr", null, [
          el("td", { text: label }),
          el("td", { className: "num", text: o.decided }),
          el("td", { className: "num", text: pct(o.approved_rate) }),
          el("td", { className: "num", text: pct(o.rejected_rate) }),
          el("td", { className: "num", text: pct(o.overridden_rate) }),
          el("td", { className: "num", text: pct(o.expired_rate) }),
        ]);
      }));
    }

    function renderValueAdded(m) {
      var node = $("#claude-value-added", panel);
      var v = num(m.value_added_bps);
      setText(node, D.fmtBps(v));
      node.title = m.value_added_method || "";
      // positive value added is a saving against TWAP: green, unlike a cost in bps
      node.classList.toggle("is-gain", v !== null && v > 0);
      node.classList.toggle("is-cost", v !== null && v < 0);
    }

    function renderLast(q) {
      var reason = $("#claude-last-reason", panel), error = $("#claude-last-error", panel);
      if (!q) {
        setText($("#claude-last", panel), "none yet");
        reason.hidden = error.hidden = true;
        return;
      }
      var latency = ms(q.latency_ms);
      setText($("#claude-last", panel), "#" + q.seq + " \u00b7 " + q.status + " \u00b7 " + (q.use || "not used yet") +
        (latency === null ? "" : " \u00b7 " + latency + " ms"));
      setText(reason, q.use_reason || "");
      reason.hidden = !q.use_reason;
      setText(error, q.error || "");
      error.hidden = !q.error;
    }

    /** m: the advisor metrics dict; ignored when the page has no Claude panel or m is empty. */
    function render(m) {
      if (!m) return;
      S.advisorMetrics = m; // the Advisor status panel reads latency and fallbacks from it too
      if (!panel) return;
      setText($("#claude-model", panel), m.model || DASH);
      setText($("#claude-questions", panel), (m.queries || 0) + " / " + (m.answered || 0) + " / " +
        (m.failed || 0) + " / " + (m.running || 0) + (m.cached ? " (" + m.cached + " cached)" : ""));
      var p50 = ms(m.latency_p50_ms), p95 = ms(m.latency_p95_ms);
      setText($("#claude-latency", panel), p50 === null ? DASH : p50 + " / " + (p95 === null ? DASH : p95) + " ms");
      setText($("#claude-tokens", panel), (m.input_tokens || 0) + " / " + (m.output_tokens || 0));
      setText($("#claude-cost", panel), costText(m));
      renderFallbacks(m);
      setText($("#claude-adaptations", panel), m.adaptations || 0);
      setText($("#claude-rate", panel), rateText(m.rate));
      renderValueAdded(m);
      renderOutcomes(m);
      renderLast(m.last_query);
      renderImpact(m.impact);
    }

    /** The pre-trade estimate's "not in yet" line becomes Claude's multiplier (or why there is none) when the
     *  impact answer lands: the same lines the template draws after a reload. */
    function renderImpact(adj) {
      var pending = $("#pretrade-llm-pending");
      if (!pending || !adj) return;
      var f2 = function (v) { var n = num(v); return n === null ? DASH : n.toFixed(2); };
      var g3 = function (v) { var n = num(v); return n === null ? DASH : String(Number(n.toPrecision(3))); };
      var block;
      if (adj.error) {
        block = el("div", { className: "llm-adjustment", id: "pretrade-llm" }, [
          el("p", { className: "field-error", id: "pretrade-llm-error",
                    text: "Claude's impact multiplier: none, the base estimate stands (" + adj.error + ")" })]);
      } else {
        var note = adj.clamped ? "proposed \u00d7" + g3(adj.raw) + ", clamped" : "as proposed";
        var row = function (label, id, text) { return el("div", null, [el("dt", { text: label }), el("dd", { className: "num", id: id, text: text })]); };
        block = el("div", { className: "llm-adjustment", id: "pretrade-llm" }, [
          el("dl", { className: "kv" }, [
            el("div", null, [el("dt", { text: "Claude's impact multiplier" }),
              el("dd", { className: "num kv-big", id: "pretrade-llm-factor" }, [
                "\u00d7" + g3(adj.applied) + " ", el("span", { className: "muted", text: "(" + note + ")" })])]),
            row("Impact base \u2192 with Claude's view", "pretrade-llm-impact",
                f2(adj.base_impact_bps) + " \u2192 " + f2(adj.impact_bps) + " bps"),
            row("Expected cost with Claude's view", "pretrade-llm-cost", f2(adj.expected_cost_bps) + " bps")]),
          el("blockquote", { className: "reasoning", id: "pretrade-llm-reasoning", text: adj.reasoning || "(no reasoning given)" })]);
      }
      pending.replaceWith(block);
    }

    return { render: render };
  }

  D.OrderAdvisor = OrderAdvisor;
})(window.ExecDesk);
