from django.urls import path

from clinics.consultations import printing, views

app_name = "consultations"
urlpatterns = [
    path("consultations/", views.consultation_list, name="consultation_list"),
    path("consultations/new/", views.consultation_new, name="consultation_new"),
    path("consultations/<uuid:pk>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<uuid:pk>/do/<str:step>/", views.consultation_step,
         name="consultation_step"),
    path("consultations/<uuid:pk>/workspace/", views.workspace, name="workspace"),
    path("consultations/<uuid:pk>/report/", views.report_editor, name="report_editor"),
    path("consultations/<uuid:pk>/reports/<int:version>.pdf", printing.report_pdf_view,
         name="report_pdf"),
    path("consultations/<uuid:pk>/reports/<int:version>/verify/", printing.report_verify,
         name="report_verify"),
    path("me/", views.patient_home, name="patient_home"),
]
