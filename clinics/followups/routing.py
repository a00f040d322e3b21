"""WebSocket routes owned by follow-up."""

from django.urls import path

from clinics.followups.consumers import FollowupsConsumer

websocket_urlpatterns: list = [
    path("ws/followups/", FollowupsConsumer.as_asgi()),
]
