"""WebSocket routes owned by the signaling app: one consumer for every room kind.

``/ws/<kind>s/<id>/signal/``: the kind names the resolver a workflow registered
(cloudhospital/core/rooms.py).
"""

from django.urls import re_path

from signaling.consumers import SignalingConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/(?P<kind>[a-z_]+)s/(?P<object_id>[A-Za-z0-9-]{1,64})/signal/$",
            SignalingConsumer.as_asgi()),
]
