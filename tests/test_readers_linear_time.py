"""Every reader runs in time linear in its input, whatever the input holds: long runs of spaces,
`#`, punctuation, repeated words and long lines, wherever they sit in a document (title, heading,
"Courtesy:" line, front matter, body). A backtracking pattern was cubic here: a 3 KB text whose
"Courtesy:" line held 3,000 spaces took 36 s to load.

Each example is read at n and at 4n repeats; linear work takes about 4 times as long, a quadratic
pattern 16 times, a cubic one 64. Timings are the best of two, the bound is 10 times, and under
50 ms counts as no time at all, so a busy machine does not fail the test.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.readers import ReadError, markdown, rawtext
from bot.readers.article import Article, label

# Large enough that both sizes are past the effects of caches and allocation: from 5,000 to
# 20,000 repeats, linear work here still grows up to 15 times.
N = 20_000
UNITS = [" ", "\t", "#", ":", "(", ")", "-", "*", ".", "!", "\xa0", "word ", "the the ",
         "Courtesy ", "related article ", "# ", ": ", "(Courtesy: ", "#\n", " \n", "a\n",
         "\n\n", "---\n", "- ", "[", "]", "|", "\u202e"]
PREFIXES = ["", "# ", "## ", "###### ", "Courtesy:", "Courtesy: a", "(Courtesy: a ",
            "Image credit", "Photo credits:", "Related article", "Post a", "---\ntitle: ",
            "title: ", "#", "A sentence then"]
SUFFIXES = ["", "x", ")", ":", "#", " x", "\n", " #", " ##x", ": x"]
PLACES = [
    "{line}\n\nA paragraph.\n",                     # as the title
    "Title\n\n{line}\n\nA paragraph.\n",            # in the body, alone
    "Title\n\nA paragraph.\n{line}\nMore words.\n",  # inside a paragraph
    "---\ntitle: x\n---\n\n{line}\n",               # after front matter
    "---\ntitle: {line}\n---\n\nA paragraph.\n",    # inside front matter
]

Reader = Callable[[bytes, str], Article]
READERS: dict[str, tuple[Reader, str]] = {
    "markdown": (markdown.read, "doc.md"),
    "raw text": (rawtext.read, "doc.txt"),
}


def best_time(read: Reader, data: bytes, name: str) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        with contextlib.suppress(ReadError):  # refusing is an answer too: as fast
            read(data, name)
        best = min(best, time.perf_counter() - started)
    return best


def assert_linear(read: Reader, name: str, make: Callable[[int], str]) -> None:
    small = best_time(read, make(N).encode(), name)
    large = best_time(read, make(4 * N).encode(), name)
    assert large < max(10 * small, 0.05), (small, large)


@pytest.mark.parametrize("reader", READERS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.sampled_from(UNITS), prefix=st.sampled_from(PREFIXES),
       suffix=st.sampled_from(SUFFIXES), place=st.sampled_from(PLACES))
def test_a_long_run_anywhere_is_read_in_linear_time(
    reader: str, unit: str, prefix: str, suffix: str, place: str
) -> None:
    read, name = READERS[reader]
    assert_linear(read, name, lambda n: place.format(line=prefix + unit * n + suffix))


@pytest.mark.parametrize("reader", READERS)
@settings(max_examples=10, deadline=None)
@given(line=st.text(alphabet=st.sampled_from("# :()-\t.a"), min_size=1, max_size=12))
def test_many_short_odd_lines_are_read_in_linear_time(reader: str, line: str) -> None:
    read, name = READERS[reader]
    assert_linear(read, name, lambda n: "Title\n\n" + (line + "\n") * (n // 4))


@pytest.mark.parametrize("reader", READERS)
def test_the_reported_hostile_files_read_in_milliseconds(reader: str) -> None:
    read, name = READERS[reader]
    for text in ("Title\n\nA paragraph.\n\nCourtesy: a" + " " * 3000 + "x\n",
                 "# T\n\nA paragraph.\n\n# " + "#" * 20_000 + "x\n\nMore.\n",
                 "Title\n\n" + "#" * 20_000 + "\n\nMore.\n"):
        assert best_time(read, text.encode(), name) < 0.05


def test_a_long_title_is_compared_once_not_once_per_paragraph() -> None:
    # A title is checked against every line (pages repeat it); folding it for each of many
    # paragraphs was quadratic in the file.
    assert_linear(rawtext.read, "doc.txt",
                  lambda n: "T" * (20 * n) + "\n\n" + "A short paragraph.\n\n" * n)


def test_labels_are_made_in_linear_time() -> None:
    small = min(_timed(label, "\u202e a\t" * N) for _ in range(3))
    large = min(_timed(label, "\u202e a\t" * (4 * N)) for _ in range(3))
    assert large < max(10 * small, 0.05)


def _timed(function: Callable[[str], object], value: str) -> float:
    started = time.perf_counter()
    function(value)
    return time.perf_counter() - started
