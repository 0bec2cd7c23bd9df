"""Pages that tell the truth (issue 23): the best snapshot is one the run has, judged by its quality
metric; the card says how many samples each figure used; toy runs show only metrics that mean
something for their kind of output."""

import re

from tests.test_app import _app, _ok


def _card(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_best_snapshot_is_shipped_and_by_quality():
    """mnist-dcgan ships steps 468, 6084, 11700; its metrics also name dropped snapshots (5148 was "best
    by diversity", the old default). The default is fd, where it was evaluated."""
    at = _app("diagnostics")
    assert at.selectbox(key="dx_best_metric").value == "fd"
    text = " ".join(m.value for m in at.markdown)
    step = int(re.search(r"step \*\*(\d+)\*\*", text).group(1))
    assert step in (468, 6084, 11700), text
    assert "the 3 snapshots the run has" in text
    at.selectbox(key="dx_best_metric").set_value("diversity").run()
    _ok(at)
    text = " ".join(m.value for m in at.markdown)
    assert int(re.search(r"step \*\*(\d+)\*\*", text).group(1)) in (468, 6084, 11700), text


def test_card_says_how_many_samples_each_figure_used():
    at = _app()
    card = _card(at)
    assert "fd 18" in card and "(5,000 samples)" in card, card  # the larger evaluation wins over 500
    assert "(256 samples)" in card  # the trainer's diversity, on its eval_samples


def test_toy_cards_show_only_metrics_of_their_kind():
    for run, own in (("toy-scalar", "scalar_w1"), ("ring-8", "ring_modes"), ("pattern-1010", "pattern_error")):
        card = _card(_app(run=run))
        assert own in card and "near_duplicates" not in card and "diversity" not in card, card
