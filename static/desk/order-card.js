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

  /** Why `me` ({name, role}) may not approve `p` now, or "" when they may. The server decides; this only
   *  explains it before a click (four-eyes: a supervisor above the threshold, never one's own override). */
  function approveBlock(p, me) {
    if (p.risk_blocked) return "A hard risk check fails: override with compliant terms, or reject";
    if (p.awaiting_second) {
      if (p.overridden_by && me && p.overridden_by === me.name) {
        return "Nobody approves their own override: another supervisor must approve it";
      }
      if (!me || me.role !== "supervisor") {
        return "Four-eyes: the override by " + (p.overridden_by || "another trader") + " waits for a supervisor's approval";
      }
      return "";
    }
    if (p.needs_supervisor && (!me || me.role !== "supervisor")) {
      return "Four-eyes: " + (num(p.notional) === null ? "this proposal" : fmtUsd(p.notional)) +
        " is above the desk's threshold of " + fmtUsd(p.four_eyes_threshold) + "; a supervisor must approve it";
    }
    return "";
  }

  function fmtUsd(v) {
    var n = num(v);
    return n === null ? DASH : n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " USDT";
  }

  function fill(card, p, base, me) {
    card.setAttribute("data-action", p.action || "");
    card.setAttribute("data-expires-at", String(p.expires_at || ""));
    card.setAttribute("data-created-at", String(p.created_at || ""));
    card.classList.toggle("is-blocked", !!p.risk_blocked);
    card.classList.toggle("is-four-eyes", !!(p.needs_supervisor || p.awaiting_second));
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
    var fourEyes = slot(card, "foureyes");
    fourEyes.hidden = !(p.needs_supervisor || p.awaiting_second);
    fourEyes.title = p.four_eyes_threshold ? "Notional above " + fmtUsd(p.four_eyes_threshold) + ", or an override: a supervisor approves, never its author" : "";
    fillTerms(card, p, base);
    fillOverride(card, p, base);
    setText(slot(card, "reasoning"), p.reasoning || "(no reasoning given)");
    setText(slot(card, "risk_assessment"), p.risk_assessment || DASH);
    fillChecks(card, p.risk_checks || []);
    card.setAttribute("data-approve-block", approveBlock(p, me));
    tick(card);
  }

  /** An override waiting for a supervisor: its terms (the final_* fields), who wrote it and why. */
  function fillOverride(card, p, base) {
    var box = slot(card, "override");
    box.hidden = !p.awaiting_second;
    if (!p.awaiting_second) return;
    setText(slot(card, "overridden_by"), p.overridden_by || "someone");
    setText(slot(card, "final_quantity"), num(p.final_quantity) ? D.fmtQty(p.final_quantity) + " " + base : DASH);
    setText(slot(card, "final_order_type"), D.typeLabel(p.final_order_type));
    setText(slot(card, "final_limit_price"), p.final_limit_price ? D.fmtPrice(p.final_limit_price) : (p.final_order_type === "market" ? "market" : DASH));
    setText(slot(card, "final_tif"), p.final_tif || DASH);
    setText(slot(card, "override_reason"), p.override_reason || DASH);
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
    setText(slot(card, "notional"), num(p.notional) === null ? DASH : fmtUsd(p.notional));
    var sliceImpact = num(p.slice_impact_bps);
    slot(card, "slice-impact-row").hidden = sliceImpact === null;
    setText(slot(card, "slice_impact"), sliceImpact === null ? "" : D.fmtBps(sliceImpact));
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
      var figures = figuresText(c.figures);
      var li = el("li", { className: cls }, [
        el("span", { className: "ck-icon", "aria-label": c.passed ? "passed" : "failed", text: icon }),
        el("span", { className: "ck-code", title: c.code, text: c.code }),
        el("span", { className: "ck-sev", text: c.severity }),
        el("span", { className: "ck-msg", text: c.message }),
        figures ? el("span", { className: "ck-figs", text: figures }) : null,
      ]);
      frag.appendChild(li);
    });
    list.replaceChildren(frag);
    list.hidden = !list.childElementCount && list.getAttribute("data-slot") === "error-checks";
  }

  /** Failing checks in full view; the passing ones folded under "✓ N checks pass" (open it once and the
   *  next cards open too), each with its figures. */
  var passedOpen = false;
  function fillChecks(card, checks) {
    var failing = checks.filter(function (c) { return !c.passed; });
    var passing = checks.filter(function (c) { return c.passed; });
    renderChecks(slot(card, "checks"), failing, false);
    slot(card, "checks").hidden = !failing.length;
    var box = slot(card, "checks-passed-box");
    box.hidden = !passing.length;
    setText(slot(card, "checks-passed-summary"), "\u2713 " + passing.length + " risk check" + (passing.length === 1 ? "" : "s") +
      " pass" + (passing.length === 1 ? "es" : "") + (failing.length ? "" : " \u2014 all of them") + " (figures)");
    renderChecks(slot(card, "checks-passed"), passing, false);
    if (!box.hasAttribute("data-bound")) {
      box.setAttribute("data-bound", "1");
      box.open = passedOpen;
      box.addEventListener("toggle", function () { passedOpen = box.open; });
    }
  }

  /** A check's figures, 'limit 2.5 · value 1.25', numbers to at most 6 significant digits. */
  function figuresText(figures) {
    if (!figures || typeof figures !== "object") return "";
    return Object.keys(figures).map(function (k) {
      var v = figures[k];
      if (typeof v === "number" && isFinite(v)) v = Number(v.toPrecision(6)).toLocaleString("en-US", { maximumFractionDigits: 6 });
      else if (v === null || v === undefined) v = DASH;
      else if (typeof v === "object") v = JSON.stringify(v);
      return k.replace(/_/g, " ") + " " + v;
    }).join(" \u00b7 ");
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
    // an override waiting for a supervisor starts from its own terms, which a second override would replace
    var t = p.awaiting_second ? { quantity: p.final_quantity, order_type: p.final_order_type,
      limit_price: p.final_limit_price, tif: p.final_tif } : p;
    var q = num(t.quantity);
    field(form, "quantity").value = q ? String(t.quantity) : "";
    var type = t.order_type || "limit";
    field(form, "order_type").value = type;
    var price = t.limit_price || (type !== "market" && market ? String(num(market.mid).toFixed(1)) : "");
    field(form, "limit_price").value = price || "";
    field(form, "tif").value = t.order_type ? (t.tif || "") : "";
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
    var active = document.activeElement;
    var hadFocus = !!active && card.contains(active) && !!active.closest(".inline-form");
    $all(".inline-form", card).forEach(function (f) { f.hidden = true; });
    $all(".reject-btn, .override-btn", card).forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
    // the focused field just disappeared: the card takes the focus back, so A / R / O act on it at once
    if (hadFocus) card.focus({ preventScroll: true });
  }

  /** The expiry countdown and its shrinking bar; an expired card is marked and cannot be approved (the desk
   *  expires it and a fresh proposal replaces it). Approve is enabled only when nothing blocks it. */
  function tick(card) {
    var exp = num(card.getAttribute("data-expires-at"));
    var created = num(card.getAttribute("data-created-at"));
    var node = slot(card, "expiry"), bar = slot(card, "expiry-fill");
    var left = exp === null ? Infinity : exp - D.serverNow();
    var expired = left <= 0;
    card.classList.toggle("is-expired", expired);
    if (exp === null) setText(node, "");
    else {
      setText(node, expired ? "expired \u2014 a fresh proposal follows" : "expires in " + D.fmtDuration(left));
      node.classList.toggle("is-urgent", !expired && left <= 5);
      var ttl = created !== null ? Math.max(1, exp - created) : 30;
      bar.style.width = Math.max(0, Math.min(100, left / ttl * 100)) + "%";
    }
    var why = expired ? "Expired: a fresh proposal follows" : (card.getAttribute("data-approve-block") || "");
    var approve = card.querySelector(".approve-btn");
    if (!approve) return;
    approve.disabled = !!why;
    approve.title = why || "Approve (A)";
    var wrap = slot(card, "approve-wrap");
    if (wrap) wrap.title = why; // a disabled button shows no tooltip of its own in some browsers
    var note = slot(card, "approve-note");
    if (note && note.textContent !== why) {
      setText(note, why);
      note.hidden = !why;
      note.id = note.id || "approve-note-" + card.getAttribute("data-proposal-id");
      if (why) approve.setAttribute("aria-describedby", note.id); else approve.removeAttribute("aria-describedby");
    }
  }

  /** The approve button's blocking reason ("" when it may be pressed). */
  function approveBlocked(card) {
    var approve = card.querySelector(".approve-btn");
    return approve && approve.disabled ? (approve.title || "Approve is not available") : "";
  }

  D.ProposalCard = {
    create: create, fill: fill, field: field, showError: showError, prefillOverride: prefillOverride,
    syncLimitField: syncLimitField, toggleForm: toggleForm, closeForms: closeForms, tick: tick,
    rateLabel: rateLabel, approveBlock: approveBlock, approveBlocked: approveBlocked, renderChecks: renderChecks,
  };
})(window.ExecDesk);
