// Live follow-up updates: notifications, my place in the queue, the doctor's queue,
// and the call into the video room. Reconnects with a growing delay.
(function () {
  "use strict";
  const live = document.getElementById("live");
  if (!live) return;
  const role = live.dataset.role;
  let delay = 500;

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function onNotification(ev) {
    const list = document.getElementById("notification-list");
    if (!list || list.querySelector('[data-id="' + ev.id + '"]')) return;
    const none = list.querySelector(".none");
    if (none) none.remove();
    const li = document.createElement("li");
    li.dataset.kind = ev.kind;
    li.dataset.id = ev.id;
    li.appendChild(text("strong", ev.title));
    li.appendChild(document.createTextNode(" " + ev.body));
    list.prepend(li);
  }

  function onPosition(ev) {
    if (!ev) return;
    const box = document.querySelector('.appointment[data-visit="' + ev.visit_id + '"]');
    if (!box) return;
    box.querySelector(".waiting").hidden = false;
    box.querySelector(".position").textContent = ev.position;
    box.querySelector(".wait").textContent = ev.expected_wait_minutes;
  }

  function onCalled(ev) {
    if (role === "doctor") {
      // Called from elsewhere (another tab, the API): show the visit's card and form.
      if (!document.querySelector('.card[data-visit="' + ev.visit_id + '"]')) {
        window.location.reload();
      }
      return;
    }
    const box = document.querySelector('.appointment[data-visit="' + ev.visit_id + '"]');
    if (!box) return;
    box.querySelector(".waiting").hidden = true;
    const called = box.querySelector(".called");
    called.hidden = false;
    called.querySelector("a").href = ev.room_url;
  }

  function onQueue(ev) {
    const body = document.getElementById("queue");
    if (!body) return;
    body.replaceChildren();
    ev.queue.forEach(function (item) {
      const tr = document.createElement("tr");
      tr.dataset.visit = item.visit_id;
      tr.appendChild(text("td", item.patient));
      tr.appendChild(text("td", item.condition));
      tr.appendChild(text("td", new Date(item.start).toLocaleTimeString()));
      tr.appendChild(text("td", new Date(item.checked_in_at).toLocaleTimeString()));
      const flag = text("td", "");
      if (item.urgent) flag.appendChild(text("span", "!", "status urgent"));
      tr.appendChild(flag);
      body.appendChild(tr);
    });
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let since = 0;
    document.querySelectorAll("#notification-list li[data-id]").forEach(function (li) {
      since = Math.max(since, Number(li.dataset.id) || 0);
    });
    const ws = new WebSocket(scheme + window.location.host + live.dataset.socket +
                             "?since=" + since);
    ws.onopen = function () { delay = 500; document.body.dataset.live = "open"; };
    ws.onmessage = function (msg) {
      const ev = JSON.parse(msg.data);
      if (ev.type === "followups.notification") onNotification(ev);
      else if (ev.type === "followups.position") onPosition(ev);
      else if (ev.type === "followups.called") onCalled(ev);
      else if (ev.type === "followups.queue") onQueue(ev);
      else if (ev.type === "followups.snapshot") {
        if (ev.queue) onQueue(ev);
        else { onPosition(ev.position); if (ev.called) onCalled(ev.called); }
      }
    };
    ws.onclose = function () {
      document.body.dataset.live = "closed";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  connect();
})();
