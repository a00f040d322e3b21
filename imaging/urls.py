"""Imaging routes: DICOMweb under /dicomweb/, pages under /imaging/."""

from django.urls import include, path

from imaging import views

app_name = "imaging"
urlpatterns = [
    path("dicomweb/", include("imaging.dicomweb.urls")),
    path("imaging/", views.studies, name="studies"),
    path("imaging/upload/", views.upload, name="upload"),
    path("imaging/studies/<str:study_uid>/", views.viewer, name="viewer"),
    path("imaging/studies/<str:study_uid>/attach/", views.attach, name="attach"),
    path("imaging/studies/<str:study_uid>/copy/", views.deidentified_copy, name="copy"),
    path("imaging/studies/<str:study_uid>/download/", views.download, name="download"),
]
