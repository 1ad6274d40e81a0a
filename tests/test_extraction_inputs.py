"""Extraction of each kind of file and each kind of bad input, through the worker pool where a
parser could hang, crash or run out of memory: every file gets a result with a reason and the
files after it still complete."""

from __future__ import annotations

import io
import os
import signal
import time
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from resources.extract import ExtractorPool, Limits, extract_file
from resources.extract.model import Extraction

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def pdf(lines: list[str], encrypt: bool = False, table: bool = False) -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    for line in lines:
        doc.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if table:
        with doc.table() as grid:
            for row in (("Product", "Fee"), ("Full appraisal", "$450"), ("Desktop", "$275")):
                cells = grid.row()
                for value in row:
                    cells.cell(value)
    if encrypt:
        doc.set_encryption(owner_password="owner", user_password="secret")
    return bytes(doc.output())


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pdf_text_and_a_table_drawn_with_rules(tmp_path: Path) -> None:
    result = extract_file(write(tmp_path, "fees.pdf", pdf(["Rates for 2026."], table=True)))
    assert result.status == "completed" and "Rates for 2026." in result.pages[0].text
    assert ["Full appraisal", "$450"] in result.pages[0].tables[0]
    assert result.pages[0].extractor == "pdfplumber"


def test_unicode_text_survives(tmp_path: Path) -> None:
    if not DEJAVU.exists():
        pytest.skip("no DejaVu font")
    doc = FPDF()
    doc.add_page()
    doc.add_font("dejavu", fname=str(DEJAVU))
    doc.set_font("dejavu", size=12)
    doc.multi_cell(0, 8, "Zürich – Straße 5, café 10 €")
    result = extract_file(write(tmp_path, "u.pdf", bytes(doc.output())))
    assert "Zürich – Straße 5, café 10 €" in result.pages[0].text


def test_bad_pdfs_say_what_is_wrong(tmp_path: Path) -> None:
    locked = extract_file(write(tmp_path, "locked.pdf", pdf(["secret"], encrypt=True)))
    assert (locked.status, locked.error) == ("failed", "encrypted: needs a password")
    cut = extract_file(write(tmp_path, "cut.pdf", pdf(["x" * 500])[:200]))
    assert cut.status == "failed" and cut.error.startswith("damaged")
    doc = FPDF()
    doc.add_page()
    doc.rect(10, 10, 50, 50, style="F")  # a page with no text at all
    blank = extract_file(write(tmp_path, "scan.pdf", bytes(doc.output())))
    assert blank.status == "completed" and blank.chars == 0


def test_docx_tables_headers_and_damage(tmp_path: Path) -> None:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Acme Appraisals - Confidential"
    document.add_paragraph("Before the table.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Rush", "$150"
    document.add_paragraph("After the table.")
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_file(write(tmp_path, "letter.pdf", buffer.getvalue()))  # misnamed
    assert (result.detected_type, result.status) == ("docx", "completed")
    text = result.pages[0].text
    assert text.index("Confidential") < text.index("Before") < text.index("Rush\t$150") < \
        text.index("After")
    assert result.pages[0].tables == [[["Rush", "$150"]]]
    cut = extract_file(write(tmp_path, "cut.docx", buffer.getvalue()[:3000]))
    assert cut.status == "failed" and cut.error.startswith("damaged")
    assert "Package not found" not in cut.error


def test_empty_huge_bomb_and_unknown_files_are_refused(tmp_path: Path) -> None:
    empty = extract_file(write(tmp_path, "e.pdf", b""))
    assert (empty.status, empty.error) == ("skipped", "empty file")
    huge = extract_file(write(tmp_path, "h.txt", b"a" * 5000), Limits(max_bytes=1000))
    assert huge.status == "skipped" and huge.error.startswith("too large")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (30 * 2**20))
    result = extract_file(write(tmp_path, "bomb.docx", bomb.getvalue()),
                          Limits(max_unpacked_bytes=10 * 2**20))
    assert result.status == "failed" and result.error.startswith("decompression bomb")
    odd = extract_file(write(tmp_path, "x.bin", bytes(range(256)) * 10))
    assert odd.status == "skipped" and odd.error.startswith("unsupported type")
    garbage = extract_file(write(tmp_path, "letter.docx", b"could not be saved\x00\x01" * 8))
    assert (garbage.status, garbage.error) == (
        "failed", "damaged: named letter.docx but the content is not a Word document")


def test_html_csv_and_latin1_text(tmp_path: Path) -> None:
    html = extract_file(write(tmp_path, "p.html", b"<html><script>x=1</script><body><h1>FAQ"
                              b"</h1><table><tr><td>Rush</td><td>$150</td></tr></table>"))
    assert "FAQ" in html.pages[0].text and "x=1" not in html.pages[0].text
    assert html.pages[0].tables == [[["Rush", "$150"]]]
    rows = extract_file(write(tmp_path, "c.csv", b"county,fee\nMarin,40\nSonoma,65\n"))
    assert rows.pages[0].tables == [[["county", "fee"], ["Marin", "40"], ["Sonoma", "65"]]]
    latin = extract_file(write(tmp_path, "n.txt", "Café crème à 5 €uros".encode("cp1252")))
    assert "Café crème" in latin.pages[0].text


def hang_or_crash(path: Path, limits: Limits) -> Extraction:
    """A parser that hangs, crashes or eats memory on some files: the pool's faults, made to
    happen on the file named for them."""
    if path.name.startswith("hang"):
        time.sleep(3600)
    if path.name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    if path.name.startswith("hog"):
        bytearray(4 * 2**30)
    return extract_file(path, limits)


def test_the_pool_survives_hangs_crashes_memory_and_vanished_files(tmp_path: Path) -> None:
    names = ["hang.txt", "a.txt", "crash.txt", "b.txt", "hog.txt", "gone.txt", "c.txt"]
    paths = [write(tmp_path, n, f"text of {n}".encode()) for n in names]
    (tmp_path / "gone.txt").unlink()
    with ExtractorPool(workers=2, limits=Limits(timeout_s=3, memory_mb=512),
                       extract=hang_or_crash) as pool:
        results = {p.name: r for p, r in pool.map(paths)}
    assert results["hang.txt"].error == "timeout: extraction took longer than 3 s"
    assert results["crash.txt"].error == "worker crashed (signal 9)"
    assert results["hog.txt"].error == "memory limit: more than 512 MB"
    assert results["gone.txt"].error == "file disappeared: gone.txt"
    for name in ("a.txt", "b.txt", "c.txt"):
        assert results[name].pages[0].text == f"text of {name}"


@pytest.mark.parametrize("path,word", [
    ("/usr/share/doc/libtasn1-doc/libtasn1.pdf", "ASN.1"),
    ("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf", "MIME"),
])
def test_real_world_pdfs_from_installed_packages(path: str, word: str) -> None:
    if not Path(path).exists():
        pytest.skip(f"{path} is not installed")
    result = extract_file(Path(path))
    assert result.status == "completed" and len(result.pages) > 1
    assert word in "\n".join(p.text for p in result.pages)
