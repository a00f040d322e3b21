// The specialist's viewer: series thumbnails, slice scrolling (wheel, arrow/page keys,
// slider), window presets and manual window/level (inputs, or drag on the image).
// Every image comes from DICOMweb /rendered, so the server checks access and audits.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("viewer-data").textContent);
  var img = document.getElementById("image");
  var box = document.getElementById("image-box");
  var slider = document.getElementById("slice");
  var overlay = document.getElementById("overlay");
  var wc = document.getElementById("wc"), ww = document.getElementById("ww");
  var state = { series: 0, index: 0, window: null, preset: "" };
  var frames = [];

  function framesOf(series) {
    var out = [];
    series.images.forEach(function (item) {
      for (var f = 1; f <= item[1]; f++) { out.push({ uid: item[0], frame: f, many: item[1] > 1 }); }
    });
    return out;
  }

  function url(item) {
    var s = data.series[state.series];
    var base = "/dicomweb/studies/" + data.study + "/series/" + s.uid + "/instances/" + item.uid;
    base += item.many ? "/frames/" + item.frame + "/rendered" : "/rendered";
    var params = [];
    if (state.window) { params.push("window=" + state.window[0] + "," + state.window[1]); }
    else if (state.preset) { params.push("preset=" + state.preset); }
    return base + (params.length ? "?" + params.join("&") : "");
  }

  function show() {
    if (!frames.length) { return; }
    state.index = Math.max(0, Math.min(frames.length - 1, state.index));
    img.src = url(frames[state.index]);
    slider.value = state.index + 1;
    var label = state.window ? "C " + state.window[0] + " W " + state.window[1]
      : (state.preset || "default");
    overlay.textContent = (state.index + 1) + " / " + frames.length + "  ·  " + label;
    for (var d = 1; d <= 2; d++) {  // warm the server's render cache for the neighbours
      [state.index + d, state.index - d].forEach(function (i) {
        if (i >= 0 && i < frames.length) { new Image().src = url(frames[i]); }
      });
    }
  }

  function selectSeries(i) {
    state.series = i;
    frames = framesOf(data.series[i]);
    state.index = Math.floor(frames.length / 2);
    slider.max = Math.max(frames.length, 1);
    document.querySelectorAll(".series").forEach(function (b) {
      b.classList.toggle("active", Number(b.dataset.index) === i);
    });
    show();
  }

  function step(delta) { state.index += delta; show(); }

  document.querySelectorAll(".series").forEach(function (b) {
    b.addEventListener("click", function () { selectSeries(Number(b.dataset.index)); });
  });
  box.addEventListener("wheel", function (e) { e.preventDefault(); step(e.deltaY > 0 ? 1 : -1); },
                       { passive: false });
  box.addEventListener("keydown", function (e) {
    var moves = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, PageDown: 10, PageUp: -10 };
    if (e.key in moves) { e.preventDefault(); step(moves[e.key]); }
    else if (e.key === "Home") { state.index = 0; show(); }
    else if (e.key === "End") { state.index = frames.length - 1; show(); }
  });
  slider.addEventListener("input", function () { state.index = Number(slider.value) - 1; show(); });
  document.querySelectorAll("[data-preset]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.preset = b.dataset.preset; state.window = null;
      var p = data.presets[state.preset];
      if (p) { wc.value = p[0]; ww.value = p[1]; }
      show();
    });
  });
  document.getElementById("apply-wl").addEventListener("click", function () {
    var c = Number(wc.value), w = Number(ww.value);
    if (wc.value !== "" && w >= 1) { state.window = [c, w]; show(); }
  });
  // Drag: horizontal changes width, vertical changes center (rendered on release).
  var drag = null;
  box.addEventListener("mousedown", function (e) {
    var start = state.window || data.presets[state.preset] || [Number(wc.value) || 40, Number(ww.value) || 400];
    drag = { x: e.clientX, y: e.clientY, c: start[0], w: start[1] };
    e.preventDefault();
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) { return; }
    wc.value = Math.round(drag.c + (e.clientY - drag.y) * 2);
    ww.value = Math.max(1, Math.round(drag.w + (e.clientX - drag.x) * 4));
  });
  window.addEventListener("mouseup", function () {
    if (!drag) { return; }
    drag = null; state.window = [Number(wc.value), Number(ww.value)]; show();
  });
  if (data.series.length) { selectSeries(0); box.focus(); }
}());
