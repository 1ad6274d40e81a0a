"""The documents library end to end on both backends: an uploads folder of generated PDF, DOCX
(with a table), XLSX and broken files goes through the `documents` asset; the text comes back
as written, bad files fail with their reasons and the queue moves on; search puts the right
document first; a changed file is extracted again and a copy is stored once; tenants cannot
see each other's passages; the sensor launches one run for the tenants whose folders changed."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import docx
import openpyxl
import pytest
import sqlalchemy as sa
from fpdf import FPDF

from assets.documents import documents
from assets.partitions import TENANTS, partition_tags
from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from sensors.documents import documents_sensor
from services.documents.search import search
from tests.cli import steward
from tests.helpers import resources, rows

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
FEES = ("Fee Schedule 2026", ["Full residential appraisal: $450.",
                              "Rush delivery within 48 hours adds $150 to the fee.",
                              "Desktop appraisal: $275. Payment is due on delivery."])
SOP = ("Standard Operating Procedure: Site Inspections",
       ["Inspectors photograph every elevation and the street scene.",
        "Lockbox codes are requested from the listing agent two days ahead.",
        "Cancellations within 24 hours of the inspection are charged a $75 trip fee."])


def pdf_bytes(title: str, lines: list[str], pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(NOW)
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(0, 10, f"{title} (page {n + 1})", new_x="LMARGIN", new_y="NEXT")
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("Engagement agreement between Acme Appraisals and First Lender.")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Product", "Turnaround"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Full appraisal", "5 business days"
    document.add_paragraph("Either party may end this agreement with 30 days notice.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Counties"
    sheet.append(["County", "Travel surcharge"])
    sheet.append(["Marin", 40])
    sheet.append(["Sonoma", 65])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fee-schedule.pdf").write_bytes(pdf_bytes(*FEES, pages=2))
    (folder / "inspections-sop.pdf").write_bytes(pdf_bytes(*SOP))
    (folder / "lender-agreement.docx").write_bytes(docx_bytes())
    (folder / "surcharges.xlsx").write_bytes(xlsx_bytes())
    data = docx_bytes()
    (folder / "scan-of-agreement.pdf").write_bytes(data[: len(data) // 2])  # a docx, cut short
    (folder / "broken.pdf").write_bytes(pdf_bytes(*SOP)[:300])
    (folder / "empty.pdf").write_bytes(b"")


@pytest.fixture
def library(db: Database, tmp_path: Path) -> Database:
    for slug in ("acme", "other"):
        add_tenant(db, slug)
        folder = tmp_path / slug / "uploads"
        folder.mkdir(parents=True)
        update_tenant(db, slug, settings_patch={"documents_dir": str(folder)})
    write_folder(tmp_path / "acme" / "uploads")
    return db


def materialize(db: Database, tenants: list[str]) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, tenants)
        result = dg.materialize([documents], instance=instance, tags=partition_tags(tenants),
                                resources=resources(db))
    assert result.success
    return result


def by_name(db: Database, slug: str = "acme") -> dict[str, dict]:
    return {d["filename"]: d for d in rows(db, schema.documents, slug)}


def page_text(db: Database, document_id: int) -> str:
    return "\n".join(p["text"] for p in rows(db, schema.document_pages)
                     if p["document_id"] == document_id)


def test_the_folder_is_extracted_and_bad_files_fail_with_reasons(library: Database) -> None:
    result = materialize(library, ["acme", "other"])
    docs = by_name(library)
    fees = docs["fee-schedule.pdf"]
    assert (fees["status"], fees["detected_type"], fees["pages"]) == ("completed", "pdf", 2)
    assert (fees["category"], fees["category_reason"]) == ("sop", "file name says 'fee schedule'")
    assert "Rush delivery within 48 hours adds $150" in page_text(library, fees["id"])
    agreement = docs["lender-agreement.docx"]
    assert agreement["category"] == "contract"
    text = page_text(library, agreement["id"])
    assert text.index("Engagement agreement") < text.index("5 business days") < text.index(
        "30 days notice")  # the table between the paragraphs, where it was written
    sheet = docs["surcharges.xlsx"]
    assert sheet["detected_type"] == "xlsx" and "Sonoma\t65" in page_text(library, sheet["id"])
    assert docs["scan-of-agreement.pdf"]["detected_type"] == "docx"
    assert docs["scan-of-agreement.pdf"]["error"].startswith("damaged")
    assert docs["broken.pdf"]["status"] == "failed" and docs["broken.pdf"]["error"]
    assert (docs["empty.pdf"]["status"], docs["empty.pdf"]["error"]) == ("skipped", "empty file")
    check = {c.check_name: c for c in result.get_asset_check_evaluations()}
    failures = check["extraction_failures"]
    assert not failures.passed and failures.severity == dg.AssetCheckSeverity.WARN
    listed = failures.metadata["files"].value
    assert "broken.pdf" in listed and "scan-of-agreement.pdf" in listed
    assert check["tenants_failed"].passed
    metadata = result.asset_materializations_for_node("documents")[0].metadata
    assert metadata["status_completed"].value == 4 and metadata["index_chunks"].value > 0


def test_search_puts_the_right_document_first(library: Database) -> None:
    materialize(library, ["acme"])
    for query, expected in (("rush delivery fee", "fee-schedule.pdf"),
                            ("lockbox code listing agent", "inspections-sop.pdf"),
                            ("how much notice to end the agreement", "lender-agreement.docx"),
                            ("Sonoma travel surcharge", "surcharges.xlsx")):
        hits = search(library, "acme", query)
        assert hits and hits[0].filename == expected, (query, [h.filename for h in hits])
    hit = search(library, "acme", "rush delivery")[0]
    page = next(p for p in rows(library, schema.document_pages)
                if p["document_id"] == hit.document_id and p["page"] == hit.page)
    assert page["text"][hit.offset:].startswith(hit.snippet.split()[0])
    assert search(library, "acme", "zebra unicorn") == []
    assert search(library, "other", "rush delivery fee") == []


def test_a_changed_file_is_extracted_again_and_a_copy_is_stored_once(
        library: Database, tmp_path: Path) -> None:
    materialize(library, ["acme"])
    folder = tmp_path / "acme" / "uploads"
    first = by_name(library)["inspections-sop.pdf"]
    (folder / "inspections-sop.pdf").write_bytes(pdf_bytes(SOP[0], ["Drones need a permit."]))
    (folder / "copy-of-fees.pdf").write_bytes((folder / "fee-schedule.pdf").read_bytes())
    materialize(library, ["acme"])
    docs = by_name(library)
    again = docs["inspections-sop.pdf"]
    assert again["id"] == first["id"] and again["sha256"] != first["sha256"]
    assert "Drones need a permit" in page_text(library, again["id"])
    assert "Lockbox" not in page_text(library, again["id"])
    assert "copy-of-fees.pdf" not in docs
    assert search(library, "acme", "drones permit")[0].filename == "inspections-sop.pdf"
    assert not [h for h in search(library, "acme", "lockbox codes requested")
                if "Lockbox" in h.body]  # the old text left the index with its chunks


@pytest.mark.postgres
def test_row_level_security_hides_another_tenants_chunks(library: Database) -> None:
    if not library.is_postgres:
        pytest.skip("row-level security is PostgreSQL's")
    materialize(library, ["acme"])
    with library.engine.connect() as conn, conn.begin():
        other = conn.execute(sa.text("SELECT id FROM tenants WHERE slug = 'other'")).scalar()
        conn.execute(sa.text("SELECT set_config('steward.tenant_id', :t, true)"),
                     {"t": str(other)})
        seen = conn.execute(sa.text(
            "SELECT count(*) FROM document_chunks WHERE search @@ plainto_tsquery('rush')"
        )).scalar()
        plan = "\n".join(r[0] for r in conn.execute(sa.text(
            "EXPLAIN SELECT id FROM document_chunks WHERE search @@ plainto_tsquery('rush')")))
    assert seen == 0
    assert "ix_document_chunks_search" in plan  # the GIN index is used under the policy


def test_the_sensor_launches_one_run_for_the_changed_folders(
        library: Database, tmp_path: Path) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme", "other"])
        first = documents_sensor(dg.build_sensor_context(instance=instance, cursor=None),
                                 database=library)
        assert len(first.run_requests) == 1  # the empty folder of `other` is no reason
        assert first.run_requests[0].tags["dagster/partition"] == "acme"
        cursor = first.cursor
        quiet = documents_sensor(dg.build_sensor_context(instance=instance, cursor=cursor),
                                 database=library)
        assert not quiet.run_requests
        new = tmp_path / "other" / "uploads" / "faq.pdf"
        new.write_bytes(pdf_bytes("FAQ", ["We serve Marin and Sonoma."]))
        os.utime(new, (NOW.timestamp(), NOW.timestamp()))
        moved = documents_sensor(dg.build_sensor_context(instance=instance, cursor=cursor),
                                 database=library)
        assert len(moved.run_requests) == 1
        assert moved.run_requests[0].tags["dagster/partition"] == "other"
        assert json.loads(moved.cursor).keys() == {"acme", "other"}


def test_steward_docs_lists_shows_searches_and_recategorizes(library: Database) -> None:
    materialize(library, ["acme"])
    env = {**os.environ, "STEWARD_DATABASE_URL": library.resolved_url(), "STEWARD_ACTOR": "pat"}
    failed = steward(env, "docs", "list", "--tenant", "acme", "--status", "failed").stdout
    assert "broken.pdf" in failed and "fee-schedule.pdf" not in failed
    assert "damaged" in failed  # the DOCX cut short, whatever its name says
    fees = by_name(library)["fee-schedule.pdf"]
    shown = steward(env, "docs", "show", str(fees["id"]), "--tenant", "acme").stdout
    assert "category_reason: file name says 'fee schedule'" in shown
    assert "--- page 2 (pypdfium2, 0 table(s)) ---" in shown and "Rush delivery" in shown
    found = steward(env, "docs", "search", "--tenant", "acme", "rush delivery fee").stdout
    assert found.startswith(f"1. #{fees['id']} fee-schedule.pdf (sop), page ")
    only = steward(env, "docs", "search", "--tenant", "acme", "agreement notice",
                   "--category", "sop").stdout
    assert "lender-agreement.docx" not in only
    agreement = by_name(library)["lender-agreement.docx"]
    steward(env, "docs", "category", str(agreement["id"]), "internal", "--tenant", "acme")
    assert (by_name(library)["lender-agreement.docx"]["category"],
            by_name(library)["lender-agreement.docx"]["category_by"]) == ("internal", "pat")
    assert "chunks" in steward(env, "docs", "reindex", "--tenant", "acme").stdout
    assert "unknown category 'memo'" in steward(
        env, "docs", "search", "--tenant", "acme", "x", "--category", "memo", ok=False).stderr
    assert "no document 999" in steward(env, "docs", "show", "999", "--tenant", "acme",
                                        ok=False).stderr


def test_a_file_taken_out_of_the_folder_leaves_the_library(
        library: Database, tmp_path: Path) -> None:
    materialize(library, ["acme"])
    folder = tmp_path / "acme" / "uploads"
    assert search(library, "acme", "rush delivery fee")[0].filename == "fee-schedule.pdf"
    (folder / "fee-schedule.pdf").unlink()  # an outdated fee schedule, taken down
    result = materialize(library, ["acme"])
    assert "fee-schedule.pdf" not in by_name(library)
    assert not [h for h in search(library, "acme", "rush delivery fee")
                if h.filename == "fee-schedule.pdf"]
    figures = result.asset_materializations_for_node("documents")[0].metadata
    assert (figures["files_removed_now"].value, figures["files_new_now"].value) == (1, 0)
    kept = set(by_name(library))
    for path in folder.iterdir():  # an emptied folder (or an unmounted share) removes nothing
        path.unlink()
    materialize(library, ["acme"])
    assert set(by_name(library)) == kept
