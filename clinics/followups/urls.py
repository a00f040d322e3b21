from django.urls import path

from clinics.followups import preferences, views

app_name = "followups"
urlpatterns = [
    path("", views.home, name="home"),
    path("book/", views.book, name="book"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("desk/", views.desk, name="desk"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("desk/call-next/", views.call_next, name="call_next"),
    path("desk/<int:pk>/complete/", views.complete, name="complete"),
]
