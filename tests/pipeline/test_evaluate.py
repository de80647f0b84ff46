"""Measuring a scorer against a labeled file (pipeline.evaluate)."""

from dataclasses import dataclass

import pytest

from pipeline.evaluate import classification_metrics, evaluate_file, read_labeled
from pipeline.sentiment import SentimentScorer


@dataclass
class _Verdict:
    label: str


class _ScriptedScorer:
    """Answers with the label written after '=>' in the text, as the pipeline's scorer would."""

    def __init__(self):
        self.seen: list[str] = []

    def score(self, text: str) -> _Verdict:
        self.seen.append(text)
        return _Verdict(text.rsplit("=>", 1)[1].strip())


def _write(tmp_path, content: str):
    path = tmp_path / "labeled.tsv"
    path.write_text(content, encoding="utf-8")
    return path


def test_metrics_of_a_small_file(tmp_path):
    path = _write(
        tmp_path,
        "id\tlabel\ttext\tsource\n"
        "1\tnegative\tcold food => negative\treviews\n"
        "2\tnegative\trude staff => positive\treviews\n"
        "3\tneutral\topen on sundays => neutral\treddit\n"
        "4\tpositive\tgreat tacos => positive\treviews\n",
    )
    scorer = _ScriptedScorer()

    result = evaluate_file(path, scorer)

    assert scorer.seen[0] == "cold food => negative"  # the text column, other columns ignored
    assert result["count"] == 4
    assert result["precision"] == {"negative": 1.0, "neutral": 1.0, "positive": 0.5}
    assert result["recall"] == {"negative": 0.5, "neutral": 1.0, "positive": 1.0}
    assert result["f1"] == {"negative": 0.6667, "neutral": 1.0, "positive": 0.6667}
    assert result["negative_f1"] == 0.6667
    assert result["macro_f1"] == 0.7778
    assert result["texts_per_second"] > 0


def test_quotes_in_texts_are_kept_verbatim(tmp_path):
    path = _write(tmp_path, "text\tlabel\nThe ''Conan'' remake, \"meh\" => negative\tnegative\n")
    assert read_labeled(path) == [("The ''Conan'' remake, \"meh\" => negative", "negative")]


def test_a_class_never_predicted_scores_zero_without_dividing_by_zero():
    metrics = classification_metrics(["negative", "positive"], ["positive", "positive"])
    assert metrics["precision"]["negative"] == 0.0
    assert metrics["f1"]["negative"] == 0.0
    assert metrics["f1"]["neutral"] == 0.0  # absent and never predicted
    assert metrics["f1"]["positive"] == pytest.approx(2 / 3)


def test_header_without_label_column_is_refused(tmp_path):
    path = _write(tmp_path, "text\tsentiment\nnice\tpositive\n")
    with pytest.raises(ValueError, match="missing label"):
        evaluate_file(path, _ScriptedScorer())


def test_unknown_label_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "text\tlabel\nnice => positive\tpositive\nugh => negative\tangry\n")
    with pytest.raises(ValueError, match=r"line 3: unknown label 'angry'"):
        evaluate_file(path, _ScriptedScorer())


def test_a_row_without_its_label_column_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "text\tlabel\nnice\tpositive\na row typed with spaces, not a tab positive\n")
    with pytest.raises(ValueError, match=r"line 3: no label: the row has fewer tab-separated columns"):
        evaluate_file(path, _ScriptedScorer())


def test_real_scorer_on_reviews(tmp_path):
    path = _write(
        tmp_path,
        "text\tlabel\n"
        "Still waiting for my refund, three weeks later.\tnegative\n"
        "The pizza arrived cold and soggy.\tnegative\n"
        "We won't be back.\tnegative\n"
        "Open until 9 on weekdays.\tneutral\n"
        "Best tacos in town, friendly staff!\tpositive\n"
        "No complaints at all.\tpositive\n",
    )
    result = evaluate_file(path, SentimentScorer())
    assert result["count"] == 6
    assert result["negative_f1"] == 1.0
    assert result["neutral_recall"] == 1.0  # the opening hours are no alert
    # Weak praise without more than one weak word ("No complaints at all.") may read as neutral:
    # a positive verdict needs evidence too, and neutral is not an alert.
    assert result["precision"]["positive"] == 1.0
