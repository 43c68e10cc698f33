"""The conversation rules through the machine interface, as a script drives it: `python -m bot
chat --json` and `ask --json` in a subprocess, on the seed article and on made-up articles
about chemistry and sport (docs/terminal.md documents the keys)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conversations import chemistry_folder, sport_folder
from helpers import ROOT, cli_env

CITATION_KEYS = {"document", "title", "section", "paragraph", "quote", "highlight", "score",
                 "url", "short_title", "source", "published"}
ANSWER_KEYS = {"question", "answered", "text", "citations", "reason"}


def run(tmp_path: Path, *args: str, lines: list[str], **env: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=cli_env(tmp_path / "cache", **env),
        input="\n".join(lines) + "\n", capture_output=True, text=True, encoding="utf-8",
        timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in found] == lines
    for answer in found:
        assert answer.keys() >= ANSWER_KEYS
        for part in answer.get("parts", []):
            assert part.keys() >= ANSWER_KEYS
        for citation in answer["citations"]:
            assert citation.keys() == CITATION_KEYS
    return found


def test_a_chat_about_the_seed_article(tmp_path: Path) -> None:
    lines = [
        "Can you recommend a good book?",     # off topic: refused, and forgotten
        "summarize",                          # still an overview
        "hello! what's this about?",          # a greeting before the question
        "What was the spy balloon incident?",
        "summarize",                          # the article, not the balloon again
        "What was the spy balloon incident?",
        "thanks!",                            # small talk: the thread stays
        "where did that happen?",
        *["tell me more"] * 6,                # on until that is all
        "hi",
        "who are you?",
        "¿Por qué se pospuso la visita de Blinken?",
        "Why was it postponed? Who is Xi meeting with?",
    ]
    found = dict(enumerate(run(tmp_path, "chat", "--json", lines=lines)))
    assert found[0]["reason"] == "not_covered"
    assert found[0]["suggestions"]  # example questions, not section headings
    assert not set(found[0]["suggestions"]) & {"The Road Ahead", "The Need for Trust and Progress"}
    assert found[1]["answered"]
    assert found[2]["answered"]
    assert found[1]["citations"] == found[2]["citations"] == found[4]["citations"]
    assert "balloon" not in found[4]["citations"][0]["quote"]
    assert found[6]["reason"] == "small_talk"
    assert "doesn't answer" not in found[6]["text"]
    assert "US territory" in found[7]["citations"][0]["quote"]
    more = [found[i] for i in range(8, 14)]
    assert more[-1]["reason"] == "no_more"
    assert "That is all the article says about it." in more[-1]["text"]
    shown = [c["paragraph"] for a in more for c in a["citations"]]
    assert len(shown) == len(set(shown)) >= 3
    for i in (14, 15):
        assert found[i]["reason"] == "small_talk"
        assert len(found[i]["suggestions"]) == 2
        assert all(s in found[i]["text"] for s in found[i]["suggestions"])
    assert found[16]["reason"] == "other_language"
    assert "English" in found[16]["text"]
    several = found[17]
    assert [p["question"] for p in several["parts"]] == ["Why was it postponed?",
                                                        "Who is Xi meeting with?"]
    assert several["citations"] == several["parts"][0]["citations"]
    assert "Bill Gates" in several["parts"][1]["citations"][0]["quote"]
    assert several["unanswered_parts"] == 0
    text = several["text"]
    assert text.index("Q: Why was it postponed?") < text.index("postponed due to") < text.index(
        "Q: Who is Xi meeting with?") < text.index("Bill Gates")


def test_ask_json_answers_several_questions_and_cites_compactly(tmp_path: Path) -> None:
    [seed] = run(tmp_path, "ask", "--json", lines=[
        "Why was the visit postponed? Who is Xi meeting with? Is it the economy? "
        "What about fentanyl?"])
    [chemistry] = run(tmp_path, "ask", "--json", lines=["Who won the Nobel Prize for ammonia?"],
                      BOT_KNOWLEDGE_DIR=str(chemistry_folder(tmp_path)))
    assert len(seed["parts"]) == 3
    assert seed["unanswered_parts"] == 1
    assert "one more question" in seed["text"]
    citation = seed["parts"][0]["citations"][0]
    assert citation["short_title"] == "US China Relations 2023"
    assert citation["source"] == "Al-Jazeera"
    assert citation["published"] is None
    footnote = next(line for line in seed["parts"][0]["text"].splitlines() if "—" in line)
    assert len(footnote) < 110  # the ~95-character title made it ~150
    assert "Al-Jazeera" in footnote
    [cited] = chemistry["citations"][:1]
    assert cited["source"] == "Science Weekly"
    assert cited["published"] == "2024-03-05"
    assert cited["url"] == "https://example.test/catalysts"
    assert "Science Weekly, 5 Mar 2024" in chemistry["text"]
    assert "— The enzyme that runs the world · The Haber process" in chemistry["text"]


def test_a_chat_about_sport_follows_up_and_goes_on(tmp_path: Path) -> None:
    lines = ["Who scored the winning goal?", "in which minute?", "ok", "tell me more",
             *["more"] * 6, "what can you do?"]
    found = run(tmp_path, "chat", "--json", lines=lines,
                BOT_KNOWLEDGE_DIR=str(sport_folder(tmp_path)))
    assert "Lena Okafor" in found[0]["citations"][0]["quote"]
    assert "88th minute" in found[1]["citations"][0]["quote"]
    assert found[2]["reason"] == "small_talk"
    assert found[3]["answered"]
    assert found[-2]["reason"] == "no_more"
    assert found[-1]["reason"] == "small_talk"
    assert "Harbour Cup report" in found[0]["text"]  # the front matter's short_title
    assert all(s in found[-1]["text"] for s in found[-1]["suggestions"])
