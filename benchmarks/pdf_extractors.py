"""Which library reads a PDF's text best: each candidate extracts the PDFs in
`tests/fixtures/pdf/` (a one-column report and a two-column one whose file order is not its
reading order, both with running headers, page-number footers and words hyphenated at line
ends), scored against each file's `.json`: the share of paragraphs found whole (line-end hyphens
joined), whether they come in reading order, the share of headers and footers dropped, and the
time per file (best of 5).

    python benchmarks/pdf_extractors.py            # the comparison table (Markdown)
    python benchmarks/pdf_extractors.py --hostile  # large and hostile PDFs through the reader

pypdf is not a dependency of the bot: `pip install pypdf` to compare with it.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures" / "pdf"
TEXT_PDFS = ("report-simple", "report-two-column")

import reader_runs  # noqa: E402

from bot.readers.article import fold  # noqa: E402

Extractor = reader_runs.Extractor


def pypdf_plain(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def pypdf_layout(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text(extraction_mode="layout")
                     for page in PdfReader(BytesIO(data)).pages)


def pdfminer_text(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(BytesIO(data))


CANDIDATES: dict[str, tuple[str, Extractor]] = {
    "pypdf (extract_text)": ("pypdf", pypdf_plain),
    "pypdf (extraction_mode='layout')": ("pypdf", pypdf_layout),
    "pdfminer.six (extract_text)": ("pdfminer", pdfminer_text),
    "bot.readers.pdf (the reader)": ("pdfminer", reader_runs.the_reader("file.pdf")),
}


def dehyphenated(text: str) -> str:
    return re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)


def score(extract: Extractor) -> tuple[float, float, float, float]:
    found = in_order = dropped = 0
    n_par = n_boiler = 0
    seconds = 0.0
    for name in TEXT_PDFS:
        data = (FIXTURES / f"{name}.pdf").read_bytes()
        truth = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        text, best = reader_runs.best_of(extract, data)
        seconds += best
        got = fold(dehyphenated(text))
        positions = [got.find(fold(p)) for p in truth["paragraphs"]]
        kept = [p for p in positions if p >= 0]
        found += len(kept)
        in_order += sum(a < b for a, b in itertools.pairwise(kept)) + bool(kept)
        dropped += sum(fold(b) not in got for b in truth["boilerplate"])
        n_par += len(truth["paragraphs"])
        n_boiler += len(truth["boilerplate"])
    return found / n_par, in_order / n_par, dropped / n_boiler, 1000 * seconds / len(TEXT_PDFS)


def table() -> None:
    reader_runs.print_table(
        ("paragraphs found whole", "in reading order", "headers/footers dropped", "ms per file"),
        CANDIDATES, score)


def hostile_pdf(kind: str, path: Path) -> None:
    """Write a large or hostile PDF of `kind` to `path` (fpdf2, a dev dependency)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_font("Helvetica", "", 10)
    if kind == "1,200 pages":
        for number in range(1200):
            pdf.add_page()
            pdf.text(20, 20, f"Page {number}: the harbour master counted the boats again.")
    elif kind == "300 full pages":
        for number in range(300):
            pdf.add_page()
            for row in range(60):
                pdf.text(15, 12 + row * 4.5, f"Line {row} of page {number}: " + "word " * 14)
    else:  # letters scattered over one page, each a box of its own for the layout analysis
        letters = int(kind.split()[0].replace(",", ""))
        pdf.add_page()
        pdf.set_font("Helvetica", "", 1)
        for number in range(letters):
            pdf.text(5 + number % 200, 5 + number // 200 * 0.45, "x")
    pdf.output(str(path))


def hostile() -> None:
    """Each PDF read by the reader in a fresh process: size, time, peak memory, outcome."""
    with tempfile.TemporaryDirectory() as scratch:
        kinds = ["1,200 pages", "300 full pages", "19,000 scattered letters",
                 "60,000 scattered letters"]
        for kind in kinds:
            path = Path(scratch) / "hostile.pdf"
            hostile_pdf(kind, path)
            print(f"{kind:26} {reader_runs.in_fresh_process(__file__, str(path))}")


def hostile_case(path: str) -> None:
    reader_runs.report_read(Path(path).read_bytes(), "file.pdf")


if __name__ == "__main__":
    reader_runs.main(table, hostile, hostile_case)
