"""WebSocket routes owned by the signaling app: one consumer for every room kind.

``/ws/consultations/<id>/signal/`` and ``/ws/visits/<id>/signal/`` differ only in the
kind their resolver is looked up by (see signaling/rooms.py).
"""

from django.urls import re_path

from signaling.consumers import SignalingConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/(?P<kind>[a-z_]+)s/(?P<object_id>[A-Za-z0-9-]{1,64})/signal/$",
            SignalingConsumer.as_asgi()),
]
