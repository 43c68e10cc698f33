"""Follow-up context: recent turns per thread and per answer message, bounded in time and size."""

from __future__ import annotations

from bot.conversation import Conversations, Turn


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


FIRST = Turn("What was the spy balloon incident?")
SECOND = Turn("Where was it intercepted?", ("What was the spy balloon incident?",))


def test_latest_turn_of_a_thread() -> None:
    conversations = Conversations(clock=FakeClock())
    assert conversations.latest("chat") is None
    conversations.remember("chat", FIRST)
    conversations.remember("chat", SECOND)
    assert conversations.latest("chat") == SECOND


def test_turns_expire_after_the_ttl() -> None:
    clock = FakeClock()
    conversations = Conversations(ttl=60, clock=clock)
    conversations.remember("chat", FIRST)
    clock.advance(59)
    assert conversations.latest("chat") == FIRST
    clock.advance(2)
    assert conversations.latest("chat") is None
    clock.advance(-30)  # once expired, it is gone, not merely hidden
    assert conversations.latest("chat") is None


def test_remembering_again_restarts_the_ttl() -> None:
    clock = FakeClock()
    conversations = Conversations(ttl=60, clock=clock)
    conversations.remember("chat", FIRST)
    clock.advance(50)
    conversations.remember("chat", SECOND)
    clock.advance(50)
    assert conversations.latest("chat") == SECOND


def test_reply_keys_outlive_the_thread() -> None:
    clock = FakeClock()
    conversations = Conversations(ttl=60, reply_ttl=3600, clock=clock)
    conversations.remember(("chat", None), FIRST, answers=[("chat", 11), ("chat", 12)])
    assert conversations.answered_by(("chat", 11)) == FIRST
    assert conversations.answered_by(("chat", 12)) == FIRST
    assert conversations.answered_by(("chat", 13)) is None
    clock.advance(120)
    assert conversations.latest(("chat", None)) is None
    assert conversations.answered_by(("chat", 11)) == FIRST
    clock.advance(3600)
    assert conversations.answered_by(("chat", 11)) is None


def test_each_answer_message_maps_to_its_own_turn() -> None:
    conversations = Conversations(clock=FakeClock())
    conversations.remember("chat", FIRST, answers=[1])
    conversations.remember("chat", SECOND, answers=[2])
    assert conversations.answered_by(1) == FIRST
    assert conversations.answered_by(2) == SECOND


def test_threads_are_isolated() -> None:
    conversations = Conversations(clock=FakeClock())
    conversations.remember(("chat", 1), FIRST)
    conversations.remember(("chat", 2), SECOND)
    conversations.remember(("other", 1), SECOND)
    assert conversations.latest(("chat", 1)) == FIRST
    assert conversations.latest(("chat", 2)) == SECOND
    assert conversations.latest(("other", 2)) is None


def test_capacity_bounds_memory_and_drops_the_oldest() -> None:
    conversations = Conversations(capacity=3, clock=FakeClock())
    for i in range(10):
        conversations.remember(i, Turn(f"question {i}"), answers=[("msg", i)])
    assert [i for i in range(10) if conversations.latest(i) is not None] == [7, 8, 9]
    assert [i for i in range(10) if conversations.answered_by(("msg", i))] == [7, 8, 9]


def test_capacity_keeps_a_thread_that_was_just_updated() -> None:
    conversations = Conversations(capacity=2, clock=FakeClock())
    conversations.remember("a", FIRST)
    conversations.remember("b", FIRST)
    conversations.remember("a", SECOND)
    conversations.remember("c", FIRST)
    assert conversations.latest("a") == SECOND
    assert conversations.latest("b") is None


def test_follow_up_context_keeps_the_thread_newest_first() -> None:
    third = Turn("and when was that?", SECOND.follow_up_context())
    assert SECOND.follow_up_context() == (SECOND.question, FIRST.question)
    assert third.follow_up_context() == (third.question, SECOND.question, FIRST.question)
    assert third.follow_up_context(depth=2) == (third.question, SECOND.question)
    assert Turn("x", ("a", "b", "c", "d")).follow_up_context() == ("x", "a", "b")


def test_where_does_it_come_from_is_read_with_what_it_is() -> None:
    from helpers import shipped_index

    from bot.answer import compose

    answer = compose("where does it come from?", shipped_index(),
                     context=("What about the fentanyl?",))
    assert answer.answered
    assert "fentanyl from China" in answer.citations[0].quote


def test_remembering_no_turn_starts_the_thread_afresh() -> None:
    conversations = Conversations(clock=FakeClock())
    conversations.remember("chat", FIRST, answers=[1])
    conversations.remember("chat", None, answers=[2])  # an off-topic question stood alone
    assert conversations.latest("chat") is None
    assert conversations.answered_by(1) == FIRST  # a reply to the earlier answer still works
    assert conversations.answered_by(2) is None
