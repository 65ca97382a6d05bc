/* ExecDesk.ProposalDecide: deciding pending proposals, shared by the order page's cards and the approval
   queue's rows (both carry templates/desk/_proposal_decide.html, filled by order-card.js): the Approve /
   Reject / Override buttons and forms, one request per decision to the desk's endpoint, the refusal shown
   where the decision was asked, and the A / R / O / Escape keys acting on one target.

   Nothing is approved that is not on screen: a key press on a target whose terms or buttons are outside
   the viewport scrolls it into view and asks for the key again.
   hooks: url(id, action)         the decision endpoint
          decided(data, node)     after the desk answered with the decided (or awaiting) proposal
          target()                the node the keys act on now, or null
          escape()                Escape was pressed (after the target's forms closed) */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, Card = D.ProposalCard;
  var VERB = { approve: "approved", reject: "rejected", override: "overridden" };

  /** The viewport's top edge below what stays on top of the page (the environment banner, the top bar, the
   *  desk's HALT banner): a card scrolled under them is not seen. */
  function topInset() {
    var inset = 0;
    $all(".env-banner, .topbar, #desk-banner").forEach(function (bar) {
      if (bar.hidden) return;
      var r = bar.getBoundingClientRect();
      if (r.height && r.top <= inset + 1) inset = Math.max(inset, r.bottom);
    });
    return inset;
  }

  function onScreen(node) {
    if (!node || node.hidden) return true;
    var r = node.getBoundingClientRect();
    if (!r.width && !r.height) return true; // not rendered (a hidden part): nothing to see
    return r.top >= topInset() - 1 && r.bottom <= (window.innerHeight || document.documentElement.clientHeight) + 1;
  }

  /** Whether what a key would decide is on screen: the terms (an override's too) and the buttons. */
  function inView(node) {
    if (!node || !node.isConnected) return false;
    var terms = node.querySelector("[data-terms]") || node;
    return onScreen(terms) && onScreen(node.querySelector('[data-slot="override"]')) &&
      onScreen(node.querySelector(".proposal-actions"));
  }

  /** Bring a target into view (its top first: the terms come before the buttons), clear of the bars on top. */
  function reveal(node) {
    node.scrollIntoView({ block: "nearest" });
    if (!inView(node)) node.scrollIntoView({ block: "start" });
    var under = topInset() - node.getBoundingClientRect().top;
    if (under > 0) window.scrollBy(0, -under - 8);
  }

  /** Focus `node` only where the trader can see it: focus never lands on something off-screen. */
  function focusIfSeen(node) {
    if (node && inView(node)) { node.focus({ preventScroll: true }); return true; }
    return false;
  }

  function typingIn(t) {
    return !!t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function typingNow() { return typingIn(document.activeElement); }

  function ProposalDecide(hooks) {

    function idOf(node) { return Number(node.getAttribute("data-proposal-id")); }

    /** Wire one card or row's buttons and forms. */
    function bind(node) {
      node.querySelector(".approve-btn").addEventListener("click", function () { decide(node, "approve"); });
      node.querySelector(".reject-btn").addEventListener("click", function () { Card.toggleForm(node, "reject"); });
      node.querySelector(".override-btn").addEventListener("click", function () { Card.toggleForm(node, "override"); });
      $all(".form-close", node).forEach(function (b) {
        b.addEventListener("click", function () { Card.closeForms(node); });
      });
      var ovForm = node.querySelector(".override-form");
      Card.field(ovForm, "order_type").addEventListener("change", function () { Card.syncLimitField(ovForm); });
      node.querySelector(".reject-form").addEventListener("submit", function (e) {
        e.preventDefault();
        submitReject(node, e.target);
      });
      ovForm.addEventListener("submit", function (e) {
        e.preventDefault();
        submitOverride(node, ovForm);
      });
    }

    function submitReject(node, form) {
      var reason = Card.field(form, "reason").value.trim();
      if (!reason) {
        Card.showError(node, { error: "A reason is required to reject a proposal." });
        Card.field(form, "reason").focus();
        return;
      }
      decide(node, "reject", { reason: reason });
    }

    function submitOverride(node, form) {
      var reason = Card.field(form, "ov_reason").value.trim();
      var qty = Card.field(form, "quantity").value.trim();
      var type = Card.field(form, "order_type").value;
      var price = Card.field(form, "limit_price").value.trim();
      var problem = !qty ? "Enter a quantity." : (type !== "market" && !price) ? "A " + type.replace("_", "-") + " order needs a limit price." :
        !reason ? "A reason is required to override a proposal." : "";
      if (problem) { Card.showError(node, { error: problem }); return; }
      decide(node, "override", {
        quantity: qty, order_type: type, limit_price: type === "market" ? "" : price,
        tif: Card.field(form, "tif").value, reason: reason,
      });
    }

    /** One decision through the desk's endpoint. Resolves true when the desk took it, false when it refused
     *  (the refusal is on the node: risk re-check, four-eyes, not pending) or one was already in flight. */
    function decide(node, action, fields) {
      var id = idOf(node);
      // one decision in flight per proposal: a second A press must not send a second request
      if (node.getAttribute("data-deciding") === "1") return Promise.resolve(false);
      node.setAttribute("data-deciding", "1");
      var buttons = $all("button", node);
      buttons.forEach(function (b) { b.classList.add("is-busy"); });
      Card.showError(node, null);
      return D.postAction(hooks.url(id, action), fields || {}).then(function (data) {
        var verb = data.awaiting_second ? "overridden: waiting for a supervisor's approval" : VERB[action];
        D.toast("Proposal #" + data.seq + (data.order_id ? " of order #" + data.order_id : "") + " " + verb + ".", "success");
        if (node.isConnected) Card.closeForms(node);
        hooks.decided(data, node);
        return true;
      }, function (err) {
        if (node.isConnected) Card.showError(node, err);
        else D.toast(err.error, "error");
        return false;
      }).then(function (taken) {
        node.removeAttribute("data-deciding");
        buttons.forEach(function (b) { b.classList.remove("is-busy"); });
        return taken;
      });
    }

    /** A / R / O on the target; an off-screen target is revealed first and the key asked again. */
    function onKey(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      var node = hooks.target();
      if (e.key === "Escape") {
        if (node) Card.closeForms(node);
        hooks.escape();
        return;
      }
      if (typingIn(e.target) || !node || $("dialog[open]")) return;
      var key = e.key.toLowerCase();
      if (key !== "a" && key !== "r" && key !== "o") return;
      e.preventDefault();
      if (!inView(node)) {
        reveal(node);
        node.focus({ preventScroll: true });
        Card.showError(node, { error: "Brought into view: read the terms, then press " + key.toUpperCase() + " again." });
        return;
      }
      if (key === "a") {
        var blocked = Card.approveBlocked(node);
        if (!blocked) decide(node, "approve");
        else Card.showError(node, { error: blocked + "." });
      } else {
        Card.toggleForm(node, key === "r" ? "reject" : "override");
      }
    }

    function bindKeys() { document.addEventListener("keydown", onKey); }

    return { bind: bind, decide: decide, bindKeys: bindKeys };
  }

  ProposalDecide.inView = inView;
  ProposalDecide.focusIfSeen = focusIfSeen;
  ProposalDecide.typingNow = typingNow;
  /** How long a new proposal must stay pending before it is cued: in the automatic modes the desk approves
   *  most proposals within milliseconds of making them, and those must not beep. */
  ProposalDecide.CUE_DELAY_MS = 600;
  D.ProposalDecide = ProposalDecide;
})(window.ExecDesk);
