"""The intent matcher on Korean as users type it, and its threshold."""

from __future__ import annotations

import pytest

from flowbot.nlp.jamo import decompose, jamo_of, normalise
from flowbot.nlp.matcher import IntentMatcher, MatcherOptions
from flowbot.nlp.threshold import estimate_threshold

INTENTS = [
    (
        "주문",
        [
            "아메리카노 한 잔 주세요",
            "주문할게요",
            "커피 주문하려고요",
            "라떼 두 잔 주문하고 싶어요",
        ],
    ),
    (
        "환불",
        ["환불하고 싶어요", "결제 취소해 주세요", "돈 돌려받을 수 있나요", "환불 규정 알려 주세요"],
    ),
    (
        "영업시간",
        ["몇 시에 문 열어요", "영업시간이 어떻게 되나요", "몇 시까지 해요", "주말에도 열어요"],
    ),
    (
        "위치",
        [
            "매장 위치가 어디예요",
            "주소 알려주세요",
            "가게 어디에 있어요",
            "찾아가는 길 알려 주세요",
        ],
    ),
]


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    return IntentMatcher(INTENTS)


def test_decompose_splits_syllables_and_compounds() -> None:
    assert decompose("각") == "ㄱㅏㄱ_"
    assert decompose("왜", mark_final=False) == "ㅇㅗㅏㅣ"
    assert decompose("a") == "a"
    assert jamo_of("까", mark_final=False) == "ㄱㄱㅏ"


def test_normalise_ignores_spacing_case_and_repeats() -> None:
    assert normalise("배송 조회!!") == normalise("배송조회") == "배송조회"
    assert normalise("HELLO~~~ ㅋㅋㅋㅋ") == "helloㅋㅋ"
    assert normalise("배송  조회", spaces=True) == "배송 조회"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("환불해주세요", "환불"),  # spacing
        ("환뷸 하고싶어", "환불"),  # a typo, 반말
        ("환불하고 싶습니다", "환불"),  # 존댓말
        ("영업시깐이 어떻게 돼", "영업시간"),  # typo and ending
        ("매장위치가어디에요", "위치"),  # no spaces at all
        ("주소를 알려줘", "위치"),  # particle attached
        ("아메리까노 한잔요", "주문"),
    ],
)
def test_korean_variants_find_their_intent(matcher: IntentMatcher, text: str, intent: str) -> None:
    assert matcher.rank(text)[0].intent == intent


def test_scores_are_between_0_and_1_best_first(matcher: IntentMatcher) -> None:
    ranking = matcher.rank("환불하고 싶어요")
    assert ranking[0].intent == "환불"
    assert 0 < ranking[0].score <= 1
    assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    assert len(ranking) == len(INTENTS)


def test_unknown_text_scores_low(matcher: IntentMatcher) -> None:
    assert matcher.rank("비트코인 시세")[0].score < matcher.rank("환불할래요")[0].score / 2
    assert matcher.rank("!!!")[0].score == 0.0


def test_the_ranking_is_deterministic_and_ties_go_to_the_first_intent() -> None:
    twins = IntentMatcher([("a", ["같은 문장"]), ("b", ["같은 문장"])])
    assert [r.intent for r in twins.rank("같은 문장")] == ["a", "b"]
    assert IntentMatcher(INTENTS).rank("몇시에 열어") == IntentMatcher(INTENTS).rank("몇시에 열어")


def test_leave_one_out_skips_the_example_itself(matcher: IntentMatcher) -> None:
    ranking = matcher.rank_example(0)
    assert ranking[0].score < 1.0
    assert matcher.rank("아메리카노 한 잔 주세요")[0].score == pytest.approx(1.0, abs=0.35)


def test_threshold_sits_between_in_scope_and_near_miss_scores(matcher: IntentMatcher) -> None:
    estimate = estimate_threshold(matcher)
    assert estimate.scored == 16
    assert estimate.near_miss <= estimate.threshold <= max(estimate.in_scope, 0.1)


def test_too_few_examples_fall_back_to_a_fixed_threshold() -> None:
    assert estimate_threshold(IntentMatcher([("a", ["하나"]), ("b", ["둘"])])).threshold == 0.3


@pytest.mark.parametrize(
    "options",
    [
        MatcherOptions(scoring="nearest"),
        MatcherOptions(scoring="centroid"),
        MatcherOptions(max_df=0.5),
    ],
)
def test_variants_still_rank_an_example_first(options: MatcherOptions) -> None:
    matcher = IntentMatcher(INTENTS * 5, options)
    assert matcher.rank("환불하고 싶어요")[0].intent == "환불"
