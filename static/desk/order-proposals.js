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
    var overridePrefilled = new Set();

    /** A proposal arrived (push, state, or our own decision's answer). initial: part of a whole state. */
    function upsert(p, initial) {
      var prev = S.proposals.get(p.id);
      // a decided proposal never goes back to pending (a late push must not resurrect it)
      if (prev && prev.status !== "pending" && p.status === "pending") return;
      S.proposals.set(p.id, p);
      // a supervisor is also cued when an override starts waiting for them
      var waitsForMe = !!prev && p.awaiting_second && !prev.awaiting_second && S.me.role === "supervisor" &&
        p.overridden_by !== S.me.name;
      if (p.status === "pending") showPending(p, !initial && (!prev || waitsForMe));
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
      var fresh = !card;
      if (fresh) {
        card = Card.create(template, p.id);
        bindActions(card);
        S.cards.set(p.id, card);
        pendingArea.appendChild(card);
      }
      // a new card, or an override just written: the override form starts from the terms now on the table
      if (fresh || (p.awaiting_second && !overridePrefilled.has(p.id))) {
        Card.prefillOverride(card, p, S.market);
        if (p.awaiting_second) overridePrefilled.add(p.id);
      }
      Card.fill(card, p, S.base, S.me);
      pendingEmpty.hidden = S.cards.size > 0;
      markKeyTarget();
      if (isNew) cueSoon(p.id);
      updateTitle();
    }

    /** Cue a new proposal once it is clear a human must decide it: in the automatic modes the desk approves
        most proposals within milliseconds of making them, and those must not beep. */
    var CUE_DELAY_MS = 600;
    function cueSoon(id) {
      setTimeout(function () {
        var card = S.cards.get(id), p = S.proposals.get(id);
        if (!card || !p || p.status !== "pending") return;
        D.flash(card, "flash");
        D.ProposalCue.announce(p, S.base);
        if (!typingNow()) card.focus({ preventScroll: true }); // A / R / O now act on it
      }, CUE_DELAY_MS);
    }

    function removePending(id) {
      var card = S.cards.get(id);
      if (card) {
        var hadFocus = card.contains(document.activeElement);
        card.remove();
        S.cards.delete(id);
        var next = newestCard();
        if (hadFocus && next) next.focus({ preventScroll: true });
      }
      pendingEmpty.hidden = S.cards.size > 0;
      markKeyTarget();
      updateTitle();
    }

    function updateTitle() {
      var card = newestCard();
      D.ProposalCue.title(card ? S.proposals.get(Number(card.getAttribute("data-proposal-id"))) : null, S.base);
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
        if (data.awaiting_second) verb = "overridden: waiting for a supervisor's approval";
        D.toast("Proposal #" + data.seq + " " + verb + ".", "success");
        if (card.isConnected) Card.closeForms(card);
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

    function newestCard() {
      var best = null, bestSeq = -1;
      S.cards.forEach(function (card, id) {
        var p = S.proposals.get(id);
        var seq = p ? p.seq : 0;
        if (seq > bestSeq) { best = card; bestSeq = seq; }
      });
      return best;
    }

    /** The card the keys act on: the one holding the focus, else the newest pending one. */
    function keyTarget() {
      var active = document.activeElement;
      var focused = active && active.closest ? active.closest(".proposal-card[data-proposal-id]") : null;
      return focused && S.cards.has(Number(focused.getAttribute("data-proposal-id"))) ? focused : newestCard();
    }

    /** A ring on the card the keys act on, so the trader knows which one A approves. */
    function markKeyTarget() {
      var target = S.canTrade ? keyTarget() : null;
      S.cards.forEach(function (card) { card.classList.toggle("is-key-target", card === target); });
    }

    function typingNow() {
      var t = document.activeElement;
      return !!t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    }

    function onKey(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      var t = e.target;
      var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
      var card = keyTarget();
      if (e.key === "Escape") {
        if (card) Card.closeForms(card);
        hooks.onEscape();
        return;
      }
      if (typing || !card || $("dialog[open]")) return;
      var key = e.key.toLowerCase();
      if (key === "a") {
        e.preventDefault();
        var blocked = Card.approveBlocked(card);
        if (!blocked) decide(card, "approve");
        else Card.showError(card, { error: blocked + "." });
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
      document.addEventListener("focusin", markKeyTarget);
      D.ProposalCue.bind();
    }

    return {
      upsert: upsert, forgetMissing: forgetMissing, renderHistory: renderHistory,
      tickCards: tickCards, bindKeys: bindKeys,
    };
  }

  D.OrderProposals = OrderProposals;
})(window.ExecDesk);
