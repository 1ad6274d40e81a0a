"""Extraction beyond the basics of tests/test_extraction_inputs.py: PDF pages in order with
words joined at PDFium's hyphen marks, pdfplumber asked only for pages with a grid of rules,
scanned PDFs, DOCX structure (nested and merged cells, content controls, headers once, footers
last), workbooks, HTML layout, delimited text, zip bombs by ratio, and a pool that a caller
stops early or whose idle worker dies."""

from __future__ import annotations

import io
import os
import signal
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from fpdf import FPDF
from PIL import Image

import resources.extract.extractor as extractor
from resources.extract import ExtractorPool, Limits, detect_type, extract_file

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LIBTASN1 = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pdf_pages_in_order_with_hyphenated_words_joined(tmp_path: Path) -> None:
    if not DEJAVU.exists():
        pytest.skip("no DejaVu font")
    doc = FPDF()
    doc.add_font("dejavu", fname=str(DEJAVU))
    doc.set_font("dejavu", size=12)
    for word in ("Ærøskøbing", "Kraków", "Ελλάδα"):
        doc.add_page()
        doc.multi_cell(0, 8, f"Inspection at {word}.", new_x="LMARGIN", new_y="NEXT")
    doc.multi_cell(0, 8, "The office handles records man-", new_x="LMARGIN", new_y="NEXT")
    doc.multi_cell(0, 8, "agement for the county.", new_x="LMARGIN", new_y="NEXT")
    result = extract_file(write(tmp_path, "visits.pdf", bytes(doc.output())))
    assert (result.status, result.detected_type, result.extractor) == (
        "completed", "pdf", "pypdfium2")
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert "Ærøskøbing" in result.pages[0].text and "Kraków" in result.pages[1].text
    assert "Ελλάδα" in result.pages[2].text
    assert "records management for" in result.pages[2].text


def test_only_a_grid_of_rules_sends_a_page_to_pdfplumber(tmp_path: Path) -> None:
    doc = FPDF()
    doc.set_font("helvetica", size=11)
    doc.add_page()  # a framed box and two underlines: no table
    doc.text(25, 30, "Boxed note")
    doc.rect(20, 20, 100, 30)
    doc.line(20, 70, 120, 70)
    doc.line(20, 80, 120, 80)
    doc.add_page()  # a table whose cells fpdf2 draws as boxes
    with doc.table() as grid:
        for values in (("County", "Fee"), ("Marin", "$40"), ("Sonoma", "$65")):
            row = grid.row()
            for value in values:
                row.cell(value)
    doc.add_page()  # a grid stroked as one path, as some generators do
    with doc.new_path() as path:
        for y in (20, 30, 40):
            path.move_to(20, y)
            path.line_to(120, y)
        for x in (20, 70, 120):
            path.move_to(x, 20)
            path.line_to(x, 40)
    for n, (left, right) in enumerate((("Rush", "$150"), ("Desk", "$275"))):
        doc.text(22, 27 + 10 * n, left)
        doc.text(72, 27 + 10 * n, right)
    result = extract_file(write(tmp_path, "mixed.pdf", bytes(doc.output())))
    boxed, ruled, stroked = result.pages
    assert (boxed.extractor, boxed.tables) == ("pypdfium2", [])
    assert "Boxed note" in boxed.text
    assert ruled.extractor == "pdfplumber"
    assert ruled.tables == [[["County", "Fee"], ["Marin", "$40"], ["Sonoma", "$65"]]]
    assert stroked.tables == [[["Rush", "$150"], ["Desk", "$275"]]]
    assert result.extractor == "pypdfium2+pdfplumber"


def test_a_scanned_pdf_needs_ocr_and_a_half_pdf_is_damaged(tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    Image.new("RGB", (120, 80), "gray").save(scan)
    doc = FPDF()
    for _ in range(2):
        doc.add_page()
        doc.image(str(scan), x=10, y=10, w=120)
    data = bytes(doc.output())
    result = extract_file(write(tmp_path, "scan.pdf", data))
    assert (result.status, result.needs_ocr, result.chars) == ("completed", True, 0)
    assert result.error.startswith("needs OCR: no text layer on 2 page")
    half = extract_file(write(tmp_path, "half.pdf", data[: len(data) // 2]))
    assert half.status == "failed" and half.error.startswith("damaged: ")


def docx_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_structure_in_reading_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Acme Appraisals letterhead"
    document.sections[0].footer.paragraphs[0].text = "Registered in Marin"
    document.add_paragraph("Dear client,")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Service"
    table.cell(0, 2).text = "Fee"
    table.cell(1, 0).text = "Rush"
    table.cell(1, 1).text = "Same day"
    inner = table.cell(1, 2).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "$150", "+tax"
    control = parse_xml(f"<w:sdt {W_NS}><w:sdtContent><w:p><w:r><w:t>Signed in a content "
                        "control</w:t></w:r></w:p></w:sdtContent></w:sdt>")
    document.element.body.insert(len(document.element.body) - 1, control)
    document.add_section()  # its header and footer are linked to the first section's
    document.add_paragraph("Yours, Ada")
    data = docx_bytes(document)
    result = extract_file(write(tmp_path, "letter.docx", data))
    page = result.pages[0]
    order = ["letterhead", "Dear client", "Service\tFee", "Rush\tSame day", "Signed in a content",
             "Yours, Ada", "Registered in Marin"]
    assert [page.text.index(s) for s in order] == sorted(page.text.index(s) for s in order)
    assert page.text.count("letterhead") == 1 and page.text.count("Registered") == 1
    assert page.tables[0][0] == ["Service", "Fee"]  # the merged cell once
    assert page.tables[0][1][:2] == ["Rush", "Same day"] and "$150" in page.tables[0][1][2]
    assert page.tables[1] == [["$150", "+tax"]]  # the nested table, after the one holding it
    cut = extract_file(write(tmp_path, "cut.docx", data[: len(data) // 2]))
    assert cut.detected_type == "docx"
    assert (cut.status, cut.error) == (
        "failed", "damaged: the file is cut short or not a complete DOCX")


def test_workbook_sheets_are_pages(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    fees = book.active
    fees.title = "Fees"
    fees.append(["County", "Fee", None])
    fees.append([None, None, None])
    fees.append(["Marin", 40, None])
    book.create_sheet("Notes").append(["Rates reviewed in March"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = extract_file(write(tmp_path, "fees.bin", buffer.getvalue()))
    assert (result.detected_type, result.extractor) == ("xlsx", "openpyxl")
    assert [p.number for p in result.pages] == [1, 2]
    assert result.pages[0].tables == [[["County", "Fee"], ["Marin", "40"]]]
    assert result.pages[0].text == "Fees\nCounty\tFee\nMarin\t40"
    assert "Rates reviewed in March" in result.pages[1].text


def test_a_zip_bomb_by_ratio_is_refused_unopened(tmp_path: Path) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", b"\0" * (20 * 2**20))  # well under 200 MB, ratio ~1000
    result = extract_file(write(tmp_path, "bomb.xlsx", bomb.getvalue()))
    assert result.status == "failed"
    assert result.error.startswith("decompression bomb: xl/workbook.xml expands")


def test_html_layout_and_delimited_text(tmp_path: Path) -> None:
    html = extract_file(write(tmp_path, "faq.htm", (
        b"<!DOCTYPE html><html><body><h2>Our <b>fees</b></h2><p>Call <a href='#'>us</a>\n"
        b"  today.<br>Open daily</p><table><tr><td>Rush</td><td>$150<table><tr><td>tax"
        b"</td></tr></table></td></tr></table></body></html>")))
    assert html.pages[0].text.splitlines()[:3] == ["Our fees", "Call us today.", "Open daily"]
    assert html.pages[0].tables == [[["Rush", "$150 tax"]], [["tax"]]]
    semicolons = write(tmp_path, "rates.txt", b"county;fee\nMarin;40\nSonoma;65\n")
    tabs = write(tmp_path, "rates.tsv", b"county\tfee\nMarin\t40\n")
    assert detect_type(semicolons) == detect_type(tabs) == "csv"
    assert extract_file(semicolons).pages[0].tables == [
        [["county", "fee"], ["Marin", "40"], ["Sonoma", "65"]]]
    assert extract_file(tabs).pages[0].tables == [[["county", "fee"], ["Marin", "40"]]]


def test_sizes_and_memory_in_one_clear_line(tmp_path: Path, monkeypatch) -> None:
    big = extract_file(write(tmp_path, "big.txt", b"a" * 5000), Limits(max_bytes=1000))
    assert big.error == "too large: 5,000 bytes over the 1,000 bytes limit"

    def exhausted(*args: object) -> None:
        raise MemoryError

    monkeypatch.setattr(extractor, "_pages", exhausted)
    result = extract_file(write(tmp_path, "a.txt", b"text"), Limits(memory_mb=256))
    assert (result.status, result.error) == ("failed", "memory limit: more than 256 MB")


def test_the_pool_after_an_early_stop_and_an_idle_worker_killed(tmp_path: Path) -> None:
    paths = [write(tmp_path, f"{n}.txt", f"text of {n}".encode()) for n in "abcd"]
    with ExtractorPool(workers=2) as pool:
        for _ in pool.map(paths[:2]):
            break  # the other file is still in its worker: it must not answer the next map
        assert dict(pool.map(paths[2:3]))[paths[2]].pages[0].text == "text of c"
        for worker in pool._workers:
            os.kill(worker.process.pid, signal.SIGKILL)
            worker.process.join(5)
        results = dict(pool.map(paths[3:]))
    assert [p.name for p in results] == ["d.txt"]
    assert results[paths[3]].pages[0].text == "text of d"


def test_a_real_manual_stays_on_the_fast_path(tmp_path: Path) -> None:
    if not LIBTASN1.exists():
        pytest.skip(f"{LIBTASN1} is not installed")
    result = extract_file(LIBTASN1)
    text = "\n".join(p.text for p in result.pages)
    assert result.extractor == "pypdfium2"  # underlines and framed listings are no tables
    assert "structures management" in text and "\x02" not in text
    misnamed = write(tmp_path, "manual.docx", LIBTASN1.read_bytes())
    assert extract_file(misnamed).pages[3].text == result.pages[3].text
