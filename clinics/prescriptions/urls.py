from django.urls import path

from clinics.prescriptions import views

app_name = "prescriptions"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("renewals/<int:pk>/decline/", views.decline_renewal, name="decline_renewal"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/pdf/", views.pdf, name="pdf"),
    path("<uuid:pk>/do/<str:name>/", views.step, name="step"),
]
