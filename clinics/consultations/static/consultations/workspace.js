/* The consultation's workspace in the live room: the viewer beside the video, and follow
 * mode ("跟随"). What one side shows (series, slice, window, zoom, pan) goes to the others
 * over the room's data channel (window.cloudRoom.broadcast, generic in signaling); a side
 * with 跟随 ticked applies what it receives. Either side leads simply by using its viewer;
 * "请对方跟随我" also asks the others to tick 跟随.
 */
(function () {
  "use strict";
  var APP = "viewer";

  function start() {
    var root = document.querySelector("#workspace [data-cloud-viewer]");
    if (!root || root.dataset.workspace || !window.CloudViewer) { return; }
    root.dataset.workspace = "1";
    var viewer = root.cloudViewer || window.CloudViewer.mount(root);
    window.cloudViewer = viewer;
    var follow = document.getElementById("ws-follow");
    var lead = document.getElementById("ws-lead");
    var status = document.getElementById("ws-follow-status");
    var seq = 0;

    function send(extra) {
      var view = viewer.getView();
      if (!view || !window.cloudRoom || !window.cloudRoom.broadcast) { return; }
      var message = { app: APP, seq: ++seq, view: view };
      Object.keys(extra || {}).forEach(function (k) { message[k] = extra[k]; });
      window.cloudRoom.broadcast(message);
    }
    root.addEventListener("cloudviewer:change", function () { send(); });
    lead.addEventListener("click", function () { send({ lead: true }); });
    document.addEventListener("room:data", function (event) {
      var d = event.detail, msg = d && d.data;
      if (!msg || msg.app !== APP || !msg.view || typeof msg.view !== "object") { return; }
      if (msg.lead === true) { follow.checked = true; }
      if (!follow.checked || !viewer.setView(msg.view)) { return; }
      status.textContent = (d.name || "") + " ▸ " + (Number(msg.view.slice) + 1);
      root.dataset.following = d.name || "peer";
    });
    // A newcomer asks nothing: the next change on either side brings it up to date; a
    // peer joining is a good moment to send ours.
    document.addEventListener("room:peer-open", function () { send(); });
  }
  document.addEventListener("room:workspace-loaded", start);
  start();
}());
