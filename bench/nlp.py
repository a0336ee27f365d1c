"""The local nlp engine's figures: accuracy, rejection, latency per variant; load time.

    python bench/nlp.py                                   # the dev set (tuning)
    python bench/nlp.py --data examples/shop-nlu.eval.yaml  # the held-out set
    python bench/nlp.py --examples 1000                   # also: load time for N examples

The variants are the matcher's options (flowbot.nlp.matcher.MatcherOptions);
the first is the default. Each row: top-1 accuracy of in-scope phrases with
the threshold, out-of-scope rejection, ms per message, load ms (training and
the leave-one-out threshold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from time import perf_counter

import yaml

from flowbot.nlp.evaluate import evaluate, find_nlp_data
from flowbot.nlp.matcher import MatcherOptions
from flowbot.nlp.model import NluModel
from flowbot.nlp.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]
VARIANTS: dict[str, MatcherOptions] = {
    "default: jamo 1-2 + syllables 1-2, blend": MatcherOptions(),
    "jamo 2-5, nearest (prior measurement)": MatcherOptions(
        min_n=2, max_n=5, syllables=False, scoring="nearest"
    ),
    "jamo 2-5, blend": MatcherOptions(min_n=2, max_n=5, syllables=False),
    "jamo 2-4 + syllables, blend": MatcherOptions(min_n=2, max_n=4),
    "jamo 1-3 + syllables, blend": MatcherOptions(max_n=3),
    "syllables + jamo 1, blend": MatcherOptions(max_n=1),
    "default, nearest only": MatcherOptions(scoring="nearest"),
    "default, centroid only": MatcherOptions(scoring="centroid"),
    "default, words kept apart (spaces)": MatcherOptions(spaces=True),
    "default, unseen n-grams ignored": MatcherOptions(unseen_in_norm=False),
}


def load_time(count: int) -> tuple[float, float]:
    """(ms to train + estimate the threshold, ms per message) for `count` synthetic examples."""
    bot = yaml.safe_load((ROOT / "examples/shop-nlu.yaml").read_text(encoding="utf-8"))
    base = find_nlp_data(bot)
    phrases = [text for intent in base["intents"] for text in intent["examples"]]
    fillers = ["요", "좀", "혹시", "지금", "빨리", "제발", "근데", "그럼", "혹은", "아 네"]
    intents = []
    for i in range(50):  # 50 intents × count/50 examples, each a distinct phrase
        examples = [
            f"{fillers[(i + j) % len(fillers)]} {phrases[(i * 7 + j) % len(phrases)]} {i}번 {j}"
            for j in range(count // 50)
        ]
        intents.append({"name": f"intent{i}", "examples": examples})
    spec, _ = parse_spec({"engine": "local", "intents": intents})
    started = perf_counter()
    model = NluModel(spec)
    loaded = (perf_counter() - started) * 1000
    started = perf_counter()
    for text in phrases:
        model.classify(text)
    return loaded, (perf_counter() - started) * 1000 / len(phrases)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT / "tests/nlp/dev_set.yaml"))
    parser.add_argument("--examples", type=int, default=1000)
    args = parser.parse_args()
    data_path = Path(args.data)
    data = yaml.safe_load(data_path.read_text(encoding="utf-8"))
    bot_path = (data_path.parent / data.get("bot", "")).resolve()
    node = find_nlp_data(yaml.safe_load(bot_path.read_text(encoding="utf-8")))
    print(f"{data_path.name}: in-scope accuracy | out-of-scope rejection | ms/msg | load ms")
    for name, options in VARIANTS.items():
        report = evaluate(node, data, options)
        print(
            f"  {name:44s} {report.accuracy:6.1%} | {report.rejection:6.1%} | "
            f"{report.ms_per_message:.3f} | {report.load_ms:.1f}  "
            f"(threshold {report.threshold:.3f})"
        )
    if args.examples:
        loaded, per_message = load_time(args.examples)
        print(f"{args.examples} examples: load {loaded:.0f} ms, {per_message:.3f} ms/message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
