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
guarded_app = ImagingBodyGuard(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from clinics.followups.routing import websocket_urlpatterns as followups_routes  # noqa: E402
from cloudhospital.core import daphne_budget  # noqa: E402
from cloudhospital.core.bodies import BodyBudget  # noqa: E402
from cloudhospital.core.websocket import origin_checked  # noqa: E402
from signaling.routing import websocket_urlpatterns as signaling_routes  # noqa: E402

# Daphne reads a whole body before the application sees it: check the budget where it
# learns the length (cloudhospital/core/daphne_budget.py).
daphne_budget.install()

application = ProtocolTypeRouter({
    # Bodies are measured (and API callers authenticated) before Django reads them.
    "http": BodyBudget(guarded_app),
    # Browsers' Origin must be ours; programs without one rely on their ticket.
    "websocket": origin_checked(AuthMiddlewareStack(URLRouter(
        [*signaling_routes, *followups_routes]
    ))),
})
