"""What extraction returns: pages of text and tables, the status and one clear reason."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 2**20
    max_unpacked_bytes: int = 200 * 2**20  # a DOCX/XLSX expanding past this is a bomb
    max_ratio: int = 100  # per zip entry over 1 MB unpacked
    timeout_s: float = 30.0
    memory_mb: int = 1024
    max_pages: int = 2000


@dataclass
class Page:
    number: int
    text: str
    tables: list[list[list[str]]] = field(default_factory=list)
    extractor: str = "text"


@dataclass
class Extraction:
    status: str  # completed | failed | skipped
    detected_type: str
    pages: list[Page] = field(default_factory=list)
    extractor: str = ""
    needs_ocr: bool = False
    error: str | None = None
    seconds: float = 0.0

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)


def memory_limit(limits: Limits, detected_type: str = "unknown") -> Extraction:
    """The result for a file whose extraction ran out of the worker's address space."""
    return Extraction("failed", detected_type,
                      error=f"memory limit: more than {limits.memory_mb} MB")


class Refused(Exception):
    """Bad input: the message is the reason recorded (status failed unless `skipped`)."""

    def __init__(self, reason: str, skipped: bool = False):
        super().__init__(reason)
        self.skipped = skipped


def clean(text: str) -> str:
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def table_text(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(cell for cell in row) for row in rows)
