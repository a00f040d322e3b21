"""Room pages for every room kind, and the room script."""

from django.urls import path

from signaling import views

app_name = "signaling"
urlpatterns = [
    path("consultations/<uuid:object_id>/room/", views.room, {"kind": "consultation"},
         name="consultation_room"),
    path("visits/<str:object_id>/room/", views.room, {"kind": "visit"}, name="visit_room"),
    path("signaling/room.js", views.room_script, name="room_script"),
]
