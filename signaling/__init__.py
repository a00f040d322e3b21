"""WebRTC signaling over Channels, ICE/TURN credentials, the aiortc client and recorder."""
