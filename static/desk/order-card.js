/* ExecDesk.ProposalCard: one pending proposal's card, cloned from #proposal-card-tpl and filled with
   textContent only: terms, risk checks, the expiry countdown, errors and the reject/override forms.
   What the buttons do is wired by order-proposals.js. */
(function (D) {
  "use strict";

  var $all = D.$all, el = D.el, setText = D.setText, num = D.num, DASH = D.DASH;

  function slot(card, name) { return card.querySelector('[data-slot="' + name + '"]'); }

  function field(form, name) { return form.querySelector('[data-name="' + name + '"]'); }

  /** Clone the template for proposal `id`, with unique ids for its label/input pairs. */
  function create(template, id) {
    var card = template.content.firstElementChild.cloneNode(true);
    card.setAttribute("data-proposal-id", String(id));
    $all("[data-name]", card).forEach(function (input) {
      input.id = "p" + id + "-" + input.getAttribute("data-name");
    });
    $all("label[data-for]", card).forEach(function (label) {
      label.setAttribute("for", "p" + id + "-" + label.getAttribute("data-for"));
    });
    return card;
  }

  function fill(card, p, base) {
    card.setAttribute("data-action", p.action || "");
    card.setAttribute("data-expires-at", String(p.expires_at || ""));
    card.setAttribute("data-created-at", String(p.created_at || ""));
    card.classList.toggle("is-blocked", !!p.risk_blocked);
    setText(slot(card, "seq"), "#" + p.seq);
    var act = slot(card, "action");
    act.className = "badge action-badge " + D.actionClass(p.action);
    setText(act, p.action);
    setText(slot(card, "advisor"), "by " + (p.advisor || "advisor"));
    slot(card, "fallback").hidden = !p.is_fallback;
    var fr = slot(card, "fallback-reason");
    fr.hidden = !p.is_fallback || !p.fallback_reason;
    setText(fr, p.fallback_reason ? "Fallback: " + p.fallback_reason : "");
    slot(card, "blocked").hidden = !p.risk_blocked;
    fillTerms(card, p, base);
    setText(slot(card, "reasoning"), p.reasoning || "(no reasoning given)");
    setText(slot(card, "risk_assessment"), p.risk_assessment || DASH);
    renderChecks(slot(card, "checks"), p.risk_checks || [], false);
    var approve = card.querySelector(".approve-btn");
    if (approve) {
      approve.disabled = !!p.risk_blocked;
      approve.title = p.risk_blocked ? "A hard risk check fails: override with compliant terms, or reject" : "Approve (A)";
    }
    tick(card);
  }

  function fillTerms(card, p, base) {
    var qty = num(p.quantity);
    setText(slot(card, "quantity"), qty ? D.fmtQty(p.quantity) + " " + base : DASH);
    setText(slot(card, "order_type"), D.typeLabel(p.order_type));
    setText(slot(card, "limit_price"), p.limit_price ? D.fmtPrice(p.limit_price) : (p.order_type === "market" ? "market" : DASH));
    setText(slot(card, "tif"), p.order_type ? (p.tif || DASH) : DASH);
    var conf = Math.max(0, Math.min(1, num(p.confidence) || 0));
    slot(card, "confidence-fill").style.width = (conf * 100) + "%";
    setText(slot(card, "confidence"), conf.toFixed(2));
    setText(slot(card, "mid"), num(p.mid) === null ? DASH :
      D.fmtPrice(p.mid) + (num(p.spread_bps) === null ? "" : " / " + num(p.spread_bps).toFixed(2) + " bps"));
    fillAdvice(card, p);
  }

  /** What an advisor adds to the terms when it says it: a new execution rate (ACCELERATE / DECELERATE,
   *  as a multiple of the strategy's schedule) and its own estimate of the order's impact. */
  function fillAdvice(card, p) {
    var rate = num(p.new_rate), impact = num(p.expected_impact_bps);
    slot(card, "rate-row").hidden = rate === null;
    setText(slot(card, "new_rate"), rate === null ? "" : "rate \u2192 " + rateLabel(rate));
    slot(card, "impact-row").hidden = impact === null;
    setText(slot(card, "expected_impact"), impact === null ? "" : impact.toFixed(2) + " bps");
    // Claude sizes its own slices: the strategy's slice beside it shows how far it strays from the schedule
    var baseline = num(p.baseline_qty), own = p.advisor === "anthropic" && !p.is_fallback;
    slot(card, "baseline-row").hidden = !own || baseline === null;
    setText(slot(card, "baseline"), own && baseline !== null ? String(p.baseline_qty) : "");
  }

  /** The rate as a short multiple, three significant digits as the templates' stringformat ".3g" draws it:
   *  1.5 -> "1.5×", 1 -> "1×", 1.3333 -> "1.33×" (also used by the advisor panels). */
  function rateLabel(rate) { return String(Number(rate.toPrecision(3))) + "\u00d7"; }

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

  /** err: {error, checks} as postAction rejects with, or null to clear. */
  function showError(card, err) {
    var box = slot(card, "error");
    setText(box, err ? err.error : "");
    box.hidden = !err;
    var list = slot(card, "error-checks");
    renderChecks(list, err && err.checks ? err.checks : [], true);
    list.hidden = !list.childElementCount;
  }

  /** The override form starts from the proposal's terms (or a limit at the current mid). */
  function prefillOverride(card, p, market) {
    var form = card.querySelector(".override-form");
    if (!form) return;
    var q = num(p.quantity);
    field(form, "quantity").value = q ? String(p.quantity) : "";
    var type = p.order_type || "limit";
    field(form, "order_type").value = type;
    var price = p.limit_price || (type !== "market" && market ? String(num(market.mid).toFixed(1)) : "");
    field(form, "limit_price").value = price || "";
    field(form, "tif").value = p.order_type ? (p.tif || "") : "";
    syncLimitField(form);
  }

  function syncLimitField(form) {
    var isMarket = field(form, "order_type").value === "market";
    var lp = field(form, "limit_price");
    lp.disabled = isMarket;
    lp.required = !isMarket;
  }

  /** Open the reject or override form (closing the other), or close it if it is open. */
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

  /** The expiry countdown and its shrinking bar. */
  function tick(card) {
    var exp = num(card.getAttribute("data-expires-at"));
    var created = num(card.getAttribute("data-created-at"));
    var node = slot(card, "expiry"), bar = slot(card, "expiry-fill");
    if (exp === null) { setText(node, ""); return; }
    var left = exp - D.serverNow();
    setText(node, left > 0 ? "expires in " + D.fmtDuration(left) : "expired \u2014 a fresh proposal follows");
    node.classList.toggle("is-urgent", left <= 5);
    var ttl = created !== null ? Math.max(1, exp - created) : 30;
    bar.style.width = Math.max(0, Math.min(100, left / ttl * 100)) + "%";
  }

  D.ProposalCard = {
    create: create, fill: fill, field: field, showError: showError, prefillOverride: prefillOverride,
    syncLimitField: syncLimitField, toggleForm: toggleForm, closeForms: closeForms, tick: tick,
    rateLabel: rateLabel,
  };
})(window.ExecDesk);
