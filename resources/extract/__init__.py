"""Document text extraction: a file's type by its content, its pages of text and tables, and
worker processes that give each file a timeout and a memory limit."""

from resources.extract.detect import detect_type
from resources.extract.extractor import extract_file
from resources.extract.model import Extraction, Limits, Page
from resources.extract.pool import ExtractorPool

__all__ = ["Extraction", "ExtractorPool", "Limits", "Page", "detect_type", "extract_file"]
