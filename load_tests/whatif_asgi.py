"""What-if, not shipped: CloudHospital's ASGI app with one change to the signaling consumer,
to measure a hot path found by profiling (docs/benchmarks.md, section 4).

Channels' ``AsyncConsumer.dispatch`` runs ``aclose_old_connections()`` before *every*
handler: a ``sync_to_async`` hop into the single thread-sensitive executor thread, for
every frame a peer sends and every relay event it receives. The signaling consumer does no
database work per frame (its database calls go through ``database_sync_to_async``, which
closes stale connections itself), so the variant here dispatches without that hop.
Whichever way the shipped consumer dispatches, the benchmark serves the *other* way from a
separate daphne (``load_tests.whatif_asgi:without_hop`` or ``:with_hop``), so each run
has a before/after pair.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.consumer import AsyncConsumer, get_handler_name  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from signaling.consumers import SignalingConsumer  # noqa: E402
from signaling.routing import websocket_urlpatterns  # noqa: E402


class WithoutHop(SignalingConsumer):
    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class WithHop(SignalingConsumer):
    dispatch = AsyncConsumer.dispatch  # channels' own, with aclose_old_connections()


def shipped_has_hop() -> bool:
    return SignalingConsumer.dispatch is AsyncConsumer.dispatch


def _application(consumer):
    routes = [re_path(p.pattern.regex.pattern, consumer.as_asgi())
              for p in websocket_urlpatterns]
    return ProtocolTypeRouter({
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routes))),
    })


without_hop = _application(WithoutHop)
with_hop = _application(WithHop)
