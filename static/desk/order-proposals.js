/* ExecDesk.OrderProposals: the order's proposals: the pending cards, approve / reject / override (buttons
   and the A / R / O keys, through proposal-decide.js as the approval queue does) and the decided ones' history.
   hooks: url(id, action) the decision endpoint; onChange() after a live change (the advisor panel);
          onEscape() when Escape is pressed (the cancel confirmation). */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, num = D.num, Card = D.ProposalCard, Decide = D.ProposalDecide;

  function OrderProposals(S, hooks) {
    var template = $("#proposal-card-tpl");
    var pendingArea = $("#pending-proposal");
    var pendingEmpty = $("#pending-empty");
    var overridePrefilled = new Set();
    var shownAt = new Map(); // proposal id -> when its card was made (ms)
    var decisions = Decide({
      url: hooks.url,
      decided: function (data) { upsert(data, false); },
      target: function () { return S.canTrade ? keyTarget() : null; },
      escape: hooks.onEscape,
    });

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

    /** After a resync: drop the cards of proposals the desk no longer lists (decided while we were away).
        A card pushed after the state was asked for (asked, ms) is newer than that state, which cannot know it:
        under load the push of a proposal made just after Start often beats the state's answer. */
    function forgetMissing(proposals, asked) {
      var inState = new Set(proposals.map(function (p) { return p.id; }));
      S.cards.forEach(function (card, id) {
        if (!inState.has(id) && !(asked && shownAt.get(id) >= asked)) removePending(id);
      });
    }

    function showPending(p, isNew) {
      var card = S.cards.get(p.id);
      var fresh = !card;
      if (fresh) {
        card = Card.create(template, p.id);
        bindActions(card);
        S.cards.set(p.id, card);
        shownAt.set(p.id, Date.now());
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

    /** Cue a new proposal once it is clear a human must decide it (Decide.CUE_DELAY_MS); the focus moves to
        it only where the trader can see it. */
    function cueSoon(id) {
      setTimeout(function () {
        var card = S.cards.get(id), p = S.proposals.get(id);
        if (!card || !p || p.status !== "pending") return;
        D.flash(card, "flash");
        D.ProposalCue.announce(p, S.base);
        if (!Decide.typingNow()) Decide.focusIfSeen(card); // A / R / O now act on it
      }, Decide.CUE_DELAY_MS);
    }

    function removePending(id) {
      var card = S.cards.get(id);
      if (card) {
        var hadFocus = card.contains(document.activeElement);
        card.remove();
        S.cards.delete(id);
        shownAt.delete(id);
        var next = newestCard();
        if (hadFocus && next) Decide.focusIfSeen(next);
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

    /* ───────── decisions (proposal-decide.js) ───────── */

    function bindActions(card) {
      if (!S.canTrade) {
        $all(".proposal-actions, .inline-form", card).forEach(function (n) { n.remove(); });
        return;
      }
      decisions.bind(card);
    }

    /* ───────── the card the keys act on ───────── */

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

    function bindKeys() {
      if (S.canTrade) decisions.bindKeys();
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
