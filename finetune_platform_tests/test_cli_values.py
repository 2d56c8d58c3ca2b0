"""Command-line values are checked by the parser: a usage error naming the value, never a traceback."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["canary", "1.5"], "not between 0 and 1"),
        (["canary", "--", "-0.1"], "not between 0 and 1"),
        (["canary", "half"], "'half' is not a number"),
        (["serve", "--canary-share", "2"], "not between 0 and 1"),
        (["rollout", "start", "--stages", "0.5,0.25"], "strictly increasing"),
        (["rollout", "start", "--stages", "0.05,x"], "'x' is not a number"),
        (["rollout", "start", "--stages", ","], "at least one share"),
    ],
)
def test_bad_shares_are_usage_errors(argv, message, capsys):
    from finetune_platform.cli import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_good_shares_parse():
    from finetune_platform.cli import build_parser

    assert build_parser().parse_args(["canary", "0.05"]).share == 0.05
    assert build_parser().parse_args(["rollout", "start", "--stages", "0.05, 0.5,1.0"]).stages == [0.05, 0.5, 1.0]
    assert build_parser().parse_args(["rollout", "step"]).stages is None
