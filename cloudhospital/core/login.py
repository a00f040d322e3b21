"""Login with throttling: after N failures for a username or an address, wait.

Both login doors (/accounts/login/ and /admin/login/) go through the same throttle. The
username is counted the way login reads it: Django's UsernameField applies NFKC, so
``ｃｌｉｎｉｃ＿ｄｏｃｔｏｒ３`` logs in as ``clinic_doctor3`` and must count against it too; the
key is also case-folded, so a variant spelling can only share a counter, never get a fresh
one. The address is the one clientip.client_ip vouches for (X-Forwarded-For only from
TRUSTED_PROXIES), so a forged header cannot reset it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from cloudhospital.security import audit
from cloudhospital.security.clientip import client_ip


def normalised_username(raw: str | None) -> str:
    """The username as the login form will look it up (NFKC, stripped), case-folded."""
    return (UsernameField().to_python(raw or "") or "")[:150].casefold()


def _keys(request) -> list[str]:
    username = normalised_username(request.POST.get("username"))
    # Hashed: cache keys must be short ASCII whatever the username holds (memcached, Redis).
    digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
    return [f"login-fail:user:{digest}", f"login-fail:addr:{client_ip(request)}"]


def is_locked(request) -> bool:
    return any((cache.get(key) or 0) >= settings.LOGIN_FAILURE_LIMIT for key in _keys(request))


def note_failure(request) -> None:
    for key in _keys(request):
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


class ThrottledLoginMixin:
    """Refuse with 429 while locked; count failures; clear the username's count on success."""

    def post(self, request, *args, **kwargs):
        if is_locked(request):
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Try again in 15 minutes."))
            audit.record(None, "login.throttled", object_type="auth.user",
                         object_id=normalised_username(request.POST.get("username"))[:64],
                         request=request)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        note_failure(self.request)
        return super().form_invalid(form)

    def form_valid(self, form):
        for key in _keys(self.request)[:1]:
            cache.delete(key)
        audit.record(form.get_user(), "login", object_type="auth.user",
                     object_id=str(form.get_user().pk), request=self.request)
        return super().form_valid(form)


class ThrottledLoginView(ThrottledLoginMixin, LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class ThrottledAdminLoginView(ThrottledLoginMixin, LoginView):
    """The admin's own login page (AdminSite.login), behind the same throttle."""

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and admin.site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=admin.site.name))
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index", current_app=admin.site.name)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request), title=_("Log in"),
                       subtitle=None, app_path=self.request.get_full_path(),
                       username=self.request.user.get_username())
        if REDIRECT_FIELD_NAME not in self.request.GET and \
                REDIRECT_FIELD_NAME not in self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=admin.site.name)
        return context
