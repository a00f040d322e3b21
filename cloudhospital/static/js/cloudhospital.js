// Behaviour every page shares, kept out of the HTML: the Content-Security-Policy allows no
// inline script or event handler attribute (docs/security.md).
(function () {
  "use strict";
  // The language switch submits as soon as a language is picked.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Irreversible steps (sign, decline, cancel) ask first: <form data-confirm="...">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    });
  });

  // A form that is being sent cannot be sent twice: its button is disabled and says so.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; b.textContent = form.dataset.busy; }, 0);
      });
    });
  });

  // The notification centre: a badge and a list kept live over the notification socket.
  const centre = document.getElementById("notification-centre");
  if (!centre || !("WebSocket" in window)) return;
  const list = document.getElementById("notif-list");
  const badge = document.getElementById("notif-badge");
  const empty = document.getElementById("notif-empty");
  let since = Number(centre.dataset.since) || 0;
  let delay = 1000;

  function add(ev) {
    if (list.querySelector('[data-id="' + ev.id + '"]')) return;
    since = Math.max(since, ev.id);
    const li = document.createElement("li");
    li.className = "list-group-item unread";
    li.dataset.id = ev.id;
    const url = ev.data && typeof ev.data.url === "string" && ev.data.url.charAt(0) === "/" ? ev.data.url : "";
    const title = document.createElement(url ? "a" : "strong");
    if (url) { title.href = url; title.className = "fw-semibold"; }
    title.textContent = ev.title;
    const body = document.createElement("div");
    body.textContent = ev.body || "";
    li.append(title, body);
    list.prepend(li);
    empty.hidden = true;
    badge.hidden = false;
    badge.textContent = String((Number(badge.textContent) || 0) + 1);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + window.location.host + centre.dataset.socket + "?since=" + since);
    ws.addEventListener("open", function () { delay = 1000; });
    ws.addEventListener("message", function (msg) {
      let ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      if (ev && ev.type === "followups.notification") add(ev);
    });
    ws.addEventListener("close", function (e) {
      if (e.code === 4403) return;  // this person has no notification feed
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
  centre.addEventListener("shown.bs.offcanvas", function () {
    badge.hidden = true;
    badge.textContent = "0";
  });
})();
