"""WebSocket routes owned by the signaling app."""

websocket_urlpatterns: list = []
