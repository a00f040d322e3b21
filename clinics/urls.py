from django.urls import path

from clinics import views

app_name = "clinics"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_search, name="patient_search"),
]
