/* ExecDesk.DeskSocket: the page's one websocket, with reconnect and the logged-out banner. */
(function (D) {
  "use strict";

  var $ = D.$, el = D.el;

  /** One websocket with reconnect (exponential back-off with jitter) and a ping heartbeat.
      handlers.open(reconnected) runs on every open, handlers.event(msg) on every message but pongs. */
  function DeskSocket(path, handlers) {
    var ws = null, attempt = 0, retryTimer = null, pingTimer = null, lastMessage = 0, everOpen = false;
    var statusNode = $("#ws-status");
    D.socketCount = (D.socketCount || 0) + 1;

    function setStatus(live, text) {
      if (!statusNode) return;
      statusNode.textContent = live ? "live" : (text || "reconnecting\u2026");
      statusNode.classList.toggle("ws-live", live);
      statusNode.classList.toggle("ws-down", !live);
    }

    function url() {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    }

    function schedule() {
      clearInterval(pingTimer);
      attempt += 1;
      var delay = Math.min(15000, 500 * Math.pow(2, Math.min(attempt, 5))) * (0.75 + Math.random() * 0.5);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, delay);
    }

    function startHeartbeat() {
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (!ws || ws.readyState !== WebSocket.OPEN) return;
        if (Date.now() - lastMessage > 45000) { ws.close(); return; } // silent socket: start over
        ws.send(JSON.stringify({ type: "ping" }));
      }, 20000);
    }

    function onOpen() {
      var reconnected = everOpen;
      attempt = 0;
      everOpen = true;
      lastMessage = Date.now();
      setStatus(true);
      startHeartbeat();
      // a halt (or resume) pushed while the socket was down would be missed: read the desk's state again
      if (reconnected && D.DeskState) {
        D.fetchPage("/api/desk/state", "json").then(D.DeskState.render, function () { /* next reconnect tries */ });
      }
      if (handlers.open) handlers.open(reconnected);
    }

    function onMessage(ev) {
      lastMessage = Date.now();
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (!msg || typeof msg !== "object" || msg.type === "pong") return;
      if (msg.type === "desk" && D.DeskState) D.DeskState.render(msg.data || {}); // banner, badge, HALT button
      if (handlers.event) handlers.event(msg);
    }

    function onClose(opened, ev) {
      ws = null;
      clearInterval(pingTimer);
      setStatus(false, "reconnecting\u2026");
      if (opened && ev.code !== 4403) { schedule(); return; }
      // The handshake was refused (or the server closed us as not authorised): if our session has
      // ended, retrying is pointless until the user logs in again.
      probeSession().then(function (loggedIn) {
        if (loggedIn) schedule();
        else { setStatus(false, "logged out"); sessionEnded(); }
      });
    }

    function connect() {
      setStatus(false, everOpen || attempt > 0 ? "reconnecting\u2026" : "connecting\u2026");
      try {
        ws = new WebSocket(url());
      } catch (e) {
        schedule();
        return;
      }
      var opened = false;
      ws.onopen = onOpen;
      ws.onmessage = onMessage;
      ws.addEventListener("open", function () { opened = true; });
      ws.onclose = function (ev) { onClose(opened, ev); };
      ws.onerror = function () { /* onclose follows and reconnects */ };
    }

    connect();
    return { connected: function () { return !!ws && ws.readyState === WebSocket.OPEN; } };
  }

  /** true when the desk still knows us, false when it sends us to the login page; network errors
      count as "still logged in" (the server is down, keep trying). */
  function probeSession() {
    return fetch(location.pathname, { credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" } })
      .then(function (res) { return !(res.type === "opaqueredirect" || res.status === 302 || res.status === 403); },
            function () { return true; });
  }

  function sessionEnded() {
    if ($("#session-ended")) return;
    var login = document.body.getAttribute("data-login-url") || "/accounts/login/";
    var link = el("a", { href: login + "?next=" + encodeURIComponent(location.pathname), text: "Log in again" });
    var box = el("div", { id: "session-ended", className: "message message-error", role: "alert" },
      ["Your session has ended (logged out, or the desk restarted and renewed its logins); live updates stopped. ", link]);
    var main = $("main");
    if (main) main.insertBefore(box, main.firstChild);
  }

  D.DeskSocket = DeskSocket;
})(window.ExecDesk);
