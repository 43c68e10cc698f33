"""The served knowledge base: rank-bm25's scores at 10,000 passages, reloads that build off the
event loop (in a worker process when large) and report only what changed, a build process that
is stopped when it takes too long and fails in one clear message, and a replaced index freed
without the garbage collector."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil  # type: ignore[import-untyped]
import pytest
from corpora import write_corpus
from helpers import index_scores

from bot.answer import AnswerOptions
from bot.build_worker import BuildError, build_in_worker
from bot.index import Index, LuceneBM25, passage_tokens
from bot.index_cache import IndexCache
from bot.knowledge import KnowledgeError, load_folder
from bot.serving import KnowledgeService, diff, open_index
from bot.text import tokenize


def service_for(folder: Path, cache: IndexCache | None, isolate_above: int,
                build_timeout: float = 300.0) -> KnowledgeService:
    index = open_index(folder, cache, 1.5, 0.75)
    return KnowledgeService(index, AnswerOptions(), folder, cache, isolate_above=isolate_above,
                            build_timeout=build_timeout)


def test_ten_thousand_passages_score_as_rank_bm25(tmp_path: Path) -> None:
    questions = write_corpus(tmp_path / "kb", 10_000)
    index = Index(load_folder(tmp_path / "kb"))
    assert len(index) == 10_000
    tokens = [passage_tokens(p) for p in index.passages]
    oracle = LuceneBM25(tokens)
    asked = [t for t in (tokenize(q) for q in questions) if t]
    assert len(asked) > 20
    for query in asked:
        expected = oracle.get_scores(query)
        np.testing.assert_allclose(index_scores(index, query), expected, rtol=0, atol=1e-9)
        holding = [i for i, doc in enumerate(tokens) if not set(doc).isdisjoint(query)]
        best = sorted(holding, key=lambda i: (-expected[i], i))[:10]
        hits = index.search(query, 10)
        assert [index.passages.index(h.passage) for h in hits] == best
        assert [h.score for h in hits] == pytest.approx(expected[best].tolist(), abs=1e-9)


async def count_ticks_during(coroutine: object) -> tuple[int, object]:
    """How often a 1 ms ticker ran on the event loop while `coroutine` was awaited."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    result = await coroutine  # type: ignore[misc]
    task.cancel()
    return ticks, result


@pytest.mark.parametrize("isolate_above", [0, 10**12], ids=["worker process", "thread"])
async def test_a_reload_runs_off_the_event_loop(tmp_path: Path, isolate_above: int) -> None:
    folder = tmp_path / "kb"
    write_corpus(folder, 3_000)
    service = service_for(folder, IndexCache(tmp_path / "cache"), isolate_above)
    (folder / "news.md").write_text("# News\n\nThe zeppelin landed in Lisbon.\n",
                                    encoding="utf-8")
    before = service.ask("Where did the zeppelin land?")
    ticks, report = await count_ticks_during(service.reload_async())
    # Built on the loop, the reload would have let the ticker run once or not at all.
    assert ticks >= 10
    assert report.documents_added == ("news",)  # type: ignore[attr-defined]
    assert not before.answered
    assert service.ask("Where did the zeppelin land?").answered


def test_a_worker_process_builds_the_same_index(tmp_path: Path) -> None:
    questions = write_corpus(tmp_path / "kb", 1_000)
    here = Index(load_folder(tmp_path / "kb"))
    elsewhere = build_in_worker(tmp_path / "kb", None, 1.5, 0.75)
    assert elsewhere.knowledge == here.knowledge
    for query in (tokenize(q) for q in questions):
        np.testing.assert_array_equal(index_scores(elsewhere, query), index_scores(here, query))
        assert elsewhere.search(query) == here.search(query)
    assert list(tmp_path.glob("**/*.npz")) == []  # without a cache, nothing is left behind


def test_a_worker_that_cannot_write_the_cache_still_delivers(tmp_path: Path) -> None:
    write_corpus(tmp_path / "kb", 200)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    built = build_in_worker(tmp_path / "kb", IndexCache(blocker / "cache"), 1.5, 0.75)
    assert len(built) == 200


def test_a_worker_process_reports_a_broken_folder_by_file(tmp_path: Path) -> None:
    write_corpus(tmp_path / "kb", 200)
    (tmp_path / "kb" / "broken.md").write_bytes(b"\xff\xfe not UTF-8")
    with pytest.raises(KnowledgeError, match=r"broken\.md.*UTF-8"):
        build_in_worker(tmp_path / "kb", IndexCache(tmp_path / "cache"), 1.5, 0.75)


def reload_in_a_thread(tmp_path: Path) -> tuple[KnowledgeService, threading.Thread,
                                                 list[BaseException]]:
    """A service whose reload is building in its worker process (started from another
    thread), and the list that receives what the reload raises."""
    folder = tmp_path / "kb"
    write_corpus(folder, 2_000)
    service = service_for(folder, None, isolate_above=0)
    (folder / "more.md").write_text("# More\n\nAnother paragraph.\n", encoding="utf-8")
    failed: list[BaseException] = []

    def reload() -> None:
        try:
            service.reload()
        except BaseException as exc:  # the tests look at whatever it was
            failed.append(exc)

    thread = threading.Thread(target=reload)
    thread.start()
    while not psutil.Process().children() and thread.is_alive():
        time.sleep(0.01)
    return service, thread, failed


def test_a_build_that_takes_too_long_is_stopped_and_the_old_index_serves(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "kb"
    write_corpus(folder, 500)
    service = service_for(folder, None, isolate_above=0, build_timeout=0.05)
    old = service.index
    (folder / "more.md").write_text("# More\n\nAnother paragraph.\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(BuildError, match=r"longer than 0\.05 s.*BOT_BUILD_TIMEOUT"):
        service.reload()
    assert time.monotonic() - started < 5
    assert service.index is old
    assert not psutil.Process().children()  # the worker was stopped, not left running


def test_a_killed_build_process_is_one_clear_error(tmp_path: Path) -> None:
    service, thread, failed = reload_in_a_thread(tmp_path)
    old = service.index
    for child in psutil.Process().children():
        child.kill()
    thread.join(30)
    [error] = failed
    assert isinstance(error, BuildError)
    assert str(error) == "the index build process was killed by signal SIGKILL (out of memory?)"
    assert service.index is old


def test_closing_the_service_stops_a_build_at_once(tmp_path: Path) -> None:
    service, thread, failed = reload_in_a_thread(tmp_path)
    service.close()
    thread.join(5)
    assert not thread.is_alive()
    assert "the bot is stopping" in str(failed[0])
    assert not psutil.Process().children()
    with pytest.raises(BuildError, match="stopping"):
        service.reload()


def test_a_failed_reload_keeps_the_old_index(tmp_path: Path) -> None:
    write_corpus(tmp_path / "kb", 500)
    service = service_for(tmp_path / "kb", IndexCache(tmp_path / "cache"), isolate_above=0)
    old = service.index
    (tmp_path / "kb" / "empty.md").write_text("   \n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="empty"):
        service.reload()
    assert service.index is old


def test_a_replaced_index_is_freed_without_the_collector(tmp_path: Path) -> None:
    write_corpus(tmp_path / "kb", 500)
    service = service_for(tmp_path / "kb", None, isolate_above=10**12)
    old = weakref.ref(service.index)
    (tmp_path / "kb" / "more.txt").write_text("More\n\nAnother paragraph.\n", encoding="utf-8")
    enabled = gc.isenabled()
    gc.disable()
    try:
        service.reload()
        # No reference cycles: reference counting alone frees 500 passages and their index.
        assert old() is None
    finally:
        if enabled:
            gc.enable()


def test_serving_leaves_the_process_wide_settings_alone(tmp_path: Path) -> None:
    write_corpus(tmp_path / "kb", 300)
    interval, frozen, enabled = sys.getswitchinterval(), gc.get_freeze_count(), gc.isenabled()
    service = service_for(tmp_path / "kb", IndexCache(tmp_path / "cache"), isolate_above=0)
    (tmp_path / "kb" / "more.txt").write_text("More\n\nAnother paragraph.\n", encoding="utf-8")
    service.reload()
    assert (sys.getswitchinterval(), gc.get_freeze_count(), gc.isenabled()) == (
        interval, frozen, enabled)


def test_the_report_compares_only_changed_files_yet_counts_every_passage(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "kb"
    write_corpus(folder, 200)
    old = load_folder(folder)
    files = sorted(folder.rglob("*.md"))
    text = files[0].read_text(encoding="utf-8")
    files[0].write_text(text.replace("## Part 2", "## Part 2\n\nA new first paragraph."),
                        encoding="utf-8")
    files[1].unlink()
    (folder / "added.md").write_text("# Added\n\nOne.\n\nTwo.\n", encoding="utf-8")
    new = load_folder(folder)
    report = diff(old, new, 0.0)
    old_passages = {p.id: p.text for p in old.passages}
    new_passages = {p.id: p.text for p in new.passages}
    assert report.documents_added == ("added",)
    assert report.documents_removed == (files[1].relative_to(folder).with_suffix("").as_posix(),)
    assert report.documents_changed == (files[0].relative_to(folder).with_suffix("").as_posix(),)
    assert report.passages_added == len(new_passages.keys() - old_passages.keys())
    assert report.passages_removed == len(old_passages.keys() - new_passages.keys())
    assert report.passages_changed == sum(
        1 for k in old_passages.keys() & new_passages.keys() if old_passages[k] != new_passages[k])
    assert report.passages_changed > 0  # the paragraphs after the new one moved down


def test_warm_up_loads_what_the_first_question_would_wait_for() -> None:
    from bot.settings import load_settings
    from bot.text import english_frequencies

    service = KnowledgeService.from_settings(load_settings(cache_dir=None))
    english_frequencies.cache_clear()
    service.warm_up()
    assert english_frequencies.cache_info().currsize == 1  # loaded before the first question


def test_the_process_owner_can_keep_the_collector_out_of_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.__main__ import quiet_builds

    write_corpus(tmp_path / "kb", 300)
    seen: list[bool] = []

    @contextmanager
    def watching() -> Iterator[None]:
        with quiet_builds():
            yield
            seen.append(gc.isenabled())

    monkeypatch.setattr(KnowledgeService, "around_build", watching)
    service = service_for(tmp_path / "kb", None, isolate_above=10**12)
    frozen = gc.get_freeze_count()
    try:
        service.reload()
        assert seen == [False]  # the collector stayed out while the index was made
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen  # and what it made is frozen out of it
    finally:
        gc.unfreeze()
