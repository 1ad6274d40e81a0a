"""Demo documents: appraisal reports and invoices as PDF, letters and checklists as DOCX, the
tenant's fee schedule (PDF) and FAQ (DOCX) that inquiries are answered from, plus one corrupt
file of each kind so ingestion has something to quarantine.

Both formats embed dates (PDF metadata, DOCX core properties and zip entry times); all of them are
pinned to the demo's clock so the same seed writes byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import docx
from fpdf import FPDF

from pipelines.demo.spec import CATALOG, Row, TenantSpec

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CHECKLIST = ("Exterior photographs, all elevations", "Interior walk-through, all rooms",
             "Smoke and CO detectors present", "Water heater double-strapped",
             "Measurements and floor plan sketch", "Comparable sales verified")


def pdf_bytes(title: str, lines: list[str], created: datetime) -> bytes:
    """A one-page PDF in the core Helvetica font (latin-1 text only)."""
    pdf = FPDF()
    pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.set_author("Steward demo")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def docx_bytes(title: str, paragraphs: list[str], created: datetime,
               checklist: tuple[str, ...] = ()) -> bytes:
    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if checklist:
        table = document.add_table(rows=1, cols=2)
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Item", "Done"
        for item in checklist:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = item, "[ ]"
    naive = created.astimezone(UTC).replace(tzinfo=None)
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, "Steward demo", "Steward demo"
    props.created = props.modified = props.last_printed = naive
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return _pinned_zip(buffer.getvalue(), naive)


def _pinned_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite a zip with fixed entry times; python-docx stamps entries with the current time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _report(spec: TenantSpec, order: Row, when: datetime) -> tuple[str, str, bytes]:
    value = int(order["fee_amount"] * 700 // 1000) * 1000
    return (f"appraisal-report-{order['order_number']}.pdf", PDF, pdf_bytes(
        "Uniform Residential Appraisal Report", [
            f"Order: {order['order_number']}", f"Client: {order['account_name']}",
            f"Subject property: {order['property_address']}",
            f"Borrower: {order['borrower_name']}", f"Opinion of market value: ${value:,}",
            f"Effective date: {when:%B %d, %Y}", f"Prepared by {spec.name}",
        ], when))


def _invoice(spec: TenantSpec, order: Row, when: datetime) -> tuple[str, str, bytes]:
    return (f"invoice-{order['order_number']}.pdf", PDF, pdf_bytes(
        f"Invoice INV-{order['order_number'][4:]}", [
            f"{spec.name} - billing@{spec.domain}", f"Bill to: {order['account_name']}",
            f"Order: {order['order_number']} ({order['product_sku']})",
            f"Property: {order['property_address']}", f"Fee: ${order['fee_amount']}",
            f"Technology fee: ${order['tech_fee']}", f"Total due: ${order['total_amount']}",
        ], when))


def _letter(spec: TenantSpec, order: Row, when: datetime) -> tuple[str, str, bytes]:
    return (f"engagement-letter-{order['order_number']}.docx", DOCX, docx_bytes(
        "Engagement Letter", [
            f"Date: {when:%B %d, %Y}",
            f"This letter confirms that {spec.name} is engaged by {order['account_name']} to "
            f"appraise {order['property_address']} under order {order['order_number']}.",
            f"The agreed fee is ${order['fee_amount']} plus a technology fee of "
            f"${order['tech_fee']}, payable on the client's terms.",
            f"Sincerely,\n{spec.name}",
        ], when))


def _checklist(spec: TenantSpec, order: Row, when: datetime) -> tuple[str, str, bytes]:
    return (f"inspection-checklist-{order['order_number']}.docx", DOCX, docx_bytes(
        "Property Inspection Checklist", [
            f"Order {order['order_number']} - {order['property_address']}",
            f"Property contact: {order['property_contact_name'] or 'to be confirmed'} "
            f"{order['property_contact_phone'] or ''}".rstrip(),
            f"Inspector: {spec.name}",
        ], when, CHECKLIST))


MAKERS: tuple[Callable[[TenantSpec, Row, datetime], tuple[str, str, bytes]], ...] = (
    _report, _letter, _invoice, _checklist)


def _operating(spec: TenantSpec, created: datetime) -> list[tuple[str, str, bytes, None]]:
    """The tenant's own rules a client may ask about: fees and turn times, how to schedule."""
    fees = [f"{name} ({sku}): fee ${price} plus a ${tech} technology fee."
            for sku, name, price, tech, _ in CATALOG]
    fees += ["Turn time: appraisals are delivered within 5 business days of the inspection.",
             "Rush delivery within 48 hours adds $150 to the fee.",
             "Payment is due on delivery; lenders on account are invoiced monthly."]
    faq = ["How do I schedule an inspection? Reply to any of our emails with two times that "
           "suit you, and we confirm within one business day.",
           "Can I reschedule an inspection? Yes, at no charge up to 24 hours before; later "
           "cancellations carry a $75 trip fee.",
           f"Which areas do you cover? {spec.name} covers the metro area and the counties next "
           "to it; travel beyond 50 miles adds a mileage fee.",
           "What do you need to start an order? The property address, the borrower's name, "
           "the loan type and an access contact."]
    return [("fee-schedule.pdf", PDF, pdf_bytes(f"{spec.name} Fee Schedule", fees, created),
             None),
            ("faq.docx", DOCX, docx_bytes("Frequently Asked Questions", faq, created), None)]


def _corrupt(created: datetime) -> list[tuple[str, str, bytes, None]]:
    """A PDF cut in half (an interrupted upload) and a DOCX that is not a zip at all."""
    report = pdf_bytes("Appraisal Report", ["This upload was interrupted."], created)
    return [("corrupt-report.pdf", PDF, report[: len(report) // 2], None),
            ("corrupt-letter.docx", DOCX, b"Word document could not be saved.\x00\x01" * 8, None)]


def write_documents(directory: Path, spec: TenantSpec, orders: list[Row], count: int,
                    now: datetime) -> list[Row]:
    """Write `count` order files, the fee schedule and FAQ, and the two corrupt ones; returns
    their `documents` rows, those of order files linked to orders through `order_ref`."""
    directory.mkdir(parents=True, exist_ok=True)
    usable = [o for o in orders if o["property_address"] and o["fee_amount"] > 0]
    usable.sort(key=lambda o: (o["status"] != "delivered", o["order_number"]))
    files: list[tuple[str, str, bytes, str | None]] = []
    for n in range(count if usable else 0):
        order = usable[n % len(usable)]
        when = order["delivered_at"] or order["ordered_at"]
        name, content_type, data = MAKERS[n % len(MAKERS)](spec, order, when)
        if any(name == f[0] for f in files):
            name = name.replace(".", f"-{n + 1}.", 1)
        files.append((name, content_type, data, order["order_number"]))
    files += _operating(spec, now) + _corrupt(now)
    rows = []
    for name, content_type, data, order_ref in files:
        path = directory / name
        path.write_bytes(data)
        stamp = now.timestamp()
        os.utime(path, (stamp, stamp))
        rows.append({
            "filename": name, "path": str(path), "content_type": content_type,
            "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "source": "upload", "origin": name, "status": "pending", "error": None,
            "order_ref": order_ref,
        })
    return rows
