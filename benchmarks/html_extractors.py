"""Which library turns a saved web page into its article best: each candidate extracts the text of
the pages in `tests/fixtures/html/` (news, blog, wiki, magazine and an old table-layout site, each
with navigation, ads, cookie banners, share buttons, related links and comments), scored against
the page's `.json`: the share of article paragraphs kept, of boilerplate snippets dropped, of
section headings kept, and the time per page (best of 5).

    python benchmarks/html_extractors.py            # the comparison table (Markdown)
    python benchmarks/html_extractors.py --hostile  # a hostile 10 MB page through the reader

Candidates that are not installed are listed as such (they are not dependencies of the bot:
`pip install readability-lxml goose3 resiliparse` to compare with them; jusText comes with
trafilatura).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures" / "html"

import reader_runs  # noqa: E402

from bot.readers.article import fold  # noqa: E402

Extractor = reader_runs.Extractor


def trafilatura_default(page: bytes) -> str:
    import trafilatura

    return trafilatura.extract(page, include_comments=False, include_tables=False) or ""


def trafilatura_precision(page: bytes) -> str:
    import trafilatura

    return trafilatura.extract(page, include_comments=False, include_tables=False,
                               favor_precision=True) or ""


def trafilatura_fast(page: bytes) -> str:
    import trafilatura

    return trafilatura.extract(page, include_comments=False, include_tables=False,
                               fast=True) or ""


def readability(page: bytes) -> str:
    import lxml.html
    from readability import Document

    summary = Document(page).summary(html_partial=True)
    tree = lxml.html.fromstring(summary)
    return "\n\n".join(" ".join(el.text_content().split())
                       for el in tree.iter("p", "h1", "h2", "h3", "li", "blockquote"))


def goose(page: bytes) -> str:
    from goose3 import Goose

    with Goose() as g:
        article = g.extract(raw_html=page.decode("utf-8", "replace"))
    return f"{article.title}\n\n{article.cleaned_text}"


def justext_(page: bytes) -> str:
    import justext

    paragraphs = justext.justext(page, justext.get_stoplist("English"))
    return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def resiliparse(page: bytes) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(bytes_to_str(page, detect_encoding(page)))
    return extract_plain_text(tree, main_content=True)


CANDIDATES: dict[str, tuple[str, Extractor]] = {
    "trafilatura 2.x (defaults)": ("trafilatura", trafilatura_default),
    "trafilatura, favor_precision": ("trafilatura", trafilatura_precision),
    "trafilatura, fast (no jusText fallback)": ("trafilatura", trafilatura_fast),
    "readability-lxml": ("readability", readability),
    "goose3": ("goose3", goose),
    "jusText": ("justext", justext_),
    "resiliparse (main_content)": ("resiliparse", resiliparse),
    "bot.readers.html (the reader)": ("trafilatura", reader_runs.the_reader("page.html")),
}


def score(extract: Extractor) -> tuple[float, float, float, float]:
    """(paragraphs kept, boilerplate dropped, headings kept, ms per page) over all fixtures."""
    kept = dropped = headings = 0
    n_par = n_boiler = n_head = 0
    seconds = 0.0
    for page in sorted(FIXTURES.glob("*.html")):
        data = page.read_bytes()
        truth = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        text, best = reader_runs.best_of(extract, data)
        seconds += best
        got = fold(text)
        kept += sum(fold(p) in got for p in truth["paragraphs"])
        dropped += sum(fold(b) not in got for b in truth["boilerplate"])
        headings += sum(fold(h) in got for h in truth["sections"])
        n_par += len(truth["paragraphs"])
        n_boiler += len(truth["boilerplate"])
        n_head += len(truth["sections"])
    pages = len(list(FIXTURES.glob("*.html")))
    return kept / n_par, dropped / n_boiler, headings / n_head, 1000 * seconds / pages


def table() -> None:
    reader_runs.print_table(
        ("article paragraphs kept", "boilerplate dropped", "headings kept", "ms per page"),
        CANDIDATES, score)


HOSTILE = {
    "10,000 paragraphs": lambda: "<html><body><article>" + "".join(
        f"<p>Paragraph {i} " + "word " * 40 + "</p>" for i in range(10_000))
                                 + "</article></body></html>",
    "25,000 short divs": lambda: "<html><body>" + "<div><p>x y z</p></div>" * 25_000
                                 + "</body></html>",
    "760,000 empty tags": lambda: "<html><body>" + "<span></span>" * 760_000 + "</body></html>",
    "nested 200,000 deep": lambda: "<html><body>" + "<div>" * 200_000 + "x" + "</div>" * 200_000
                                   + "</body></html>",
    "one 10 MB paragraph": lambda: "<html><body><p>" + "word " * 2_000_000 + "</p></body></html>",
}


def hostile_case(name: str) -> None:
    reader_runs.report_read(HOSTILE[name]().encode()[: 10 * 1024 * 1024], "page.html")


def hostile() -> None:
    """Pages of up to 10 MB built to be slow, each read in a fresh process: size, time, peak
    memory of that process (baseline: the same process after importing the reader), outcome."""
    import subprocess

    base = subprocess.run([sys.executable, "-c", "import bot.readers.html, resource; print("
                           "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    print(f"baseline (reader imported): peak {int(base.stdout) / 1024:.0f} MB")
    for name in HOSTILE:
        print(f"{name:22} {reader_runs.in_fresh_process(__file__, name)}")


if __name__ == "__main__":
    reader_runs.main(table, hostile, hostile_case)
