"""ASGI entry point: HTTP through Django, WebSockets through each app's routing."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if settings.SERVE_STATIC:
    # One-command runs have no nginx in front: daphne serves /static/ itself. In the
    # production topology nginx serves STATIC_ROOT and SERVE_STATIC is off.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from imaging.bodyguard import ImagingBodyGuard  # noqa: E402

# Credentials and size before Django reads a STOW or upload body (imaging/bodyguard.py).
django_asgi_app = ImagingBodyGuard(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from clinics.followups.routing import websocket_urlpatterns as followups_routes  # noqa: E402
from signaling.routing import websocket_urlpatterns as signaling_routes  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(
        [*signaling_routes, *followups_routes]
    ))),
})
