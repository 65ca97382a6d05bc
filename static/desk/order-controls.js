/* ExecDesk.OrderControls: the order's start / pause / resume / cancel forms and the cancel confirmation.
   onStatus(status) runs after the desk accepted a control, with the order's new status. */
(function (D) {
  "use strict";

  var $ = D.$, $all = D.$all, WORKING = D.WORKING, TERMINAL = D.TERMINAL;

  function OrderControls(S, onStatus) {
    var controlError = $("#control-error");

    function showControlError(text) {
      if (!controlError) { D.toast(text, "error"); return; }
      controlError.textContent = text;
      controlError.hidden = !text;
    }

    function closeCancel() {
      var box = $("#cancel-confirm"), btn = $("#cancel-btn");
      if (box) box.hidden = true;
      if (btn) { btn.setAttribute("aria-expanded", "false"); }
      var reason = $("#cancel-reason");
      if (reason) reason.value = "";
    }

    function submitControl(form) {
      var action = form.getAttribute("data-control");
      var buttons = $all("button", form);
      buttons.forEach(function (b) { b.disabled = true; });
      showControlError("");
      var fields = {};
      new FormData(form).forEach(function (v, k) { if (k !== "csrfmiddlewaretoken") fields[k] = v; });
      D.postAction(form.action, fields).then(function (data) {
        if (action === "cancel") closeCancel();
        D.toast("Order #" + S.orderId + " is now " + data.status + ".", "success");
        onStatus(data.status);
      }, function (err) {
        showControlError(err.error);
      }).then(function () {
        buttons.forEach(function (b) { b.disabled = false; });
      });
    }

    function bindCancelConfirm() {
      var cancelBtn = $("#cancel-btn"), confirmBox = $("#cancel-confirm");
      if (!cancelBtn || !confirmBox) return;
      cancelBtn.addEventListener("click", function () {
        var open = confirmBox.hidden;
        confirmBox.hidden = !open;
        cancelBtn.setAttribute("aria-expanded", String(open));
        if (open) $("#cancel-reason").focus();
      });
      $("#cancel-keep-btn").addEventListener("click", closeCancel);
    }

    function bind() {
      $all("form.control-form").forEach(function (form) {
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          submitControl(form);
        });
      });
      bindCancelConfirm();
    }

    /** Show only the controls that make sense in this status. */
    function render(status) {
      var visible = {
        start: status === "INITIALIZED",
        pause: WORKING.indexOf(status) !== -1,
        resume: status === "PAUSED" || status === "HALTED",
        cancel: TERMINAL.indexOf(status) === -1,
      };
      $all("form.control-form").forEach(function (form) {
        form.hidden = !visible[form.getAttribute("data-control")];
      });
      if (!visible.cancel) closeCancel();
    }

    return { bind: bind, render: render, closeCancel: closeCancel };
  }

  D.OrderControls = OrderControls;
})(window.ExecDesk);
