from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from flowbot.testing import run_conversation_tests

POKEMON = Path(__file__).resolve().parents[2] / "examples" / "pokemon.yaml"

PASSING = f"""
bot: {POKEMON}
tests:
  - name: welcome
    steps:
      - open: true
        expect:
          replies:
            - "Welcome to the world of Pokémon!\\nPick the partner who will travel with you."
            - {{cards: [Bulbasaur, Charmander, Squirtle]}}
          navigation: {{flowId: "1", nodeId: 4}}
          quickReplies: []
  - name: pick with initial params
    params: {{trainer: Red}}
    steps:
      - open: true
      - payload: {{pokemon: Charmander}}
        text: I choose you!
        expect:
          contains: [Charmander, excellent]
          params: {{trainer: Red, partner: Charmander, rival: null}}
"""

FAILING = f"""
bot: {POKEMON}
tests:
  - name: fine
    steps:
      - open: true
  - name: expects the wrong partner
    steps:
      - open: true
      - click: I choose you!
        expect:
          replies: ["Charmander! An excellent choice."]
          params: {{partner: Charmander}}
      - user: never reached
  - name: clicks a missing button
    steps:
      - open: true
      - click: Pikachu
"""


def run(*paths: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run_conversation_tests(list(paths), console=Console(file=out, width=200))
    return code, out.getvalue()


def test_passing_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.test.yaml"
    path.write_text(PASSING, encoding="utf-8")
    code, out = run(path)
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "2 passed, 0 failed"


def test_failing_file_shows_a_diff_per_failed_step(tmp_path: Path) -> None:
    path = tmp_path / "bad.test.yaml"
    path.write_text(FAILING, encoding="utf-8")
    code, out = run(path)
    assert code == 1
    lines = out.splitlines()
    assert f"FAIL {path} › expects the wrong partner › step 2 (click 'I choose you!')" in lines
    assert '    - "Charmander! An excellent choice."' in lines
    assert '    + "Squirtle! An excellent choice."' in lines
    assert '    - partner: "Charmander"' in lines
    assert '    + partner: "Squirtle"' in lines
    assert "never reached" not in out  # a test stops at its first failing step
    assert f"FAIL {path} › clicks a missing button › step 2 (click 'Pikachu')" in lines
    assert "  no button or quick reply labelled 'Pikachu' has been received" in lines
    assert lines[-1] == "1 passed, 2 failed"


def test_folders_collect_test_files_and_report_bad_ones(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "ok.test.yml").write_text(PASSING, encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("not a test", encoding="utf-8")
    (tmp_path / "broken.test.yaml").write_text(
        f"bot: {POKEMON}\ntests:\n  - name: t\n    steps:\n      - open: true\n"
        "      - {user: hi, click: x}\n",
        encoding="utf-8",
    )
    code, out = run(tmp_path, tmp_path / "missing")
    assert code == 1
    broken = tmp_path / "broken.test.yaml"
    assert (
        f'{broken}: test "t": step 2: a step does exactly one of open, user, click, payload;'
        " got ['user', 'click']"
    ) in out
    assert f"{tmp_path / 'missing'}: no such file or folder" in out
    assert out.splitlines()[-1] == "2 passed, 0 failed, 2 errors"


def test_a_bot_that_does_not_load_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text("flows: [{id: 1, nodes: [{id: 1, type: nope}]}]\n")
    path = tmp_path / "x.test.yaml"
    path.write_text("bot: bot.yaml\ntests: [{name: t, steps: [{open: true}]}]\n")
    code, out = run(path)
    assert code == 1
    assert f"{path}: bot bot.yaml does not load:" in out
    assert out.splitlines()[-1] == "0 passed, 0 failed, 1 error"


def test_error_expectations(tmp_path: Path) -> None:
    bot = tmp_path / "bot.yaml"
    bot.write_text(
        "preference: {systemMessage: {error: 'Oops'}}\n"
        "flows:\n"
        "  - id: 1\n"
        "    data: {entry: 1}\n"
        "    nodes:\n"
        "      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}\n"
        "      - {id: 2, type: flow, data: {flowId: '{{message.text}}'}}\n",
        encoding="utf-8",
    )
    path = tmp_path / "errors.test.yaml"
    path.write_text(
        "bot: bot.yaml\n"
        "tests:\n"
        "  - name: expected\n"
        "    steps: [{user: '77', expect: {replies: [Oops], error: ''}}]\n"
        "  - name: unexpected\n"
        "    steps: [{user: '77', expect: {replies: [Oops]}}]\n",
        encoding="utf-8",
    )
    code, out = run(path)
    assert code == 1
    assert f"FAIL {path} › unexpected › step 1 (user '77')" in out
    assert "  error:  (- expected, + got)\n    - null\n    + " in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


def test_flowbot_test_command_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.test.yaml"
    good.write_text(PASSING, encoding="utf-8")
    bad = tmp_path / "bad.test.yaml"
    bad.write_text(FAILING, encoding="utf-8")
    command = [sys.executable, "-m", "flowbot.cli", "test"]
    passed = subprocess.run([*command, str(good)], capture_output=True, text=True, timeout=60)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 passed, 0 failed" in passed.stdout
    failed = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert "3 passed, 2 failed" in failed.stdout


DATED_BOT = """
flows:
  - id: 1
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - id: 2
        type: response
        data:
          message:
            type: text
            text: "{{DATE(null, 'YYYY-MM-DD HH:mm', 'Asia/Seoul')}} {{RAND(1, 1000000)}}"
"""


def test_a_test_file_pins_the_clock_and_the_random_seed(tmp_path: Path) -> None:
    (tmp_path / "dated.yaml").write_text(DATED_BOT)

    def outcome(seed: int) -> str:
        (tmp_path / "dated.test.yaml").write_text(
            "bot: dated.yaml\n"
            'now: "2024-05-17T09:30:00+09:00"\n'
            f"seed: {seed}\n"
            "tests:\n"
            "  - name: pinned\n"
            "    steps:\n"
            "      - open: true\n"
            "        expect: {replies: [never]}\n"
        )
        _, output = run(tmp_path / "dated.test.yaml")
        return output

    first, again, other = outcome(1), outcome(1), outcome(2)
    assert "2024-05-17 09:30 " in first
    assert first == again  # the same clock and seed, the same answer
    assert other != first
