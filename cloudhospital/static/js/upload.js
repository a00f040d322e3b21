// Uploads with a progress bar: the form is sent by XHR so the page can show how far it got,
// and its button stays disabled until the server answers (imaging/templates/imaging/studies.html).
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const status = document.getElementById("upload-status");
  const button = form.querySelector("button[type=submit]");
  const label = button.textContent;

  function show(percent) {
    box.hidden = false;
    bar.style.width = percent + "%";
    box.setAttribute("aria-valuenow", String(percent));
    bar.textContent = percent + "%";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    event.stopImmediatePropagation();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) show(Math.round((e.loaded / e.total) * 100));
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 400) {
        show(100);
        status.textContent = form.dataset.done;
        // The server's redirect target carries the message saying what was stored.
        window.location.assign(xhr.responseURL || window.location.href);
      } else {
        status.textContent = form.dataset.failed;
        button.disabled = false;
        button.textContent = label;
      }
    });
    xhr.addEventListener("error", function () {
      status.textContent = form.dataset.failed;
      button.disabled = false;
      button.textContent = label;
    });
    button.disabled = true;
    button.textContent = form.dataset.busy;
    show(0);
    xhr.send(new FormData(form));
  });
})();
