/* ExecDesk.OrderChanges: the order's two change forms, "Approval mode…" (#mode-form: manual /
   auto_within_limits + cap / autopilot, reason required) and "Amend…" (#amend-form: quantity down only,
   deadline in UTC, reason required). Each posts to its endpoint and gets the order's progress back; errors
   (with the failing checks, when the desk gives them) are shown in the form.
   onProgress(progress) runs with the desk's answer. */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, num = D.num, TERMINAL = D.TERMINAL;

  function OrderChanges(S, onProgress) {

    function slot(form, name) { return form.querySelector('[data-slot="' + name + '"]'); }

    function showError(form, err) {
      var box = slot(form, "error");
      D.setText(box, err ? err.error : "");
      box.hidden = !err;
      var list = slot(form, "error-checks");
      D.ProposalCard.renderChecks(list, err && err.checks ? err.checks : [], true);
      list.hidden = !list.childElementCount;
    }

    function toggles() { return $all(".control-toggle"); }

    function close(form) {
      form.hidden = true;
      showError(form, null);
      var btn = $('.control-toggle[data-panel="' + form.id + '"]');
      if (btn) btn.setAttribute("aria-expanded", "false");
    }

    function closeAll() { $all("form.control-panel").forEach(close); }

    function open(form) {
      closeAll();
      form.hidden = false;
      var btn = $('.control-toggle[data-panel="' + form.id + '"]');
      if (btn) btn.setAttribute("aria-expanded", "true");
      if (form.id === "amend-form") prefillAmend(form);
      if (form.id === "mode-form") syncCap(form);
      var first = form.querySelector("select, input:not([type=hidden])");
      if (first) first.focus();
    }

    /** The cap matters only for "auto within limits". */
    function syncCap(form) {
      var auto = form.elements.approval_mode.value === "auto_within_limits";
      var cap = $("#mode-cap-field");
      if (cap) cap.hidden = !auto;
    }

    /** The deadline field shows the order's deadline (UTC) when it has one. */
    function prefillAmend(form) {
      var p = S.progress || {};
      var dl = num(p.deadline);
      var started = num(p.started_at) !== null;
      form.elements.deadline.disabled = !started;
      D.setText($("#amend-deadline-help"), started ? "UTC, not your local time \u00b7 unchanged if left as is"
        : "set when the order starts (start + horizon)");
      if (dl !== null && !form.elements.deadline.value) {
        form.elements.deadline.value = new Date(dl * 1000).toISOString().slice(0, 19);
      }
      form.elements.quantity.placeholder = p.quantity ? String(p.quantity) : form.elements.quantity.placeholder;
    }

    /** 'YYYY-MM-DDTHH:MM' (a whole minute, as the input gives it) -> 'YYYY-MM-DDTHH:MM:SS'. */
    function isoSeconds(v) {
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v) ? v + ":00" : v;
    }

    function modeFields(form) {
      var mode = form.elements.approval_mode.value;
      var reason = form.elements.reason.value.trim();
      var cap = form.elements.auto_cap_notional.value.trim();
      if (mode === "auto_within_limits" && !(num(cap) > 0)) return { problem: "Auto within limits needs a cap above 0 USDT." };
      if (!reason) return { problem: "A reason is required: the change is audited." };
      var fields = { approval_mode: mode, reason: reason };
      if (mode === "auto_within_limits") fields.auto_cap_notional = cap;
      return { fields: fields };
    }

    function amendFields(form) {
      var p = S.progress || {};
      var qty = form.elements.quantity.value.trim();
      var deadline = isoSeconds(form.elements.deadline.value.trim());
      var reason = form.elements.reason.value.trim();
      var current = num(p.deadline) === null ? "" : new Date(num(p.deadline) * 1000).toISOString().slice(0, 19);
      if (deadline === current) deadline = ""; // unchanged
      if (!qty && !deadline) return { problem: "Enter a new quantity or a new deadline." };
      if (qty) {
        var q = num(qty);
        if (q === null || q <= 0) return { problem: "The quantity must be a positive number." };
        if (num(p.quantity) !== null && q >= num(p.quantity)) return { problem: "An amend can only reduce the quantity (now " + D.fmtQty(p.quantity) + ")." };
        if (num(p.executed) !== null && q <= num(p.executed)) return { problem: "The quantity must stay above what is executed (" + D.fmtQty(p.executed) + ")." };
      }
      if (!reason) return { problem: "A reason is required: the change is audited." };
      var fields = { reason: reason };
      if (qty) fields.quantity = qty;
      if (deadline) fields.deadline = deadline;
      return { fields: fields };
    }

    function submit(form) {
      var parsed = form.id === "mode-form" ? modeFields(form) : amendFields(form);
      if (parsed.problem) { showError(form, { error: parsed.problem }); return; }
      var buttons = $all("button", form);
      buttons.forEach(function (b) { b.disabled = true; });
      showError(form, null);
      D.postAction(form.action, parsed.fields).then(function (progress) {
        form.elements.reason.value = "";
        if (form.id === "amend-form") { form.elements.quantity.value = ""; form.elements.deadline.value = ""; }
        close(form);
        D.toast(form.id === "mode-form" ? "Order #" + S.orderId + ": approval mode is now " + progress.approval_mode + "."
          : "Order #" + S.orderId + " amended.", "success");
        onProgress(progress);
      }, function (err) {
        showError(form, err);
      }).then(function () {
        buttons.forEach(function (b) { b.disabled = false; });
      });
    }

    function bind() {
      toggles().forEach(function (btn) {
        var form = document.getElementById(btn.getAttribute("data-panel"));
        if (!form) return;
        btn.addEventListener("click", function () { if (form.hidden) open(form); else close(form); });
        form.addEventListener("submit", function (e) { e.preventDefault(); submit(form); });
        $all(".panel-close", form).forEach(function (b) { b.addEventListener("click", function () { close(form); btn.focus(); }); });
        if (form.elements.approval_mode) form.elements.approval_mode.addEventListener("change", function () { syncCap(form); });
      });
    }

    /** A finished order cannot change: the toggles go, and any open form closes. */
    function render(status) {
      var done = TERMINAL.indexOf(status) !== -1;
      toggles().forEach(function (btn) { btn.hidden = done; });
      if (done) closeAll();
    }

    return { bind: bind, render: render, closeAll: closeAll };
  }

  D.OrderChanges = OrderChanges;
})(window.ExecDesk);
