"""HTTP routes: pages, the JSON API, health, admin. WebSockets live in asgi.py."""

from django.contrib import admin
from django.urls import include, path

from cloudhospital.api import api
from cloudhospital.core.health import healthz
from cloudhospital.core.login import ThrottledAdminLoginView, ThrottledLoginView

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before admin.site.urls: the admin's login goes through the same throttle.
    path("admin/login/", ThrottledAdminLoginView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    path("followups/", include("clinics.followups.urls")),
    path("referrals/", include("clinics.referrals.urls")),
    path("prescriptions/", include("clinics.prescriptions.urls")),
    path("", include("imaging.urls")),
    path("", include("signaling.urls")),
    path("", include("clinics.consultations.urls")),
    path("", include("clinics.urls")),
]

handler400 = "cloudhospital.core.views.bad_request"
handler403 = "cloudhospital.core.views.permission_denied"
handler404 = "cloudhospital.core.views.not_found"
handler500 = "cloudhospital.core.views.server_error"
