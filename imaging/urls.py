"""Imaging routes: DICOMweb under /dicomweb/, pages under /imaging/."""

from django.urls import include, path

urlpatterns = [
    path("dicomweb/", include("imaging.dicomweb.urls")),
]
