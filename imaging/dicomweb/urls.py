"""PS3.18 resource paths, mounted at /dicomweb/."""

from django.urls import path

from imaging.dicomweb import views

S = "studies/<str:study_uid>"
SE = S + "/series/<str:series_uid>"
I = SE + "/instances/<str:sop_uid>"  # noqa: E741

urlpatterns = [
    path("studies", views.studies, name="dicomweb-studies"),
    path(S, views.study, name="dicomweb-study"),
    path(S + "/metadata", views.study_metadata),
    path(S + "/series", views.study_series),
    path(S + "/instances", views.study_instances),
    path(SE, views.series),
    path(SE + "/metadata", views.series_metadata),
    path(SE + "/thumbnail", views.series_thumbnail, name="dicomweb-series-thumbnail"),
    path(SE + "/instances", views.series_instances),
    path(I, views.instance),
    path(I + "/metadata", views.instance_metadata),
    path(I + "/rendered", views.instance_rendered, name="dicomweb-rendered"),
    path(I + "/thumbnail", views.instance_thumbnail),
    path(I + "/frames/<str:frame_list>", views.frames),
    path(I + "/frames/<str:frame_list>/rendered", views.frame_rendered),
]
