/* ExecDesk.ProposalCue: what tells a trader a new proposal arrived, on the order page and in the approval
   queue: a short WebAudio beep (no audio file), a toast, and the tab title ("● proposal — BUY 0.05 BTC · #12 …"
   on an order's page, "● 3 proposals waiting …" on the queue) while one is pending. The sound can be muted
   (#sound-toggle, remembered in localStorage) and never plays before the user has clicked or pressed a key
   on the page: browsers refuse audio before that (autoplay policy), and a page that beeps on load is rude. */
(function (D) {
  "use strict";

  var $ = D.$, num = D.num;
  var STORE_KEY = "execdesk.sound";
  var ctx = null, interacted = false, baseTitle = document.title;

  function muted() {
    try { return window.localStorage.getItem(STORE_KEY) === "off"; } catch (e) { return false; }
  }

  function setMuted(off) {
    try { window.localStorage.setItem(STORE_KEY, off ? "off" : "on"); } catch (e) { /* private mode: this page only */ }
    renderToggle();
  }

  function renderToggle() {
    var btn = $("#sound-toggle");
    if (!btn) return;
    var on = !muted();
    btn.setAttribute("aria-pressed", String(on));
    btn.textContent = on ? "\u266a sound on" : "\u266a sound off";
    btn.classList.toggle("is-off", !on);
  }

  /** The first click or key on the page unlocks audio (the AudioContext is made then, not before). */
  function unlock() {
    interacted = true;
    if (ctx || muted()) return;
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    try { ctx = new AC(); } catch (e) { ctx = null; }
  }

  function beep() {
    if (muted() || !interacted) return;
    unlock();
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    var t = ctx.currentTime;
    [[880, 0], [1320, 0.12]].forEach(function (tone) { // two short rising tones, ~0.25 s in all
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, t + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.18, t + tone[1] + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + tone[1] + 0.11);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + tone[1]);
      osc.stop(t + tone[1] + 0.12);
    });
  }

  function summary(p, base) {
    return p.action + (num(p.quantity) ? " " + D.fmtQty(p.quantity) + " " + base : "") + " \u00b7 #" + p.seq;
  }

  /** The tab title while a proposal waits (null: none waits). */
  function title(p, base) {
    document.title = p ? "\u25cf proposal \u2014 " + summary(p, base) + " \u00b7 " + baseTitle : baseTitle;
  }

  /** The tab title while `n` proposals wait in the approval queue. */
  function waiting(n) {
    document.title = n > 0 ? "\u25cf " + n + " proposal" + (n === 1 ? "" : "s") + " waiting \u00b7 " + baseTitle : baseTitle;
  }

  /** A proposal just arrived (not one already pending when the page opened); `where` names its order when
   *  the page shows several ("order #12"). */
  function announce(p, base, where) {
    beep();
    D.toast("New proposal #" + p.seq + (where ? " of " + where : "") + ": " +
      summary(p, base).replace(/ \u00b7 #\d+$/, ""), "info");
  }

  function bind() {
    document.addEventListener("pointerdown", unlock, { capture: true });
    document.addEventListener("keydown", unlock, { capture: true });
    var btn = $("#sound-toggle");
    if (btn) btn.addEventListener("click", function () { setMuted(!muted()); if (!muted()) beep(); });
    renderToggle();
  }

  D.ProposalCue = { bind: bind, announce: announce, title: title, waiting: waiting, beep: beep };
})(window.ExecDesk);
