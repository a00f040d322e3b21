"""Login with throttling: after N failures for a username or an address, wait."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.utils.translation import gettext as _

from cloudhospital.security import audit


def _keys(request) -> list[str]:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return [f"login-fail:user:{username}", f"login-fail:addr:{audit.client_address(request)}"]


def is_locked(request) -> bool:
    return any((cache.get(key) or 0) >= settings.LOGIN_FAILURE_LIMIT for key in _keys(request))


def note_failure(request) -> None:
    for key in _keys(request):
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


class ThrottledLoginView(LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if is_locked(request):
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Try again in 15 minutes."))
            audit.record(None, "login.throttled", object_type="auth.user",
                         object_id=request.POST.get("username", "")[:64], request=request)
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
