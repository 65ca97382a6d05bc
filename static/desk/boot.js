/* Loaded last: start the page's script, picked by <body data-page>. */
(function (D) {
  "use strict";

  function boot() {
    var page = document.body.getAttribute("data-page");
    if (page === "home" && D.initHome) D.initHome();
    else if (page === "order" && D.initOrder) D.initOrder();
    else if (page === "queue" && D.initQueue) D.initQueue();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window.ExecDesk);
