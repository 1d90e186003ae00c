"""The invoice as a PDF, drawn with fpdf2 in a built-in core font (no font files, no network).

Core fonts carry the Windows-1252 character set, which has the pound sign, dashes and curly
quotes; letters outside it (a name written in Polish or Greek, say) are printed without their
accents, or as "?" when there is no close letter. The HTML invoice always shows them exactly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.http import HttpResponse
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from tutela.commerce.models import Invoice, Payment
from tutela.commerce.selectors import invoice_payment
from tutela.commerce.templatetags.money import pounds
from tutela.policy.api import Policy, current_policy

ENCODING = "windows-1252"
FONT = "Helvetica"
# Letters with a stroke have no Unicode decomposition to strip an accent from.
_STROKED = str.maketrans("\u0141\u0142\u0110\u0111\u0126\u0127\u0166\u0167\u0131", "LlDdHhTti")


def pdf_text(value: object) -> str:
    """`value` as text the core font can print (see the module docstring)."""
    text = str(value)
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        chars = []
        for char in text:
            try:
                char.encode(ENCODING)
            except UnicodeEncodeError:
                base = unicodedata.normalize("NFKD", char.translate(_STROKED))
                base = "".join(c for c in base if not unicodedata.combining(c))
                try:
                    base.encode(ENCODING)
                except UnicodeEncodeError:
                    base = "?"
                chars.append(base or "?")
            else:
                chars.append(char)
        text = "".join(chars)
    return text


class _InvoicePDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 20, 20)

    def line_of(self, text: str, *, size: float = 10, style: str = "", height: float = 5) -> None:
        self.set_font(FONT, style=style, size=size)
        self.cell(text=pdf_text(text), h=height, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def invoice_pdf(invoice: Invoice, *, seller: Policy, payment: Payment | None) -> bytes:
    """The invoice as PDF bytes: seller, buyer, number and dates, lines, VAT and totals."""
    pdf = _InvoicePDF()
    pdf.set_title(pdf_text(f"Invoice {invoice.number}"))
    pdf.set_author(pdf_text(seller.controller.name))
    pdf.set_creation_date(invoice.issued_at)
    pdf.add_page()

    controller = seller.controller
    pdf.line_of(controller.name, size=16, style="B", height=8)
    address = controller.registered_address
    pdf.line_of(f"{address.street}, {address.city} {address.postcode}")
    pdf.line_of(f"Registered in {controller.jurisdiction}, company no. {controller.company_number}")
    pdf.ln(6)

    pdf.line_of(f"Invoice {invoice.number}", size=14, style="B", height=7)
    issued = timezone.localtime(invoice.issued_at)
    pdf.line_of(f"Date of issue and of supply: {issued:%d %B %Y}")
    pdf.line_of(f"Order reference: {invoice.order.reference}")
    pdf.ln(4)

    pdf.line_of("Billed to", style="B")
    for line in invoice.billing_lines:
        pdf.line_of(line)
    pdf.ln(6)

    _lines_table(pdf, invoice.lines)
    pdf.ln(2)
    _totals(pdf, invoice)
    pdf.ln(6)
    if payment is not None:
        paid = timezone.localtime(payment.created_at)
        pdf.line_of(
            f"Paid on {paid:%d %B %Y} by {payment.card_brand} card ending {payment.card_last4}."
        )
    return bytes(pdf.output())


def _lines_table(pdf: _InvoicePDF, lines: Sequence[dict[str, object]]) -> None:
    pdf.set_font(FONT, size=10)
    with pdf.table(
        col_widths=(90, 20, 30, 30),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
    ) as table:
        table.row(["Description", "Quantity", "Unit price", "Amount"])
        for line in lines:
            table.row(
                [
                    pdf_text(line["description"]),
                    str(line["quantity"]),
                    pdf_text(pounds(line["unit_price_pence"])),
                    pdf_text(pounds(line["line_total_pence"])),
                ]
            )


def _totals(pdf: _InvoicePDF, invoice: Invoice) -> None:
    rows = (
        ("Subtotal (excluding VAT)", invoice.subtotal_pence, ""),
        (f"VAT at {invoice.vat_rate_percent}%", invoice.vat_pence, ""),
        ("Total", invoice.total_pence, "B"),
    )
    for label, amount, style in rows:
        pdf.set_font(FONT, style=style, size=10)
        pdf.cell(w=140, h=6, text=pdf_text(label), align=Align.R)
        pdf.cell(w=30, h=6, text=pdf_text(pounds(amount)), align=Align.R)
        pdf.ln(6)


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """The invoice's PDF, shown in the browser and saved as `<invoice number>.pdf`."""
    content = invoice_pdf(invoice, seller=current_policy(), payment=invoice_payment(invoice))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response
