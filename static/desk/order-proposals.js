/* ExecDesk.OrderProposals: the order's proposals: the pending cards, approve / reject / override (buttons
   and the A / R / O keys) and the decided ones' history.
   hooks: url(id, action) the decision endpoint; onChange() after a live change (the advisor panel);
          onEscape() when Escape is pressed (the cancel confirmation). */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, num = D.num, Card = D.ProposalCard;

  function OrderProposals(S, hooks) {
    var template = $("#proposal-card-tpl");
    var pendingArea = $("#pending-proposal");
    var pendingEmpty = $("#pending-empty");
    var baseTitle = document.title;

    /** A proposal arrived (push, state, or our own decision's answer). initial: part of a whole state. */
    function upsert(p, initial) {
      var prev = S.proposals.get(p.id);
      // a decided proposal never goes back to pending (a late push must not resurrect it)
      if (prev && prev.status !== "pending" && p.status === "pending") return;
      S.proposals.set(p.id, p);
      if (p.status === "pending") showPending(p, !prev && !initial);
      else removePending(p.id);
      if (!prev && num(p.mid) !== null && num(p.created_at) !== null) D.Charts.midPoint(p.created_at, p.mid);
      if (!initial) { renderHistory(); hooks.onChange(); }
    }

    /** After a resync: drop the cards of proposals the desk no longer lists (decided while we were away). */
    function forgetMissing(proposals) {
      var inState = new Set(proposals.map(function (p) { return p.id; }));
      S.cards.forEach(function (card, id) { if (!inState.has(id)) removePending(id); });
    }

    function showPending(p, isNew) {
      var card = S.cards.get(p.id);
      if (!card) {
        card = Card.create(template, p.id);
        bindActions(card);
        S.cards.set(p.id, card);
        pendingArea.appendChild(card);
        Card.prefillOverride(card, p, S.market);
      }
      Card.fill(card, p, S.base);
      pendingEmpty.hidden = S.cards.size > 0;
      if (isNew) {
        D.flash(card, "flash");
        D.toast("New proposal #" + p.seq + ": " + p.action + (num(p.quantity) ? " " + D.fmtQty(p.quantity) + " " + S.base : ""), "info");
      }
      updateTitle();
    }

    function removePending(id) {
      var card = S.cards.get(id);
      if (card) { card.remove(); S.cards.delete(id); }
      pendingEmpty.hidden = S.cards.size > 0;
      updateTitle();
    }

    function updateTitle() {
      document.title = (S.cards.size ? "\u25cf PROPOSAL \u00b7 " : "") + baseTitle;
    }

    function tickCards() { S.cards.forEach(Card.tick); }

    function renderHistory() { D.ProposalHistory.render($("#proposal-history tbody"), S.proposals); }

    /* ───────── decisions ───────── */

    function bindActions(card) {
      if (!S.canTrade) {
        $all(".proposal-actions, .inline-form", card).forEach(function (n) { n.remove(); });
        return;
      }
      card.querySelector(".approve-btn").addEventListener("click", function () { decide(card, "approve"); });
      card.querySelector(".reject-btn").addEventListener("click", function () { Card.toggleForm(card, "reject"); });
      card.querySelector(".override-btn").addEventListener("click", function () { Card.toggleForm(card, "override"); });
      $all(".form-close", card).forEach(function (b) {
        b.addEventListener("click", function () { Card.closeForms(card); });
      });
      var ovForm = card.querySelector(".override-form");
      Card.field(ovForm, "order_type").addEventListener("change", function () { Card.syncLimitField(ovForm); });
      card.querySelector(".reject-form").addEventListener("submit", function (e) {
        e.preventDefault();
        submitReject(card, e.target);
      });
      ovForm.addEventListener("submit", function (e) {
        e.preventDefault();
        submitOverride(card, ovForm);
      });
    }

    function submitReject(card, form) {
      var reason = Card.field(form, "reason").value.trim();
      if (!reason) {
        Card.showError(card, { error: "A reason is required to reject a proposal." });
        Card.field(form, "reason").focus();
        return;
      }
      decide(card, "reject", { reason: reason });
    }

    function submitOverride(card, form) {
      var reason = Card.field(form, "ov_reason").value.trim();
      var qty = Card.field(form, "quantity").value.trim();
      var type = Card.field(form, "order_type").value;
      var price = Card.field(form, "limit_price").value.trim();
      var problem = !qty ? "Enter a quantity." : (type !== "market" && !price) ? "A " + type.replace("_", "-") + " order needs a limit price." :
        !reason ? "A reason is required to override a proposal." : "";
      if (problem) { Card.showError(card, { error: problem }); return; }
      decide(card, "override", {
        quantity: qty, order_type: type, limit_price: type === "market" ? "" : price,
        tif: Card.field(form, "tif").value, reason: reason,
      });
    }

    function decide(card, action, fields) {
      var id = Number(card.getAttribute("data-proposal-id"));
      // one decision in flight per card: a second A press must not send a second request
      if (card.getAttribute("data-deciding") === "1") return;
      card.setAttribute("data-deciding", "1");
      var buttons = $all("button", card);
      buttons.forEach(function (b) { b.classList.add("is-busy"); });
      Card.showError(card, null);
      D.postAction(hooks.url(id, action), fields || {}).then(function (data) {
        var verb = { approve: "approved", reject: "rejected", override: "overridden" }[action];
        D.toast("Proposal #" + data.seq + " " + verb + ".", "success");
        upsert(data, false);
      }, function (err) {
        if (card.isConnected) Card.showError(card, err);
        else D.toast(err.error, "error");
      }).then(function () {
        card.removeAttribute("data-deciding");
        buttons.forEach(function (b) { b.classList.remove("is-busy"); });
      });
    }

    /* ───────── keyboard: A approve, R reject, O override, Escape close ───────── */

    function firstPendingCard() {
      var best = null;
      S.cards.forEach(function (card) { if (!best) best = card; });
      return best;
    }

    function onKey(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
      var card = firstPendingCard();
      if (e.key === "Escape") {
        if (card) Card.closeForms(card);
        hooks.onEscape();
        return;
      }
      if (typing || !card) return;
      var key = e.key.toLowerCase();
      if (key === "a") {
        e.preventDefault();
        var approve = card.querySelector(".approve-btn");
        if (approve && !approve.disabled) decide(card, "approve");
        else Card.showError(card, { error: "This proposal fails a hard risk check: override it or reject it." });
      } else if (key === "r") {
        e.preventDefault();
        Card.toggleForm(card, "reject");
      } else if (key === "o") {
        e.preventDefault();
        Card.toggleForm(card, "override");
      }
    }

    function bindKeys() {
      if (S.canTrade) document.addEventListener("keydown", onKey);
    }

    return {
      upsert: upsert, forgetMissing: forgetMissing, renderHistory: renderHistory,
      tickCards: tickCards, bindKeys: bindKeys,
    };
  }

  D.OrderProposals = OrderProposals;
})(window.ExecDesk);
