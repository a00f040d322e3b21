/* The diagnostic viewer: series thumbnails, one or two viewports side by side, fit to
 * window, zoom and pan, window/level (drag and presets), stack scroll (wheel, keys,
 * slider, touch), cine, length and angle in millimetres, on-image overlays with
 * orientation markers, and a phone layout with touch gestures.
 *
 * Every pixel comes from DICOMweb /rendered and every geometry value from DICOMweb
 * /metadata, so the server checks access and audits each read. A reduced rendition
 * (viewport=256,256) is shown first on slow links, then the full image replaces it.
 *
 * CloudViewer.mount(root) returns a controller; the room's workspace uses its
 * getView()/setView() and listens to the "cloudviewer:change" event (user changes only).
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var REDUCED = "256,256";

  function el(tag, cls, parent) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function svgEl(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function tag(meta, key) {
    var entry = meta && meta[key];
    return entry && entry.Value ? entry.Value : null;
  }
  function num(meta, key, i) {
    var v = tag(meta, key);
    return v && v.length > (i || 0) ? Number(v[i || 0]) : null;
  }
  // Patient axes (LPS): +x left, +y posterior, +z head.
  function orientationLetters(v) {
    var letters = [["L", "R"], ["P", "A"], ["H", "F"]];
    var order = [0, 1, 2].sort(function (a, b) { return Math.abs(v[b]) - Math.abs(v[a]); });
    var out = "";
    order.forEach(function (axis) {
      if (Math.abs(v[axis]) > 0.3 && out.length < 2) { out += letters[axis][v[axis] > 0 ? 0 : 1]; }
    });
    return out;
  }

  function mount(root) {
    var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    var t = data.strings;
    var presets = {};
    data.presets.forEach(function (p) { presets[p.key] = p; });
    var portsEl = root.querySelector(".cv-ports");
    var loadingEl = root.querySelector(".cv-loading");
    var metaCache = {};     // series uid -> Promise of {sop uid: metadata}
    var loaded = {};        // url -> true once the full rendition arrived
    var tool = "wl";
    var ports = [];
    var active = 0;
    var cineTimer = null;
    var emitTimer = null;
    var applying = false;
    var controller;

    function metadataOf(series) {
      if (!metaCache[series.uid]) {
        metaCache[series.uid] = fetch("/dicomweb/studies/" + data.study + "/series/" + series.uid +
                                      "/metadata", { credentials: "same-origin",
                                                     headers: { Accept: "application/dicom+json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (list) {
            var byUid = {};
            list.forEach(function (m) { var uid = tag(m, "00080018"); if (uid) { byUid[uid[0]] = m; } });
            return byUid;
          }).catch(function () { return {}; });
      }
      return metaCache[series.uid];
    }

    function framesOf(series) {
      var out = [];
      series.images.forEach(function (item) {
        for (var f = 1; f <= item[1]; f++) { out.push({ uid: item[0], frame: f, many: item[1] > 1 }); }
      });
      return out;
    }

    // --- one viewport -------------------------------------------------------------------

    function makePort(index) {
      var box = el("div", "cv-port", portsEl);
      box.tabIndex = 0;
      box.dataset.port = String(index);
      var img = el("img", "cv-img", box);
      img.alt = "";
      img.draggable = false;
      var svg = svgEl("svg", { "class": "cv-svg" }, box);
      var corners = {};
      ["tl", "tr", "bl", "br"].forEach(function (c) { corners[c] = el("div", "cv-ov cv-" + c, box); });
      var marks = {};
      ["top", "bottom", "left", "right"].forEach(function (c) { marks[c] = el("div", "cv-mark cv-m-" + c, box); });
      var slider = el("input", "cv-slider", box);
      slider.type = "range"; slider.min = "1"; slider.value = "1";
      slider.setAttribute("aria-label", t.slice);

      var port = {
        index: index, box: box, img: img, svg: svg, series: -1, frames: [], meta: {},
        slice: 0, preset: "", window: null, zoom: 1, cx: 0.5, cy: 0.5,
        measures: {}, draft: null, cols: 0, rows: 0
      };

      port.current = function () { return port.frames[port.slice]; };
      port.metaOf = function () { var f = port.current(); return f ? port.meta[f.uid] : null; };
      port.fileWindow = function () {
        var m = port.metaOf();
        var c = num(m, "00281050"), w = num(m, "00281051");
        return c !== null && w !== null ? [c, w] : null;
      };
      port.effectiveWindow = function () {
        if (port.window) { return port.window; }
        if (port.preset && presets[port.preset]) { return [presets[port.preset].center, presets[port.preset].width]; }
        return port.fileWindow();
      };
      port.url = function (frame, reduced) {
        var s = data.series[port.series];
        var base = "/dicomweb/studies/" + data.study + "/series/" + s.uid + "/instances/" + frame.uid;
        base += frame.many ? "/frames/" + frame.frame + "/rendered" : "/rendered";
        var params = [];
        if (port.window) { params.push("window=" + port.window[0] + "," + port.window[1]); }
        else if (port.preset) { params.push("preset=" + port.preset); }
        if (reduced) { params.push("viewport=" + REDUCED); }
        return base + (params.length ? "?" + params.join("&") : "");
      };
      port.size = function () {
        var m = port.metaOf();
        var cols = num(m, "00280011") || img.naturalWidth || 1;
        var rows = num(m, "00280010") || img.naturalHeight || 1;
        return [cols, rows];
      };
      port.scale = function () {
        var size = port.size();
        var fit = Math.min(box.clientWidth / size[0], box.clientHeight / size[1]) || 1;
        return fit * port.zoom;
      };
      port.imageToScreen = function (x, y) {
        var s = port.scale(), size = port.size();
        return [box.clientWidth / 2 + (x - port.cx * size[0]) * s,
                box.clientHeight / 2 + (y - port.cy * size[1]) * s];
      };
      port.screenToImage = function (sx, sy) {
        var s = port.scale(), size = port.size();
        return [(sx - box.clientWidth / 2) / s + port.cx * size[0],
                (sy - box.clientHeight / 2) / s + port.cy * size[1]];
      };
      port.spacing = function () {
        var m = port.metaOf();
        var row = num(m, "00280030", 0), col = num(m, "00280030", 1);
        if (row === null || col === null) {
          row = num(m, "00181164", 0); col = num(m, "00181164", 1);  // ImagerPixelSpacing
        }
        return row && col ? [row, col] : null;
      };

      port.layout = function () {
        var size = port.size(), s = port.scale();
        var tl = port.imageToScreen(0, 0);
        img.style.width = size[0] + "px";
        img.style.height = size[1] + "px";
        img.style.transform = "translate(" + tl[0] + "px," + tl[1] + "px) scale(" + s + ")";
        drawMeasures();
        drawOverlay();
      };

      port.show = function () {
        var frame = port.current();
        if (!frame) { return; }
        var full = port.url(frame, false);
        if (loaded[full]) { img.src = full; }
        else {
          img.src = port.url(frame, true);  // the reduced rendition first
          var probe = new Image();
          probe.onload = function () {
            loaded[full] = true;
            if (port.current() === frame && port.url(frame, false) === full) { img.src = full; }
            progress();
          };
          probe.src = full;
        }
        slider.max = String(Math.max(port.frames.length, 1));
        slider.value = String(port.slice + 1);
        box.dataset.slice = String(port.slice + 1);
        var w = port.effectiveWindow();
        box.dataset.window = w ? Math.round(w[0]) + "," + Math.round(w[1]) : "";
        port.layout();
        prefetch(port);
      };

      port.setSlice = function (i) {
        port.slice = Math.max(0, Math.min(port.frames.length - 1, i));
        port.show();
      };

      port.loadSeries = function (i, slice) {
        port.series = i;
        port.frames = framesOf(data.series[i]);
        port.slice = slice === undefined ? Math.floor(port.frames.length / 2) : slice;
        port.zoom = 1; port.cx = 0.5; port.cy = 0.5;
        box.dataset.series = data.series[i].uid;
        return metadataOf(data.series[i]).then(function (byUid) {
          if (port.series !== i) { return; }
          port.meta = byUid;
          port.setSlice(port.slice);
          box.dataset.ready = "1";
        });
      };

      function drawOverlay() {
        var m = port.metaOf(), s = data.series[port.series] || {};
        var id = data.identity, st = data.study_line;
        corners.tl.textContent = id.name + " " + id.sex + " " + id.age + "\nID " + id.id_tail +
          "\n" + st.date + " " + st.time;
        var loc = num(m, "00201041"), thick = num(m, "00180050");
        corners.tr.textContent = (s.modality || "") + " #" + (s.number === null ? "" : s.number) + " " +
          (s.description || "") + "\n" + t.slice + " " + (port.slice + 1) + "/" + port.frames.length +
          (loc !== null ? "\n" + t.location + " " + loc.toFixed(1) + " mm" : "") +
          (thick !== null ? "  " + t.thickness + " " + thick.toFixed(1) + " mm" : "");
        var w = port.effectiveWindow();
        var label = port.preset && presets[port.preset] ? presets[port.preset].label + " " : "";
        corners.bl.textContent = "W/L " + (w ? Math.round(w[1]) + "/" + Math.round(w[0]) : t.default) +
          " " + label + "\n" + t.zoom + " " + Math.round(port.scale() * 100) + "%";
        corners.br.textContent = port.spacing() ? "" : t.no_spacing;
        var iop = tag(m, "00200037");
        if (iop && iop.length === 6) {
          var r = iop.slice(0, 3).map(Number), c = iop.slice(3, 6).map(Number);
          marks.right.textContent = orientationLetters(r);
          marks.left.textContent = orientationLetters(r.map(function (v) { return -v; }));
          marks.bottom.textContent = orientationLetters(c);
          marks.top.textContent = orientationLetters(c.map(function (v) { return -v; }));
        } else {
          marks.right.textContent = marks.left.textContent = marks.top.textContent = marks.bottom.textContent = "";
        }
      }

      function key() { var f = port.current(); return f ? f.uid + "/" + f.frame : ""; }

      port.measureText = function (m) {
        var sp = port.spacing() || [1, 1];
        var unit = port.spacing() ? " mm" : " px";
        function phys(a, b) {
          return [(b[0] - a[0]) * sp[1], (b[1] - a[1]) * sp[0]];  // x: columns, y: rows
        }
        if (m.kind === "length") {
          var d = phys(m.points[0], m.points[1]);
          m.value = Math.sqrt(d[0] * d[0] + d[1] * d[1]);
          return m.value.toFixed(1) + unit;
        }
        if (m.points.length < 3) { return ""; }
        var u = phys(m.points[1], m.points[0]), v = phys(m.points[1], m.points[2]);
        var cos = (u[0] * v[0] + u[1] * v[1]) /
          (Math.sqrt(u[0] * u[0] + u[1] * u[1]) * Math.sqrt(v[0] * v[0] + v[1] * v[1]) || 1);
        m.value = Math.acos(Math.max(-1, Math.min(1, cos))) * 180 / Math.PI;
        return m.value.toFixed(1) + "°";
      };

      function drawMeasures() {
        while (svg.firstChild) { svg.removeChild(svg.firstChild); }
        var list = (port.measures[key()] || []).slice();
        if (port.draft) { list.push(port.draft); }
        list.forEach(function (m) {
          var pts = m.points.map(function (p) { return port.imageToScreen(p[0], p[1]); });
          svgEl("polyline", { points: pts.map(function (p) { return p[0] + "," + p[1]; }).join(" "),
                              "class": "cv-line" }, svg);
          pts.forEach(function (p) { svgEl("circle", { cx: p[0], cy: p[1], r: 3, "class": "cv-dot" }, svg); });
          var text = port.measureText(m);
          var at = pts[pts.length > 2 ? 1 : pts.length - 1];
          var label = svgEl("text", { x: at[0] + 6, y: at[1] - 6, "class": "cv-label" }, svg);
          label.textContent = text;
        });
      }
      port.drawMeasures = drawMeasures;

      port.addPoint = function (p) {
        if (!port.draft) { port.draft = { kind: tool, points: [p, p] }; return; }
        var need = port.draft.kind === "angle" ? 3 : 2;
        if (port.draft.points.length < need) { port.draft.points.push(p); drawMeasures(); return; }
      };
      port.finishDraft = function () {
        var m = port.draft; port.draft = null;
        if (!m) { return; }
        var k = key();
        (port.measures[k] = port.measures[k] || []).push(m);
        port.measureText(m);
        controller.lastMeasure = { kind: m.kind, value: m.value, unit: port.spacing() ? (m.kind === "angle" ? "deg" : "mm") : "px" };
        root.dataset.lastMeasure = m.kind + ":" + m.value.toFixed(2);
        drawMeasures();
      };

      slider.addEventListener("input", function () { port.setSlice(Number(slider.value) - 1); changed(); });
      img.addEventListener("load", function () { port.layout(); });
      box.addEventListener("focus", function () { setActive(port.index); });
      wireInput(port);
      return port;
    }

    // --- loading: the reduced rendition first, then the whole series ----------------------

    function prefetch(port) {
      var queue = port.frames.map(function (f) { return port.url(f, false); })
        .filter(function (u) { return !loaded[u]; });
      // nearest slices first
      queue.sort(function (a, b) {
        return Math.abs(port.frames.findIndex(function (f) { return port.url(f, false) === a; }) - port.slice) -
               Math.abs(port.frames.findIndex(function (f) { return port.url(f, false) === b; }) - port.slice);
      });
      port.queue = queue;
      port.total = port.frames.length;
      pump(port);
      progress();
    }
    function pump(port) {
      port.inflight = port.inflight || 0;
      while (port.inflight < 4 && port.queue.length) {
        var u = port.queue.shift();
        if (loaded[u]) { continue; }
        port.inflight += 1;
        (function (url) {
          var probe = new Image();
          probe.onload = probe.onerror = function () {
            port.inflight -= 1;
            if (probe.naturalWidth) { loaded[url] = true; }
            progress(); pump(port);
          };
          probe.src = url;
        }(u));
      }
    }
    function progress() {
      var port = ports[active];
      if (!port || !port.frames.length) { return; }
      var done = port.frames.filter(function (f) { return loaded[port.url(f, false)]; }).length;
      loadingEl.textContent = done < port.frames.length
        ? fmt(t.loading, { done: done, total: port.frames.length }) : "";
      root.dataset.loaded = done + "/" + port.frames.length;
    }

    // --- input: mouse, wheel, keys, touch -------------------------------------------------

    function wireInput(port) {
      var box = port.box;
      var drag = null;
      function local(e) {
        var r = box.getBoundingClientRect();
        return [e.clientX - r.left, e.clientY - r.top];
      }
      box.addEventListener("wheel", function (e) {
        e.preventDefault();
        setActive(port.index);
        if (e.ctrlKey) { zoomAt(port, e.deltaY < 0 ? 1.1 : 1 / 1.1); }
        else { port.setSlice(port.slice + (e.deltaY > 0 ? 1 : -1)); }
        changed();
      }, { passive: false });
      box.addEventListener("keydown", function (e) {
        var moves = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, PageDown: 10, PageUp: -10 };
        if (e.key in moves) { e.preventDefault(); port.setSlice(port.slice + moves[e.key]); }
        else if (e.key === "Home") { port.setSlice(0); }
        else if (e.key === "End") { port.setSlice(port.frames.length - 1); }
        else if (e.key === "+" || e.key === "=") { zoomAt(port, 1.2); }
        else if (e.key === "-") { zoomAt(port, 1 / 1.2); }
        else if (e.key === "f" || e.key === "r") { fit(port); }
        else if (e.key === " ") { e.preventDefault(); toggleCine(); return; }
        else { return; }
        changed();
      });
      box.addEventListener("mousedown", function (e) {
        if (e.target.closest && e.target.closest(".cv-slider")) { return; }
        setActive(port.index);
        box.focus();
        e.preventDefault();
        var p = local(e);
        var mode = e.button === 1 ? "pan" : (e.button === 2 ? "zoom" : tool);
        if (mode === "length" || mode === "angle") {
          var ip = port.screenToImage(p[0], p[1]);
          if (!port.draft) { port.draft = { kind: mode, points: [ip, ip] }; }
          else if (port.draft.kind === "angle" && port.draft.points.length === 2) { port.draft.points.push(ip); }
          drag = { mode: mode };
          port.drawMeasures();
          return;
        }
        var w = port.effectiveWindow() || [40, 400];
        drag = { mode: mode, x: p[0], y: p[1], c: w[0], w: w[1], zoom: port.zoom, cx: port.cx, cy: port.cy };
      });
      box.addEventListener("contextmenu", function (e) { e.preventDefault(); });
      window.addEventListener("mousemove", function (e) {
        if (!drag) { return; }
        var p = local(e);
        if (drag.mode === "length" || drag.mode === "angle") {
          var pts = port.draft.points;
          pts[pts.length - 1] = port.screenToImage(p[0], p[1]);
          port.drawMeasures();
          return;
        }
        dragTo(port, drag, p[0] - drag.x, p[1] - drag.y, false);
      });
      window.addEventListener("mouseup", function (e) {
        if (!drag) { return; }
        var d = drag; drag = null;
        if (d.mode === "length" || d.mode === "angle") {
          var pts = port.draft.points;
          pts[pts.length - 1] = port.screenToImage(local(e)[0], local(e)[1]);
          if (d.mode === "length" || pts.length === 3) { port.finishDraft(); }
          else { pts.push(pts[1].slice()); port.drawMeasures(); }
          return;
        }
        var p = local(e);
        dragTo(port, d, p[0] - d.x, p[1] - d.y, true);
        changed();
      });

      // Touch: one finger scrolls the stack (or measures), two fingers pan and pinch-zoom.
      var touch = null;
      function points(e) {
        var r = box.getBoundingClientRect();
        return Array.prototype.map.call(e.touches, function (tp) { return [tp.clientX - r.left, tp.clientY - r.top]; });
      }
      box.addEventListener("touchstart", function (e) {
        e.preventDefault();
        setActive(port.index);
        var p = points(e);
        if (p.length >= 2) {
          touch = { mode: "pinch", mid: [(p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2],
                    dist: Math.hypot(p[0][0] - p[1][0], p[0][1] - p[1][1]) || 1,
                    zoom: port.zoom, cx: port.cx, cy: port.cy };
          port.draft = null;
        } else if (tool === "length" || tool === "angle") {
          var ip = port.screenToImage(p[0][0], p[0][1]);
          if (!port.draft) { port.draft = { kind: tool, points: [ip, ip] }; }
          else if (port.draft.kind === "angle" && port.draft.points.length === 2) { port.draft.points.push(ip); }
          touch = { mode: "measure", last: p[0] };
        } else {
          touch = { mode: "scroll", y: p[0][1], slice: port.slice };
        }
      }, { passive: false });
      box.addEventListener("touchmove", function (e) {
        e.preventDefault();
        if (!touch) { return; }
        var p = points(e);
        if (touch.mode === "pinch" && p.length >= 2) {
          var mid = [(p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2];
          var dist = Math.hypot(p[0][0] - p[1][0], p[0][1] - p[1][1]) || 1;
          port.zoom = Math.max(0.2, Math.min(20, touch.zoom * dist / touch.dist));
          var size = port.size(), s = port.scale();
          port.cx = touch.cx - (mid[0] - touch.mid[0]) / s / size[0];
          port.cy = touch.cy - (mid[1] - touch.mid[1]) / s / size[1];
          port.layout();
        } else if (touch.mode === "scroll" && p.length === 1) {
          var stepPx = Math.max(8, port.box.clientHeight / Math.max(port.frames.length, 1) / 2);
          var target = touch.slice + Math.round((p[0][1] - touch.y) / stepPx);
          if (target !== port.slice) { port.setSlice(target); }
        } else if (touch.mode === "measure" && p.length === 1) {
          touch.last = p[0];
          var pts = port.draft.points;
          pts[pts.length - 1] = port.screenToImage(p[0][0], p[0][1]);
          port.drawMeasures();
        }
      }, { passive: false });
      box.addEventListener("touchend", function (e) {
        e.preventDefault();
        if (!touch) { return; }
        if (touch.mode === "measure") {
          var pts = port.draft.points;
          if (port.draft.kind === "length" || pts.length === 3) { port.finishDraft(); }
          else { pts.push(pts[1].slice()); port.drawMeasures(); }
        }
        if (e.touches.length === 0) { touch = null; changed(); }
      }, { passive: false });
    }

    function dragTo(port, d, dx, dy, done) {
      if (d.mode === "wl") {
        port.preset = "";
        port.window = [Math.round(d.c + dy * 2), Math.max(1, Math.round(d.w + dx * 4))];
        if (done) { port.show(); } else { port.layout(); }
        port.box.dataset.window = port.window[0] + "," + port.window[1];
      } else if (d.mode === "pan") {
        var size = port.size(), s = port.scale();
        port.cx = d.cx - dx / s / size[0];
        port.cy = d.cy - dy / s / size[1];
        port.layout();
      } else if (d.mode === "zoom") {
        port.zoom = Math.max(0.2, Math.min(20, d.zoom * Math.pow(1.01, -dy)));
        port.layout();
      }
    }
    function zoomAt(port, factor) {
      port.zoom = Math.max(0.2, Math.min(20, port.zoom * factor));
      port.layout();
    }
    function fit(port) { port.zoom = 1; port.cx = 0.5; port.cy = 0.5; port.layout(); }

    function setActive(i) {
      active = i;
      ports.forEach(function (p) { p.box.classList.toggle("active", p.index === i); });
      root.querySelectorAll(".cv-thumb").forEach(function (b) {
        b.classList.toggle("active", ports[i] && Number(b.dataset.series) === ports[i].series);
      });
      progress();
    }

    function toggleCine() {
      var button = root.querySelector("[data-action=cine]");
      if (cineTimer) {
        clearInterval(cineTimer); cineTimer = null;
        button.textContent = t.play; button.setAttribute("aria-pressed", "false");
        return;
      }
      button.textContent = t.pause; button.setAttribute("aria-pressed", "true");
      cineTimer = setInterval(function () {
        var port = ports[active];
        port.setSlice(port.slice + 1 >= port.frames.length ? 0 : port.slice + 1);
        changed();
      }, 100);
    }

    function setLayout(n) {
      while (ports.length < n) {
        var p = makePort(ports.length);
        var next = Math.min(ports.length - 1 + (data.series.length > 1 ? 1 : 0), data.series.length - 1);
        ports.push(p);
        if (data.series.length) { p.loadSeries(Math.max(next, 0)); }
      }
      while (ports.length > n) { var gone = ports.pop(); gone.box.remove(); }
      root.dataset.layout = String(n);
      var button = root.querySelector("[data-action=layout]");
      button.setAttribute("aria-pressed", n > 1 ? "true" : "false");
      if (active >= n) { active = 0; }
      ports.forEach(function (p) { p.layout(); });
      setActive(active);
    }

    // --- the toolbar ----------------------------------------------------------------------

    root.querySelectorAll("[data-tool]").forEach(function (b) {
      b.addEventListener("click", function () {
        tool = b.dataset.tool;
        root.dataset.tool = tool;
        root.querySelectorAll("[data-tool]").forEach(function (o) { o.classList.toggle("active", o === b); });
        ports.forEach(function (p) { p.draft = null; p.drawMeasures(); });
      });
    });
    root.querySelectorAll("[data-preset]").forEach(function (b) {
      b.addEventListener("click", function () {
        var port = ports[active];
        port.preset = b.dataset.preset; port.window = null;
        port.show(); changed();
      });
    });
    root.querySelector("[data-action=fit]").addEventListener("click", function () { fit(ports[active]); changed(); });
    root.querySelector("[data-action=clear]").addEventListener("click", function () {
      var port = ports[active]; port.measures = {}; port.draft = null; port.drawMeasures();
    });
    root.querySelector("[data-action=cine]").addEventListener("click", toggleCine);
    root.querySelector("[data-action=layout]").addEventListener("click", function () {
      setLayout(ports.length > 1 ? 1 : 2); changed();
    });
    root.querySelectorAll(".cv-thumb").forEach(function (b) {
      b.addEventListener("click", function () {
        ports[active].loadSeries(Number(b.dataset.series)).then(changed);
        setActive(active);
      });
    });
    window.addEventListener("resize", function () { ports.forEach(function (p) { p.layout(); }); });

    // --- the view as data (follow mode) ---------------------------------------------------

    function getView() {
      var p = ports[active];
      if (!p || p.series < 0) { return null; }
      return { series: data.series[p.series].uid, slice: p.slice, preset: p.preset,
               window: p.window, zoom: p.zoom, cx: p.cx, cy: p.cy, layout: ports.length, port: active };
    }
    function setView(v) {  // true when applied; a malformed view is ignored whole
      if (!v || typeof v !== "object") { return false; }
      var idx = -1;
      data.series.forEach(function (s, i) { if (s.uid === v.series) { idx = i; } });
      var slice = Number(v.slice);
      if (idx < 0 || !isFinite(slice) || slice < 0 || Math.floor(slice) !== slice) { return false; }
      applying = true;
      try {
        var n = v.layout === 2 ? 2 : 1;
        if (n !== ports.length) { setLayout(n); }
        var port = ports[v.port === 1 && ports.length > 1 ? 1 : 0];
        setActive(port.index);
        port.preset = typeof v.preset === "string" && presets[v.preset] ? v.preset : "";
        port.window = Array.isArray(v.window) && v.window.length === 2 &&
          isFinite(v.window[0]) && isFinite(v.window[1]) && v.window[1] >= 1
          ? [Number(v.window[0]), Number(v.window[1])] : null;
        port.zoom = isFinite(v.zoom) ? Math.max(0.2, Math.min(20, Number(v.zoom))) : 1;
        port.cx = isFinite(v.cx) ? Number(v.cx) : 0.5;
        port.cy = isFinite(v.cy) ? Number(v.cy) : 0.5;
        if (port.series !== idx) { port.loadSeries(idx, slice); }
        else { port.setSlice(slice); }
      } finally { applying = false; }
      return true;
    }
    function changed() {
      if (applying) { return; }
      clearTimeout(emitTimer);
      emitTimer = setTimeout(function () {
        root.dispatchEvent(new CustomEvent("cloudviewer:change", { detail: getView() }));
      }, 60);
    }

    controller = { root: root, ports: ports, getView: getView, setView: setView,
                   setLayout: setLayout, lastMeasure: null,
                   imageToScreen: function (x, y) { return ports[active].imageToScreen(x, y); } };
    root.cloudViewer = controller;
    setLayout(1);
    root.dataset.tool = tool;
    return controller;
  }

  window.CloudViewer = { mount: mount };
  document.querySelectorAll("[data-cloud-viewer]").forEach(function (root) {
    if (!root.cloudViewer) { window.cloudViewer = mount(root); }
  });
}());
