"""The default threshold of an nlp node, from its own examples (leave-one-out).

Each example (at most `SAMPLE` of them, evenly spread) is ranked against all
the others. Two statistics come out of that:

* `in_scope`: the lower quartile of the score each example gets for its own
  intent: how well a phrase the bot has never seen, but that belongs to an
  intent, still scores;
* `near_miss`: the median of the best score each example gets for another
  intent: how high a phrase that does *not* belong to an intent scores
  against it, by chance overlap of words and endings. Out-of-scope phrases
  are such phrases too, for every intent.

The threshold is their midpoint, kept within [MIN_THRESHOLD, MAX_THRESHOLD]:
halfway between what in-scope phrases reach and what unrelated ones reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from flowbot.nlp.matcher import IntentMatcher

__all__ = ["MAX_THRESHOLD", "MIN_THRESHOLD", "SAMPLE", "ThresholdEstimate", "estimate_threshold"]

SAMPLE: Final = 400  # examples scored at most: bounds the load time of a large bot
MIN_THRESHOLD: Final = 0.1
MAX_THRESHOLD: Final = 0.8
# too few examples to estimate from: a value that suits short Korean phrases
FALLBACK_THRESHOLD: Final = 0.3


@dataclass(frozen=True, slots=True)
class ThresholdEstimate:
    threshold: float
    in_scope: float  # lower quartile of own-intent leave-one-out scores
    near_miss: float  # median of best other-intent leave-one-out scores
    accuracy: float  # leave-one-out top-1 accuracy over the scored examples
    scored: int


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def estimate_threshold(matcher: IntentMatcher) -> ThresholdEstimate:
    total = matcher.example_count
    step = max(1, total // SAMPLE) if total > SAMPLE else 1
    own: list[float] = []
    other: list[float] = []
    right = 0
    for number in range(0, total, step):
        intent = matcher.example_intent(number)
        ranking = matcher.rank_example(number)
        own.append(next(r.score for r in ranking if r.intent == intent))
        other.append(
            next(r.score for r in ranking if r.intent != intent) if len(ranking) > 1 else 0
        )
        right += ranking[0].intent == intent
    if len(own) < 4 or len(matcher.intents) < 2:
        return ThresholdEstimate(FALLBACK_THRESHOLD, 0.0, 0.0, 0.0, len(own))
    in_scope, near_miss = _quantile(own, 0.25), _quantile(other, 0.5)
    threshold = min(MAX_THRESHOLD, max(MIN_THRESHOLD, (in_scope + near_miss) / 2))
    return ThresholdEstimate(round(threshold, 4), in_scope, near_miss, right / len(own), len(own))
