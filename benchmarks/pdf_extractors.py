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

import importlib.util
import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures" / "pdf"
TEXT_PDFS = ("report-simple", "report-two-column")

from bot.readers.article import fold  # noqa: E402

Extractor = Callable[[bytes], str]


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


def our_reader(data: bytes) -> str:
    from bot.readers import pdf

    return pdf.read(data, "file.pdf").text


CANDIDATES: dict[str, tuple[str, Extractor]] = {
    "pypdf (extract_text)": ("pypdf", pypdf_plain),
    "pypdf (extraction_mode='layout')": ("pypdf", pypdf_layout),
    "pdfminer.six (extract_text)": ("pdfminer", pdfminer_text),
    "bot.readers.pdf (the reader)": ("pdfminer", our_reader),
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
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            text = extract(data)
            best = min(best, time.perf_counter() - started)
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
    print("| extractor | paragraphs found whole | in reading order | headers/footers dropped "
          "| ms per file |")
    print("|---|---|---|---|---|")
    for name, (module, extract) in CANDIDATES.items():
        if importlib.util.find_spec(module) is None:
            print(f"| {name} | not installed | | | |")
            continue
        whole, order, dropped, ms = score(extract)
        print(f"| {name} | {whole:.0%} | {order:.0%} | {dropped:.0%} | {ms:.1f} |")


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
            done = subprocess.run([sys.executable, __file__, "--hostile-case", str(path)],
                                  capture_output=True, text=True, cwd=ROOT, check=True)
            size, seconds, peak, outcome = done.stdout.strip().split("\t")
            print(f"{kind:26} {size:>6} MB {seconds:>6} s  peak {peak:>5} MB  {outcome}")


def hostile_case(path: str) -> None:
    import resource

    from bot.readers import ReadError, pdf

    data = Path(path).read_bytes()
    started = time.perf_counter()
    try:
        outcome = f"{len(pdf.read(data, 'file.pdf').paragraphs)} paragraphs"
    except ReadError as exc:
        outcome = f"refused: {exc}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(data) / 1e6:.1f}\t{time.perf_counter() - started:.2f}\t{peak:.0f}\t"
          f"{outcome[:90]}")


if __name__ == "__main__":
    if "--hostile-case" in sys.argv:
        hostile_case(sys.argv[-1])
    elif "--hostile" in sys.argv:
        hostile()
    else:
        table()
