"""The evaluation harness: the question sets, the services that answer them as `python -m bot`
would, the baselines beside them and the figures they come to. `benchmarks/quality.py` prints
them and the quality floors in `tests/test_quality.py` assert them, with this same code, so the
figures CI checks and the figures published cannot drift apart. Telegram-free, like the core."""

from bot.evaluation.baselines import SHOWN_BY_BASELINES, run_bm25s, run_plain_bm25
from bot.evaluation.figures import (
    METRICS,
    Figures,
    figures,
    print_kinds,
    print_rows,
    summarize,
)
from bot.evaluation.outcomes import Outcome, outcome_of
from bot.evaluation.runs import (
    OptionsFor,
    Results,
    ask_in_conversation,
    combined,
    run_seed,
    run_service,
    run_squad,
    shipped_options,
)
from bot.evaluation.services import article_paragraphs, article_service, open_service
from bot.evaluation.sets import (
    DEFAULT_QUESTIONS,
    ROOT,
    SEED_KNOWLEDGE,
    SEED_SETS,
    SQUAD,
    SQUAD_SAMPLE,
    Question,
    load_questions,
    load_squad,
)

__all__ = [
    "DEFAULT_QUESTIONS", "METRICS", "ROOT", "SEED_KNOWLEDGE", "SEED_SETS", "SHOWN_BY_BASELINES",
    "SQUAD", "SQUAD_SAMPLE", "Figures", "OptionsFor", "Outcome", "Question", "Results",
    "article_paragraphs", "article_service", "ask_in_conversation", "combined", "figures",
    "load_questions", "load_squad", "open_service", "outcome_of", "print_kinds", "print_rows",
    "run_bm25s", "run_plain_bm25", "run_seed", "run_service", "run_squad", "shipped_options",
    "summarize",
]
