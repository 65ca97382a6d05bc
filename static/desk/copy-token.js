/* /tokens/: the Copy button beside a new API token (shown once). Copies the button's data-copy to the
   clipboard; without the Clipboard API (an http:// address other than localhost) it selects the token
   and copies the selection. The status beside the button says what happened. */
(function () {
  "use strict";

  function say(text) {
    var status = document.getElementById("copy-token-status");
    if (status) status.textContent = text;
  }

  function copyBySelection() {
    var code = document.getElementById("new-token-value");
    if (!code) return false;
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    return copied;
  }

  function init() {
    var button = document.getElementById("copy-token");
    if (!button) return;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy") || "";
      var fallback = function () {
        say(copyBySelection() ? "Copied." : "Copy failed: the token is selected, press Ctrl+C (⌘C).");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { say("Copied."); }, fallback);
      } else {
        fallback();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
