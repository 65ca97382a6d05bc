/* ExecDesk.HomeFilters: the overview's filter form (status, symbol, side, trader, search). It is a plain
   GET form that works without script; with script a change applies at once: the address bar keeps the
   query (a reload or a shared link shows the same view) and the table is fetched again, filtered by the
   server, as live updates do. */
(function (D) {
  "use strict";

  var $ = D.$;

  /** onChange() runs after the query in the address bar changed. */
  function HomeFilters(form, onChange) {
    var clear = $("#filters-clear");
    var typing = null;

    function query() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (v, k) {
        v = String(v).trim();
        if (v) params.append(k, v);
      });
      return params.toString();
    }

    function apply() {
      var q = query();
      if (("?" + q) === location.search || (!q && !location.search)) return;
      history.replaceState(null, "", location.pathname + (q ? "?" + q : ""));
      if (clear) clear.hidden = !q;
      onChange();
    }

    form.addEventListener("change", function (e) {
      if (e.target.tagName === "SELECT") apply();
    });
    form.addEventListener("input", function (e) {
      if (e.target.type !== "search") return;
      clearTimeout(typing);
      typing = setTimeout(apply, 300);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(typing);
      apply();
    });
    if (clear) {
      clear.addEventListener("click", function (e) {
        e.preventDefault();
        D.$all("select, input[type=search]", form).forEach(function (f) { f.value = ""; });
        apply();
      });
    }

    /** Whether a row's status change may move it in or out of the filtered view. */
    function filtersStatus() { return !!(form.elements.status && form.elements.status.value); }

    return { filtersStatus: filtersStatus };
  }

  D.HomeFilters = HomeFilters;
})(window.ExecDesk);
