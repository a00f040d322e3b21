"""Room pages for every room kind, and the room script."""

from django.urls import path, re_path

from signaling import views

app_name = "signaling"
urlpatterns = [
    # /<kind>s/<id>/room/ for every registered room kind (consultations, visits, ...).
    re_path(r"^(?P<kind>[a-z][a-z_]*)s/(?P<object_id>[^/]+)/room/$", views.room, name="room"),
    path("signaling/room.js", views.room_script, name="room_script"),
]
