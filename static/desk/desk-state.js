/* ExecDesk.DeskState: the desk-wide trading state on every page: the top bar's badge, the red
   "DESK HALTED by X at T: reason" banner, and for supervisors the HALT / Resume desk dialog
   (reason required, POST to the trading-state endpoint). Kept live by the "desk" push: the page's own
   websocket forwards it here; a page without one opens the desk's socket just for it. */
(function (D) {
  "use strict";

  var $ = D.$, setText = D.setText;

  /** '2025-01-02T03:04:05.678+00:00' -> '2025-01-02 03:04:05 UTC'. */
  function fmtWhen(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function bannerText(d) {
    return "DESK " + d.trading_state + (d.changed_by ? " by " + d.changed_by : "") +
      (d.changed_at ? " at " + fmtWhen(d.changed_at) : "") + (d.reason ? ": " + d.reason : "");
  }

  var last = null;

  /** d: the "desk" push's data, {trading_state, reason, changed_by, changed_at}. */
  function render(d) {
    if (!d || !d.trading_state) return;
    var changed = last !== null && last !== d.trading_state;
    last = d.trading_state;
    D.$all("#trading-state, [data-desk-state-badge]").forEach(function (badge) {
      badge.textContent = d.trading_state;
      badge.className = "trading-state trading-state-" + d.trading_state;
      badge.title = "Desk trading state: " + (d.reason || "") + (d.changed_by ? " (" + d.changed_by + ")" : "");
    });
    var banner = $("#desk-banner");
    if (banner) {
      banner.hidden = d.trading_state === "ACTIVE";
      banner.className = "desk-banner desk-banner-" + d.trading_state;
      setText($("#desk-banner-text"), bannerText(d));
      var resume = $("#desk-resume-btn");
      if (resume) resume.hidden = d.trading_state === "ACTIVE";
    }
    var halt = $("#halt-btn");
    if (halt) halt.hidden = d.trading_state === "HALTED";
    document.body.classList.toggle("desk-halted", d.trading_state === "HALTED");
    if (changed && D.toast) {
      D.toast("Desk is " + d.trading_state + (d.reason ? ": " + d.reason : ""), d.trading_state === "ACTIVE" ? "success" : "error");
    }
  }

  /* ───────── the HALT / Resume dialog (supervisors) ───────── */

  var COPY = {
    HALTED: { title: "Halt the desk", submit: "HALT DESK", cls: "btn btn-halt",
              help: "Every order stops: open child orders are cancelled on the venue, pending proposals withdrawn, and no proposal is made and no order created or started until the desk resumes." },
    ACTIVE: { title: "Resume the desk", submit: "Resume desk", cls: "btn btn-primary",
              help: "Trading resumes: working orders propose again at once, their schedules continuing from where they stopped (deadlines move by the halt)." },
  };

  function bindDialog() {
    var dialog = $("#desk-state-dialog"), form = $("#desk-state-form");
    if (!dialog || !form) return;
    var target = $("#desk-state-target"), reason = $("#desk-state-reason"), error = $("#desk-state-error");
    var submit = $("#desk-state-submit");
    var opener = null;

    function showError(text) { setText(error, text); error.hidden = !text; }

    function open(state, from) {
      var copy = COPY[state] || COPY.HALTED;
      opener = from;
      target.value = state;
      setText($("#desk-dialog-title"), copy.title);
      setText($("#desk-dialog-help"), copy.help);
      setText(submit, copy.submit);
      submit.className = copy.cls;
      reason.value = "";
      showError("");
      if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
      reason.focus();
    }

    function close() {
      if (typeof dialog.close === "function") dialog.close(); else dialog.removeAttribute("open");
      if (opener && !opener.hidden) opener.focus();
    }

    [$("#halt-btn"), $("#desk-resume-btn")].forEach(function (btn) {
      if (btn) btn.addEventListener("click", function () { open(btn.getAttribute("data-target-state"), btn); });
    });
    $("#desk-dialog-cancel").addEventListener("click", close);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var why = reason.value.trim();
      if (!why) { showError("A reason is required: it is audited with the change."); reason.focus(); return; }
      submit.disabled = true;
      D.postAction(form.action, { state: target.value, reason: why }).then(function (data) {
        render(data);
        close();
      }, function (err) {
        showError(err.error);
      }).then(function () { submit.disabled = false; });
    });
  }

  /** Pages without a websocket of their own still learn about a halt: open the desk's socket. */
  function ensureSocket() {
    if (D.socketCount || !D.DeskSocket || !document.body.getAttribute("data-user")) return;
    D.DeskSocket("/ws/desk/", { event: function () { /* the "desk" push is handled by the socket itself */ } });
  }

  function boot() {
    bindDialog();
    var badge = $("#trading-state");
    if (badge) last = badge.textContent.trim();
    setTimeout(ensureSocket, 0); // after the page's own script has opened its socket
  }

  D.DeskState = { render: render };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window.ExecDesk);
