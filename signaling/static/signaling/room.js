/* The live room: one RTCPeerConnection per other peer, signaled over the room socket.
 *
 * Protocol: docs/signaling.md. The server tells each side of a pair who offers ("offer":
 * true on the peer entry); only that side ever sends offers, including ICE restarts, so
 * there is no glare. Strings come translated from the page (json_script "room-strings").
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("room-config").textContent);
  var t = JSON.parse(document.getElementById("room-strings").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var roomEl = $("room"), notice = $("notice"), videos = $("videos");

  var state = {
    ws: null, myId: null, iceServers: [], peers: {}, local: null, screen: null,
    leaving: false, attempts: 0, pingTimer: null, statsTimer: null, reconnectTimer: null,
    callStarted: null, callTimer: null,
    log: []  // the last notices shown, newest last
  };
  var MAX_APP_MESSAGE = 16384;  // bytes of one workspace message on the data channel
  window.cloudRoom = state;  // for tests and debugging

  function say(text) {
    notice.textContent = text || "";
    if (text) { state.log.push(text); if (state.log.length > 50) { state.log.shift(); } }
  }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function setState(name) { roomEl.dataset.state = name; }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- local media ------------------------------------------------------------------

  function startLocalMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(t.no_camera);
      return Promise.resolve(null);
    }
    return navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(function (stream) {
      state.local = stream;
      $("local-video").srcObject = stream;
      return stream;
    }).catch(function (err) {
      var refused = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      say(refused ? t.camera_refused : t.no_camera);
      roomEl.dataset.media = refused ? "refused" : "missing";
      return null;
    });
  }

  // --- the socket -------------------------------------------------------------------

  function connect() {
    if (state.leaving) { return; }
    setState("connecting");
    say(state.attempts ? t.reconnecting : t.connecting);
    fetch(config.ticket_url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
    }).then(function (answer) {
      if (answer.status === 403) { throw { final: t.not_allowed }; }
      if (answer.status === 404) { throw { final: t.not_found }; }
      if (answer.status === 409) { throw { final: t.closed }; }
      if (!answer.ok) { throw new Error("ticket " + answer.status); }
      return answer.json();
    }).then(function (ticket) {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var ws = new WebSocket(scheme + location.host + ticket.ws_path + "?ticket=" +
                             encodeURIComponent(ticket.ticket));
      state.ws = ws;
      ws.onmessage = function (event) { onFrame(JSON.parse(event.data)); };
      ws.onclose = function (event) { onClose(ws, event.code); };
    }).catch(function (err) {
      if (err && err.final) { setState("refused"); say(err.final); return; }
      scheduleReconnect();
    });
  }

  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(frame)); }
  }

  function onClose(ws, code) {
    roomEl.dataset.closeCode = String(code);
    state.log.push("socket closed " + code);
    if (ws !== state.ws) { return; }
    state.ws = null;
    clearInterval(state.pingTimer);
    closeAllPeers();
    if (state.leaving) { return; }
    if (code === 4403) { setState("refused"); say(t.not_allowed); return; }
    if (code === 4404) { setState("refused"); say(t.not_found); return; }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (state.leaving || state.reconnectTimer) { return; }
    setState("reconnecting");
    say(t.reconnecting);
    var delay = Math.min(1000 * Math.pow(2, state.attempts), 10000);
    state.attempts += 1;
    state.reconnectTimer = setTimeout(function () { state.reconnectTimer = null; connect(); }, delay);
  }

  window.addEventListener("online", function () {
    if (!state.ws && !state.leaving) {
      clearTimeout(state.reconnectTimer); state.reconnectTimer = null; connect();
    }
  });

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        state.myId = frame.peer_id; state.iceServers = frame.ice_servers; state.attempts = 0;
        setState("joined");
        say(frame.peers.length ? t.connected : t.alone);
        frame.peers.forEach(function (info) { addPeer(info); });
        state.pingTimer = setInterval(function () { send({ type: "ping" }); }, 20000);
        break;
      case "peer-joined": addPeer(frame); say(fmt(t.peer_joined, frame)); break;
      case "peer-left": removePeer(frame.peer_id); break;
      case "offer": onOffer(frame); break;
      case "answer": onAnswer(frame); break;
      case "ice": onIce(frame); break;
      case "error": if (window.console) { console.warn("signaling error", frame.code, frame.message); } break;
      default: break;
    }
  }

  // --- peers --------------------------------------------------------------------------

  function addPeer(info) {
    if (state.peers[info.peer_id]) { return state.peers[info.peer_id]; }
    var pc = new RTCPeerConnection({ iceServers: state.iceServers });
    var peer = { info: info, pc: pc, offerer: !!info.offer, pending: [], tile: makeTile(info) };
    state.peers[info.peer_id] = peer;
    if (state.local) {
      state.local.getTracks().forEach(function (track) { pc.addTrack(track, state.local); });
    } else if (peer.offerer) {
      pc.addTransceiver("audio", { direction: "sendrecv" });
      pc.addTransceiver("video", { direction: "sendrecv" });
    }
    pc.ontrack = function (event) {
      var video = peer.tile.querySelector("video");
      if (video.srcObject !== event.streams[0]) {
        video.srcObject = event.streams[0] || new MediaStream([event.track]);
      }
    };
    pc.onicecandidate = function (event) {
      send({ type: "ice", to: info.peer_id, candidate: event.candidate ? event.candidate.toJSON() : null });
    };
    pc.oniceconnectionstatechange = function () { watchIce(peer); };
    pc.ondatachannel = function (event) { wireChannel(peer, event.channel, true); };
    if (peer.offerer) {
      wireChannel(peer, pc.createDataChannel("chat"), false);
      pc.onnegotiationneeded = function () { makeOffer(peer, false); };
    }
    return peer;
  }

  function wireChannel(peer, channel, greet) {
    peer.channel = channel;
    peer.messages = [];
    channel.onmessage = function (event) {
      var text = String(event.data);
      if (peer.messages.length < 200) { peer.messages.push(text.slice(0, 200)); }
      if (text.charAt(0) !== "{" || text.length > MAX_APP_MESSAGE) { return; }
      var data;
      try { data = JSON.parse(text); } catch (e) { return; }
      if (!data || typeof data !== "object" || typeof data.app !== "string") { return; }
      // The room knows no workflow: the page's workspace script decides what "app" means.
      document.dispatchEvent(new CustomEvent("room:data", { detail: {
        from: peer.info.peer_id, name: peer.info.name || "", data: data } }));
    };
    var hello = function () {
      channel.send("hello from " + state.myId);
      document.dispatchEvent(new CustomEvent("room:peer-open", { detail: { peer: peer.info.peer_id } }));
    };
    if (greet && channel.readyState === "open") { hello(); } else { channel.onopen = hello; }
  }

  // Send a workspace message (a JSON object with an "app" name) to every peer.
  state.broadcast = function (data) {
    var text = JSON.stringify(data);
    if (text.length > MAX_APP_MESSAGE) { return 0; }
    var sent = 0;
    Object.keys(state.peers).forEach(function (id) {
      var channel = state.peers[id].channel;
      if (channel && channel.readyState === "open") { channel.send(text); sent += 1; }
    });
    return sent;
  };

  function makeOffer(peer, restart) {
    var pc = peer.pc;
    if (pc.signalingState !== "stable") { return; }
    pc.createOffer(restart ? { iceRestart: true } : {}).then(function (offer) {
      return pc.setLocalDescription(offer);
    }).then(function () {
      send({ type: "offer", to: peer.info.peer_id, sdp: pc.localDescription.sdp, restart: !!restart });
    }).catch(function (err) { if (window.console) { console.warn("offer failed", err); } });
  }

  function onOffer(frame) {
    var peer = state.peers[frame.from] || addPeer({ peer_id: frame.from, role: "", name: "", offer: false });
    var pc = peer.pc;
    pc.setRemoteDescription({ type: "offer", sdp: frame.sdp }).then(function () {
      // Without a camera we still want to be able to send (screen sharing): make room.
      pc.getTransceivers().forEach(function (tr) {
        if (!tr.sender.track && tr.direction === "recvonly") { tr.direction = "sendrecv"; }
      });
      flushCandidates(peer);
      return pc.createAnswer();
    }).then(function (answer) {
      return pc.setLocalDescription(answer);
    }).then(function () {
      send({ type: "answer", to: frame.from, sdp: pc.localDescription.sdp });
    }).catch(function (err) { if (window.console) { console.warn("answer failed", err); } });
  }

  function onAnswer(frame) {
    var peer = state.peers[frame.from];
    if (!peer || peer.pc.signalingState !== "have-local-offer") { return; }
    peer.pc.setRemoteDescription({ type: "answer", sdp: frame.sdp }).then(function () {
      flushCandidates(peer);
    });
  }

  function onIce(frame) {
    var peer = state.peers[frame.from];
    if (!peer) { return; }
    if (!peer.pc.remoteDescription) { peer.pending.push(frame.candidate); return; }
    addCandidate(peer, frame.candidate);
  }

  function addCandidate(peer, candidate) {
    peer.pc.addIceCandidate(candidate || null).catch(function () { /* stale after restart */ });
  }

  function flushCandidates(peer) {
    var pending = peer.pending; peer.pending = [];
    pending.forEach(function (c) { addCandidate(peer, c); });
  }

  function watchIce(peer) {
    var ice = peer.pc.iceConnectionState;
    peer.tile.dataset.ice = ice;
    if (ice === "connected" || ice === "completed") {
      clearTimeout(peer.restartTimer); peer.restartTimer = null; say(t.connected);
      startTimer(); return;
    }
    if (!peer.offerer) { return; }
    if (ice === "failed") { say(t.ice_restart); peer.pc.restartIce(); makeOffer(peer, true); }
    if (ice === "disconnected" && !peer.restartTimer) {
      // "disconnected" often heals by itself; restart ICE only if it lasts.
      peer.restartTimer = setTimeout(function () {
        peer.restartTimer = null;
        if (peer.pc.iceConnectionState === "disconnected") {
          say(t.ice_restart); peer.pc.restartIce(); makeOffer(peer, true);
        }
      }, 3000);
    }
  }

  function removePeer(peerId) {
    var peer = state.peers[peerId];
    if (!peer) { return; }
    delete state.peers[peerId];
    clearTimeout(peer.restartTimer);
    peer.pc.close();
    peer.tile.remove();
    say(fmt(t.peer_left, { name: peer.info.name || peerId }) +
        (Object.keys(state.peers).length ? "" : " " + t.alone));
  }

  function closeAllPeers() { Object.keys(state.peers).forEach(removePeer); }

  function makeTile(info) {
    var tile = document.createElement("div");
    tile.className = "tile remote";
    tile.dataset.peer = info.peer_id;
    var video = document.createElement("video");
    video.autoplay = true; video.playsInline = true;
    var label = document.createElement("span");
    label.className = "label";
    label.textContent = info.name || info.peer_id;
    var quality = document.createElement("span");
    quality.className = "quality";
    tile.appendChild(video); tile.appendChild(label); tile.appendChild(quality);
    videos.appendChild(tile);
    return tile;
  }

  // --- the call timer: from the first connected peer until leaving ------------------

  function startTimer() {
    if (state.callTimer) { return; }
    state.callStarted = Date.now();
    var el = $("call-timer");
    var tick = function () {
      var s = Math.floor((Date.now() - state.callStarted) / 1000);
      var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
      if (el) {
        el.textContent = (h ? h + ":" : "") + (m < 10 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
      }
    };
    tick();
    state.callTimer = setInterval(tick, 1000);
  }
  function stopTimer() { clearInterval(state.callTimer); state.callTimer = null; }

  // Leaving releases the camera and microphone: every track stopped, not just muted.
  function releaseMedia() {
    [state.local, state.screen].forEach(function (stream) {
      if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); }
    });
    state.local = null; state.screen = null;
    $("local-video").srcObject = null;
    roomEl.dataset.media = "released";
  }

  // --- the workspace panel a room kind may offer (e.g. a consultation's images) ------

  function loadWorkspace() {
    var panel = $("workspace");
    if (!panel || !config.workspace_url) { return; }
    fetch(config.workspace_url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("workspace " + r.status); } return r.text(); })
      .then(function (html) {
        panel.innerHTML = html;  // our own server's fragment, same origin
        panel.setAttribute("aria-busy", "false");
        document.dispatchEvent(new CustomEvent("room:workspace-loaded"));
      }).catch(function () { panel.setAttribute("aria-busy", "false"); panel.textContent = t.workspace_failed; });
  }

  // --- the connection indicator (getStats) -------------------------------------------

  function updateStats() {
    Object.keys(state.peers).forEach(function (id) {
      var peer = state.peers[id];
      peer.pc.getStats().then(function (report) {
        var rtt = null, lost = 0, received = 0;
        report.forEach(function (s) {
          if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" &&
              typeof s.currentRoundTripTime === "number") { rtt = s.currentRoundTripTime * 1000; }
          if (s.type === "inbound-rtp") { lost += s.packetsLost || 0; received += s.packetsReceived || 0; }
        });
        var loss = received + lost > 0 ? 100 * lost / (received + lost) : 0;
        var level = rtt === null ? "" : (rtt < 150 && loss < 2 ? "good" : (rtt < 400 && loss < 8 ? "fair" : "poor"));
        var el = peer.tile.querySelector(".quality");
        el.className = "quality " + level;
        el.textContent = rtt === null ? "…" : t.rtt + " " + Math.round(rtt) + " ms · " + t.loss + " " +
          loss.toFixed(1) + " % · " + t["quality_" + level];
        peer.tile.dataset.rtt = rtt === null ? "" : String(rtt);
      });
    });
  }

  // --- controls -----------------------------------------------------------------------

  function label(button, text) { button.textContent = text; }

  function setupControls() {
    var mute = $("btn-mute"), camera = $("btn-camera"), share = $("btn-share"), leave = $("btn-leave");
    label(mute, t.mute); label(camera, t.camera_off); label(share, t.share); label(leave, t.leave);
    // Offer screen sharing only where the browser can (phones mostly cannot).
    share.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    mute.onclick = function () {
      if (!state.local) { return; }
      var tracks = state.local.getAudioTracks();
      var on = tracks.length && !tracks[0].enabled;
      tracks.forEach(function (tr) { tr.enabled = !!on; });
      label(mute, on ? t.mute : t.unmute);
    };
    camera.onclick = function () {
      if (!state.local) { return; }
      var tracks = state.local.getVideoTracks();
      var on = tracks.length && !tracks[0].enabled;
      tracks.forEach(function (tr) { tr.enabled = !!on; });
      label(camera, on ? t.camera_off : t.camera_on);
    };
    share.onclick = function () {
      if (state.screen) { stopShare(); return; }
      if (!navigator.mediaDevices.getDisplayMedia) { return; }
      navigator.mediaDevices.getDisplayMedia({ video: true }).then(function (stream) {
        state.screen = stream;
        var track = stream.getVideoTracks()[0];
        track.onended = stopShare;
        replaceVideo(track);
        $("local-video").srcObject = stream;
        label(share, t.stop_share);
      }).catch(function () { /* the user cancelled the picker */ });
    };
    function stopShare() {
      if (!state.screen) { return; }
      state.screen.getTracks().forEach(function (tr) { tr.stop(); });
      state.screen = null;
      var camTrack = state.local ? state.local.getVideoTracks()[0] : null;
      replaceVideo(camTrack || null);
      $("local-video").srcObject = state.local;
      label(share, t.share);
    }
    leave.onclick = function () {
      if (state.leaving) {
        state.leaving = false; label(leave, t.leave);
        startLocalMedia().then(connect); return;
      }
      state.leaving = true;
      clearTimeout(state.reconnectTimer); state.reconnectTimer = null;
      if (state.ws) { state.ws.close(1000); }
      closeAllPeers();
      releaseMedia();
      stopTimer();
      label(share, t.share);
      setState("left");
      say(t.left);
      label(leave, t.rejoin);
    };
  }

  function replaceVideo(track) {
    Object.keys(state.peers).forEach(function (id) {
      state.peers[id].pc.getTransceivers().forEach(function (tr) {
        if (tr.receiver.track && tr.receiver.track.kind === "video") { tr.sender.replaceTrack(track); }
      });
    });
  }

  setupControls();
  window.addEventListener("pagehide", releaseMedia);
  loadWorkspace();
  state.statsTimer = setInterval(updateStats, 2000);
  startLocalMedia().then(connect);
})();
