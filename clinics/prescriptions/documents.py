"""The prescription as a document: a PDF 处方笺 in the usual layout, with a QR code to
the public verify page.

Pure Python: reportlab draws the page with its built-in CID font STSong-Light (Adobe's
Chinese font, referenced, not embedded: every PDF reader has it, no font file is
shipped) and its own QR code widget. The form is a Chinese legal document (处方管理办法
附件 处方标准: 前记、正文、后记), so its labels are Chinese whatever the user's language.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from clinics.access import MaybeRequest, User
from clinics.prescriptions import rules, signing
from clinics.prescriptions.models import Prescription
from cloudhospital.core.errors import InvalidTransition
from cloudhospital.security import audit

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

FREQUENCY_ZH = {"qd": "每日一次", "bid": "每日两次", "tid": "每日三次", "qid": "每日四次",
                "qn": "每晚一次", "qw": "每周一次"}
ROUTE_ZH = {"po": "口服", "inh": "吸入", "sc": "皮下注射", "sl": "舌下含服", "top": "外用"}
SEX_ZH = {"M": "男", "F": "女"}


def verify_url(rx: Prescription, request: MaybeRequest = None) -> str:
    """The public verify page of this prescription (what the QR code holds)."""
    path = reverse("prescriptions:verify", args=[rx.verify_code])
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.PRESCRIPTION_PUBLIC_URL.rstrip("/") + path


def wrap(value: str, size: float, width: float) -> list[str]:
    """Break text into lines of at most ``width`` points, character by character (Chinese
    has no spaces to break at)."""
    lines, line = [], ""
    for char in value.replace("\n", " "):
        if line and pdfmetrics.stringWidth(line + char, FONT, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def _local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def prescription_pdf(user: User, rx: Prescription, *, request: MaybeRequest = None) -> bytes:
    """The 处方笺 of an approved (or dispensed) prescription; printing is audited."""
    if not rx.is_valid:
        raise InvalidTransition(_("Only a prescription approved by the pharmacist can be "
                                  "printed."), status=rx.status)
    audit.record(user, "prescription.print", rx, request=request)
    return render_pdf(rx, verify_url(rx, request))


def render_pdf(rx: Prescription, url: str) -> bytes:
    buf = io.BytesIO()
    width, height = A5
    pdf = canvas.Canvas(buf, pagesize=A5, invariant=True)
    pdf.setTitle(f"处方笺 {rx.number}")
    pdf.setAuthor(rx.institution.name)
    left, right = 12 * mm, width - 12 * mm
    y = height - 16 * mm

    def text(x: float, y: float, value: str, size: float = 9.5, align: str = "left") -> None:
        pdf.setFont(FONT, size)
        {"left": pdf.drawString, "center": pdf.drawCentredString,
         "right": pdf.drawRightString}[align](x, y, value)

    # 前记
    text(width / 2, y, rx.institution.name, 13, "center")
    y -= 8 * mm
    text(width / 2, y, "处 方 笺", 16, "center")
    text(right, y, "长期处方" if rx.long_term else "普通处方", 9, "right")
    y -= 7 * mm
    text(left, y, f"处方编号：{rx.number}")
    text(right, y, f"开具日期：{_local(rx.signed_at or rx.created_at, '%Y-%m-%d')}", 9.5,
         "right")
    y -= 6 * mm
    patient = rx.patient
    age = rules.age_on(patient.date_of_birth, timezone.localdate(rx.signed_at or rx.created_at))
    text(left, y, f"姓名：{patient.name}    性别：{SEX_ZH.get(patient.sex, '')}    "
                  f"年龄：{age}岁    科别：互联网慢病复诊")
    y -= 6 * mm
    text(left, y, f"临床诊断：{rx.diagnosis.name}（{rx.diagnosis.icd10}）")
    if rx.guardian_present:
        text(right, y, "监护人在场", 9.5, "right")
    y -= 3 * mm
    pdf.line(left, y, right, y)
    # 正文
    y -= 8 * mm
    text(left, y, "Rp.", 14)
    for n, item in enumerate(rx.items.select_related("drug").order_by("position"), start=1):
        y -= 7 * mm
        drug = item.drug
        text(left + 8 * mm, y, f"{n}. {drug.name}  {drug.strength}", 10.5)
        text(right, y, f"× {item.quantity}{drug.package_unit}", 10.5, "right")
        y -= 5.5 * mm
        dose = format(item.dose.normalize(), "f")
        text(left + 12 * mm, y, f"用法：每次{dose}{item.unit}  "
                                f"{ROUTE_ZH.get(item.route, item.route)}  "
                                f"{FREQUENCY_ZH.get(item.frequency, item.frequency)}  "
                                f"共{item.days}天", 9)
    if rx.note:  # wrapped; at most four lines fit above the 后记
        lines = wrap(f"备注：{rx.note}", 9, right - left - 8 * mm)
        for n, line in enumerate(lines[:4]):
            y -= (7 if n == 0 else 4.5) * mm
            text(left + 8 * mm, y, line + ("…" if n == 3 and len(lines) > 4 else ""), 9)
    # 后记
    y = 62 * mm
    pdf.line(left, y + 5 * mm, right, y + 5 * mm)
    doctor = rx.doctor
    text(left, y, f"医师：{doctor.real_name}（执业证号 {doctor.licence_number}）")
    y -= 5.5 * mm
    text(left, y, f"电子签名：Ed25519 {signing.fingerprint(rx)}  {_local(rx.signed_at)}", 8)
    review = getattr(rx, "review", None)
    y -= 6 * mm
    if review is not None:
        text(left, y, f"审核药师：{review.pharmacist.real_name}  审核通过  "
                      f"{_local(review.reviewed_at)}")
    dispense = getattr(rx, "dispense", None) if rx.status == "dispensed" else None
    y -= 6 * mm
    text(left, y, "调配/发药：" + (f"{dispense.pharmacist.real_name}  "
                                    f"{_local(dispense.dispensed_at)}" if dispense else "—"))
    y -= 6 * mm
    text(left, y, f"有效期：自审核之日起，用药至 {rx.supply_end or ''}", 8.5)
    # QR code to the verify page, and the address in words for those without a camera.
    size = 26 * mm
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, right - size, 16 * mm)
    text(left, 12 * mm, "扫码或访问以下地址核验本处方：", 7.5)
    text(left, 8 * mm, url, 6.5)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
