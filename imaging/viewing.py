"""What the viewer page (and the consultation workspace) hands to viewer.js.

The viewer gets the study's series (instance UIDs in instance-number order), the window
presets with their Chinese names and the patient line already decoded; per-image
geometry (PixelSpacing, slice location, orientation) it reads from DICOMweb metadata,
which checks access and audits like every other read.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from imaging import display
from imaging import render as rendering
from imaging.models import Study


def preset_labels() -> dict[str, str]:
    return {"lung": _("肺窗"), "mediastinum": _("纵隔窗"), "bone": _("骨窗"),
            "brain": _("脑窗"), "soft_tissue": _("软组织窗")}


def patient_identity(study: Study) -> dict:
    patient = study.patient
    return display.identity(patient.patient_name, patient.sex, patient.birth_date,
                            patient.patient_id)


def viewer_strings() -> dict[str, str]:
    return {
        "loading": _("还在加载 %(done)s/%(total)s"), "default": _("默认窗"),
        "slice": _("层"), "thickness": _("层厚"), "location": _("位置"),
        "zoom": _("缩放"), "no_spacing": _("无像素间距，单位为像素"),
        "play": _("播放"), "pause": _("暂停"),
    }


def viewer_context(study: Study, consultation: str = "") -> dict:
    series = []
    for s in study.series.all():
        instances = list(s.instances.order_by("instance_number", "id")
                         .values_list("sop_instance_uid", "number_of_frames"))
        series.append({"uid": s.series_instance_uid, "modality": s.modality,
                       "number": s.series_number, "description": s.series_description,
                       "images": [[uid, frames] for uid, frames in instances]})
    labels = preset_labels()
    presets = [{"key": key, "label": labels.get(key, key), "center": c, "width": w}
               for key, (c, w) in rendering.PRESETS.items()]
    identity = patient_identity(study)
    study_line = {"date": display.date_label(study.study_date),
                  "time": display.time_label(study.study_time),
                  "description": study.study_description}
    return {
        "study": study, "series": series, "presets": presets, "identity": identity,
        "study_line": study_line, "consultation": consultation,
        "viewer_data": {"study": study.study_instance_uid, "series": series,
                        "presets": presets, "identity": identity, "study_line": study_line,
                        "strings": viewer_strings()},
    }
