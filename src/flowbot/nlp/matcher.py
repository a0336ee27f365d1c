"""The intent matcher: TF-IDF over letter and syllable n-grams, nearest example first.

Each example phrase becomes a sparse vector of the n-grams of its normalised
text (`flowbot.nlp.jamo`): by default letter (jamo) 1- and 2-grams of the
decomposed text plus syllable 1- and 2-grams (bench/nlp.py compares the
variants; docs/nlp.md gives the figures),
weighted by sublinear term frequency × inverse document frequency and
L2-normalised. A message is scored against every example by cosine
similarity through an inverted index (only examples sharing an n-gram are
touched); an intent's score blends its best example's (the nearest
neighbour, 70 %) with its centroid's (30 %), which rewards a message close to
the intent as a whole over one that shares a word with a single example.

N-grams of the message that no example has still count in its norm: a
message made mostly of unknown text (out of scope) scores low against
everything, rather than matching on the few n-grams it shares by chance.

Pure Python and deterministic: ties go to the intent written first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from flowbot.nlp.jamo import jamo_of, normalise

__all__ = ["DEFAULT_OPTIONS", "IntentMatcher", "MatcherOptions", "Ranked", "features"]

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class MatcherOptions:
    """The matcher's variants (bench/nlp.py measures them); the defaults are the chosen ones."""

    min_n: int = 1
    max_n: int = 2
    spaces: bool = False  # keep one space between words (False: spacing is ignored)
    mark_final: bool = True  # a final consonant is written apart from an initial one
    syllables: bool = True  # add syllable 1–2-grams to the letter n-grams
    unseen_in_norm: bool = True  # a message's unknown n-grams lower its scores
    scoring: Literal["nearest", "centroid", "blend"] = "blend"
    blend: float = 0.7  # the nearest example's share in "blend"
    # n-grams in more than this share of the examples are dropped (as stop words):
    # they say little, and their long posting lists cost the most time
    max_df: float = 1.0
    # from this many examples on, max_df is at most LARGE_MAX_DF: load and match time
    # stay bounded (bench/nlp.py: 1,000 examples load in under a second)
    large: int = 300


DEFAULT_OPTIONS: Final = MatcherOptions()
LARGE_MAX_DF: Final = 0.1


@dataclass(frozen=True, slots=True)
class Ranked:
    intent: str
    score: float


def features(text: str, options: MatcherOptions = DEFAULT_OPTIONS) -> Counter[str]:
    """The n-gram counts of a text, with `<` and `>` marking its start and end."""
    plain = normalise(text, spaces=options.spaces)
    counts: Counter[str] = Counter()
    if not plain:
        return counts  # nothing but punctuation: no n-grams, a score of 0 everywhere
    letters = "<" + jamo_of(plain, mark_final=options.mark_final) + ">"
    size = len(letters)
    for n in range(options.min_n, options.max_n + 1):
        for start in range(size - n + 1):
            counts[letters[start : start + n]] += 1
    if options.syllables:
        marked = "<" + plain + ">"
        for n in (1, 2):
            for start in range(len(marked) - n + 1):
                counts["#" + marked[start : start + n]] += 1
    return counts


def _weighted(counts: Counter[str], idf: dict[str, float], unseen: float | None) -> Vector:
    """Sublinear tf × idf, L2-normalised; `unseen` is the weight of n-grams outside `idf`."""
    vector: Vector = {}
    norm = 0.0
    for gram, count in counts.items():
        weight = idf.get(gram)
        tf = 1.0 + math.log(count)
        if weight is None:
            if unseen is not None:
                norm += (tf * unseen) ** 2
            continue
        value = tf * weight
        vector[gram] = value
        norm += value * value
    if norm > 0.0:
        scale = 1.0 / math.sqrt(norm)
        for gram in vector:
            vector[gram] *= scale
    return vector


class IntentMatcher:
    """Trained once from (intent, examples); `rank` scores a message against every intent."""

    __slots__ = (
        "_centroids",
        "_example_intent",
        "_idf",
        "_index",
        "_stop",
        "_unseen",
        "_vectors",
        "intents",
        "options",
    )

    def __init__(
        self,
        intents: Sequence[tuple[str, Sequence[str]]],
        options: MatcherOptions = DEFAULT_OPTIONS,
    ) -> None:
        self.options = options
        self.intents = [name for name, _ in intents]
        counted: list[Counter[str]] = []
        owners: list[int] = []
        for number, (_, examples) in enumerate(intents):
            for example in examples:
                counted.append(features(example, options))
                owners.append(number)
        frequency: Counter[str] = Counter()
        for counts in counted:
            frequency.update(counts.keys())
        total = len(counted)
        max_df = options.max_df if total < options.large else min(options.max_df, LARGE_MAX_DF)
        if max_df < 1.0 and total >= 20:
            limit = max_df * total
            stop = {gram for gram, df in frequency.items() if df > limit}
            for gram in stop:
                del frequency[gram]
            counted = [
                Counter({g: c for g, c in counts.items() if g not in stop}) for counts in counted
            ]
            self._stop: frozenset[str] = frozenset(stop)
        else:
            self._stop = frozenset()
        # smoothed idf, as scikit-learn's: log((1 + N) / (1 + df)) + 1
        self._idf = {gram: math.log((1 + total) / (1 + df)) + 1.0 for gram, df in frequency.items()}
        self._unseen = math.log(1 + total) + 1.0 if options.unseen_in_norm else None
        self._vectors = [_weighted(counts, self._idf, None) for counts in counted]
        self._example_intent = owners
        self._index: dict[str, list[tuple[int, float]]] = {}
        for number, vector in enumerate(self._vectors):
            for gram, weight in vector.items():
                self._index.setdefault(gram, []).append((number, weight))
        self._centroids = self._centroid_vectors() if options.scoring != "nearest" else []

    def _centroid_vectors(self) -> list[Vector]:
        sums: list[Vector] = [{} for _ in self.intents]
        for vector, owner in zip(self._vectors, self._example_intent, strict=True):
            target = sums[owner]
            for gram, weight in vector.items():
                target[gram] = target.get(gram, 0.0) + weight
        for vector in sums:
            norm = math.sqrt(sum(value * value for value in vector.values()))
            for gram in vector:
                vector[gram] /= norm or 1.0
        return sums

    @property
    def example_count(self) -> int:
        return len(self._vectors)

    def vectorise(self, text: str) -> Vector:
        counts = features(text, self.options)
        for gram in self._stop.intersection(counts):
            del counts[gram]
        return _weighted(counts, self._idf, self._unseen)

    def rank(self, text: str) -> list[Ranked]:
        """Every intent with its score (0–1), best first; ties in the order written."""
        return self._rank_vector(self.vectorise(text))

    def rank_example(self, number: int) -> list[Ranked]:
        """The ranking of example `number` against all the others (leave-one-out)."""
        return self._rank_vector(self._vectors[number], leave_out=number)

    def example_intent(self, number: int) -> str:
        return self.intents[self._example_intent[number]]

    def _rank_vector(self, vector: Vector, leave_out: int = -1) -> list[Ranked]:
        similarity: dict[int, float] = {}
        index = self._index
        for gram, weight in vector.items():
            postings = index.get(gram)
            if postings is None:
                continue
            for number, other in postings:
                similarity[number] = similarity.get(number, 0.0) + weight * other
        best = [0.0] * len(self.intents)
        owners = self._example_intent
        for number, score in similarity.items():
            if number == leave_out:
                continue
            owner = owners[number]
            if score > best[owner]:
                best[owner] = score
        if self.options.scoring != "nearest":
            best = self._with_centroids(vector, best, leave_out)
        order = sorted(range(len(best)), key=lambda i: (-best[i], i))
        # rounding keeps float noise out of the ranking shown and compared by edges
        return [Ranked(self.intents[i], round(min(max(best[i], 0.0), 1.0), 4)) for i in order]

    def _with_centroids(self, vector: Vector, best: list[float], leave_out: int) -> list[float]:
        # a left-out example stays inside its own centroid: leave-one-out is a
        # little optimistic for the centroid variants (bench/nlp.py says so)
        scores: list[float] = []
        for owner, centroid in enumerate(self._centroids):
            cosine = sum(weight * centroid.get(gram, 0.0) for gram, weight in vector.items())
            if self.options.scoring == "centroid":
                scores.append(cosine)
            else:
                share = self.options.blend
                scores.append(share * best[owner] + (1.0 - share) * cosine)
        return scores
