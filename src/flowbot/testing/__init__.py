"""Conversation tests: YAML files of user steps and the replies they expect.

The file format is documented in `flowbot.testing.schema` and docs/conversation-tests.md.
"""

from __future__ import annotations

from flowbot.testing.matching import Mismatch, check_expect, summarise_reply
from flowbot.testing.runner import (
    CaseResult,
    StepFailure,
    collect_test_files,
    run_case,
    run_conversation_tests,
)
from flowbot.testing.schema import (
    Expect,
    ExpectedNavigation,
    ExpectedReply,
    Step,
    TestCase,
    TestFile,
    TestFileError,
    load_test_file,
)

__all__ = [
    "CaseResult",
    "Expect",
    "ExpectedNavigation",
    "ExpectedReply",
    "Mismatch",
    "Step",
    "StepFailure",
    "TestCase",
    "TestFile",
    "TestFileError",
    "check_expect",
    "collect_test_files",
    "load_test_file",
    "run_case",
    "run_conversation_tests",
    "summarise_reply",
]
