"""The signed consultation report as a PDF people can print, file and verify.

reportlab with its built-in CID font STSong-Light (the reader supplies the glyphs, so no
font file ships), a QR code of the verify URL (reportlab's own QR widget, vector), and
the same bytes for a signed version every time: ``invariant`` output, the document date
taken from the signing time, nothing from the clock or the reader."""

from __future__ import annotations

import hashlib
import io
import time
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinics.consultations.models import Report
from cloudhospital.core.display import when

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

def verify_url(report: Report) -> str:
    path = reverse("consultations:report_verify", args=[report.consultation_id, report.version])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def fingerprint(report: Report) -> str:
    """SHA-256 of the signature, in groups of four: what a reader compares on the page."""
    digest = hashlib.sha256(bytes(report.signature or b"")).hexdigest().upper()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "base": base,
        "letterhead": ParagraphStyle("letterhead", parent=base, fontSize=18, leading=24,
                                     alignment=1),
        "title": ParagraphStyle("title", parent=base, fontSize=14, leading=22, alignment=1,
                                spaceBefore=4, spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=18,
                                  spaceBefore=8, spaceAfter=2),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12,
                                textColor=colors.HexColor("#444444")),
    }


def _text(value: object) -> str:
    return escape(str(value or "")).replace("\n", "<br/>")


class _Qr(Flowable):
    """The verify URL as a QR code (reportlab's own widget: vector, deterministic)."""

    def __init__(self, url: str, size: float = 30 * mm) -> None:
        super().__init__()
        self.url, self.size = url, size
        self.width = self.height = size

    def draw(self) -> None:
        widget = QrCodeWidget(self.url)
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(self.size, self.size,
                          transform=[self.size / (x1 - x0), 0, 0, self.size / (y1 - y0), 0, 0])
        drawing.add(widget)
        drawing.drawOn(self.canv, 0, 0)


def _stamp_from(report: Report) -> TimeStamp:
    """A reportlab TimeStamp at the signing time, so the document date never changes."""
    stamp = TimeStamp(invariant=1)
    t = report.signed_at.timestamp() if report.signed_at else 946684800.0
    stamp.t, stamp.lt = t, time.gmtime(t)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    return stamp


def render(report: Report, language: str = "zh-hans") -> bytes:
    """The PDF of a signed report version (the caller checked it is signed and visible)."""
    c = report.consultation
    author = report.author
    with translation.override(language):
        s = _styles()
        url = verify_url(report)
        identity = [
            [_("Patient"), c.patient.name, _("Sex"), c.patient.get_sex_display()],
            [_("Date of birth"), when(c.patient.date_of_birth), _("Urgency"),
             c.get_urgency_display()],
            [_("Requested by"), f"{c.inviting_institution} · {c.requested_by.real_name}",
             _("Consultation time"), when(c.scheduled_at) or "—"],
        ]
        table = Table([[Paragraph(_text(v), s["base"]) for v in row] for row in identity],
                      colWidths=[24 * mm, 61 * mm, 24 * mm, 61 * mm])
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF2F7")),
            ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#EEF2F7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        signer = Table([[
            [Paragraph(_text(line), s["base"]) for line in (
                _("Signed by: %(name)s, %(title)s") % {"name": author.real_name,
                                                       "title": author.title or "—"},
                _("Licence number: %(number)s") % {"number": author.licence_number or "—"},
                _("Signed at: %(time)s") % {"time": when(report.signed_at)},
                _("Report version: %(version)s") % {"version": report.version})]
            + [Paragraph(_text(_("Signature fingerprint (SHA-256):")), s["small"]),
               Paragraph(_text(fingerprint(report)), s["small"]),
               Paragraph(_text(_("Verify: %(url)s") % {"url": url}), s["small"])],
            _Qr(url)]], colWidths=[140 * mm, 32 * mm])
        signer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black)]))
        story = [
            Paragraph(_text(c.invited_institution), s["letterhead"]),
            Paragraph(_text(_("Remote consultation report")), s["title"]),
            table,
            Paragraph(_text(_("Clinical question")), s["heading"]),
            Paragraph(_text(c.clinical_question), s["base"]),
            Paragraph(_text(_("Findings")), s["heading"]),
            Paragraph(_text(report.findings), s["base"]),
            Paragraph(_text(_("Opinion")), s["heading"]),
            Paragraph(_text(report.opinion), s["base"]),
            Paragraph(_text(_("Recommendations")), s["heading"]),
            Paragraph(_text(report.recommendations), s["base"]),
            Spacer(1, 8 * mm),
            signer,
        ]
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer, pagesize=A4, invariant=1, leftMargin=18 * mm, rightMargin=18 * mm,
            topMargin=16 * mm, bottomMargin=16 * mm,
            title=str(_("Remote consultation report")), author=author.real_name,
            subject=str(c.invited_institution), creator="CloudHospital", producer="CloudHospital")
        stamp = _stamp_from(report)

        def on_page(canvas, _doc) -> None:  # type: ignore[no-untyped-def]
            canvas._doc._timeStamp = stamp
            canvas.setFont(FONT, 8)
            canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("Page %(n)s") % {
                "n": canvas.getPageNumber()})

        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
        return buffer.getvalue()
