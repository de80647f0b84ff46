"""The learned scorer: its features, its model file, aspects and languages."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from pipeline.aspects import AspectFinder, validate_aspects
from pipeline.errors import MentionwatchError
from pipeline.features import DENSE_NAMES, indexed, tokens, vocabulary_of
from pipeline.language import LanguageDetector
from pipeline.learned import MODEL_PATH, ModelError, load_model
from pipeline.record import MentionRecord
from pipeline.sentiment import SentimentScorer, plain_vader_label
from pipeline.writer import AlertPolicy

# ---------------------------------------------------------------------------------------------
# Features


def test_negation_marks_the_words_in_its_scope_until_punctuation():
    features = tokens("The food was not good, the staff were nice")
    assert "~good" in features and "good" not in features
    assert "nice" in features and "~nice" not in features  # the comma ended the scope
    assert "~good" in tokens("I don't think it was good")


def test_contrast_repeats_the_clause_after_but_and_ends_negation():
    features = tokens("Not cheap but the coffee is great")
    assert "~cheap" in features
    assert ">great" in features and "~great" not in features
    assert "great" in features


def test_word_pairs_and_marks_are_features():
    features = tokens("Never again!")
    assert "never ~again" in features and "^ never" in features and "!" in features


def test_the_vocabulary_holds_what_enough_texts_share_and_gives_each_its_own_row():
    texts = [tokens("Rude staff"), tokens("rude staff and cold food"), tokens("Cold food")]
    vocabulary = vocabulary_of(texts, 2)
    assert set(vocabulary) == {"rude", "staff", "rude staff", "^ rude", "cold", "food", "cold food"}
    assert sorted(vocabulary.values()) == list(range(len(vocabulary)))  # a row each, none shared
    rows, value = indexed(tokens("Rude staff, awful"), vocabulary)
    # "awful" has no row (no text taught it), but it still counts in the length scaling.
    assert sorted(rows) == sorted(vocabulary[f] for f in ("rude", "staff", "rude staff", "^ rude"))
    assert value == pytest.approx(1 / np.sqrt(len(set(tokens("Rude staff, awful")))))
    assert indexed([], vocabulary) == ([], 0.0)


def test_dense_features_carry_vader_s_reading_per_sentence():
    scorer = SentimentScorer()
    _, dense, _ = scorer.features("Lovely staff. The food was cold and the waiter was rude.")
    named = dict(zip(DENSE_NAMES, dense))
    assert len(dense) == len(DENSE_NAMES)
    assert named["min"] < 0 < named["max"]
    assert named["combined<=-0.05"] == 1.0  # the complaint decides VADER's combination
    assert named["domain_negative_words"] == 0.0 or named["domain_negative_words"] > 0


# ---------------------------------------------------------------------------------------------
# The model file


def test_the_shipped_model_is_small_and_says_what_it_was_trained_on():
    assert MODEL_PATH.stat().st_size < 5_000_000
    meta = json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(meta["trained_on"]) == {"blitzer_mds_amazon.tsv", "kotzias_amazon_cells.tsv",
                                       "kotzias_imdb.tsv", "semeval2017_task4a_tweets.tsv",
                                       "semeval2014_laptops.tsv"}
    assert set(meta["calibration_by_register"]) == {"review", "social", "news"}
    model = load_model()
    assert model.lexical.shape == (len(model.vocabulary), 2)  # the neutral head and the polarity head
    assert meta["vocabulary"]["features"] == len(model.vocabulary) > 50_000


def _copy_model(tmp_path):
    target = tmp_path / "model.npz"
    shutil.copyfile(MODEL_PATH, target)
    shutil.copyfile(MODEL_PATH.with_suffix(".json"), target.with_suffix(".json"))
    return target


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="missing"):
        load_model(tmp_path / "absent.npz")
    path = _copy_model(tmp_path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match=r"model\.json is missing"):
        load_model(path)


def test_a_corrupt_model_file_is_a_clear_error_never_a_fallback(tmp_path):
    path = _copy_model(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])  # cut short
    with pytest.raises(ModelError, match="corrupt") as raised:
        load_model(path)
    assert isinstance(raised.value, MentionwatchError)

    path = _copy_model(tmp_path)
    path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="corrupt"):
        load_model(path)


def test_a_model_built_for_other_features_is_refused(tmp_path):
    path = _copy_model(tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    meta["feature_version"] = 2  # hashed words, before the vocabulary
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="other features"):
        load_model(path)

    path = _copy_model(tmp_path / "")
    with np.load(path) as arrays:
        weights = dict(arrays)
    weights["dense"] = weights["dense"][:3]
    with path.open("wb") as handle:
        np.savez(handle, **weights)
    with pytest.raises(ModelError, match="dense has shape"):
        load_model(path)


def _rewrite_vocabulary(path, change):
    with np.load(path) as arrays:
        weights = dict(arrays)
    lines = change(weights["vocabulary"].tobytes().decode("utf-8").split("\n"))
    weights["vocabulary"] = np.frombuffer("\n".join(lines).encode("utf-8"), dtype=np.uint8)
    with path.open("wb") as handle:
        np.savez(handle, **weights)


def test_a_vocabulary_that_does_not_match_the_weights_is_refused(tmp_path):
    # A line lost would shift every later feature onto its neighbour's weights.
    path = _copy_model(tmp_path)
    _rewrite_vocabulary(path, lambda lines: lines[1:])
    with pytest.raises(ModelError, match="lexical has shape"):
        load_model(path)

    path = _copy_model(tmp_path)
    _rewrite_vocabulary(path, lambda lines: [lines[1], *lines[1:]])
    with pytest.raises(ModelError, match="repeats a feature"):
        load_model(path)


def test_a_model_without_a_register_s_calibration_is_refused(tmp_path):
    path = _copy_model(tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    del meta["calibration_by_register"]["social"]
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="calibration_by_register"):
        load_model(path)


def test_a_model_without_each_register_s_default_threshold_is_refused(tmp_path):
    path = _copy_model(tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    meta["alert_threshold_by_register"]["news"] = 0.5  # a threshold above 0 would alert on praise
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="alert_threshold_by_register"):
        load_model(path)


def test_a_model_without_its_neutral_gate_is_refused(tmp_path):
    path = _copy_model(tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    meta["gate"]["weights"] = meta["gate"]["weights"][:-1]
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="neutral gate"):
        load_model(path)


# ---------------------------------------------------------------------------------------------
# The label


def test_the_score_is_p_positive_minus_p_negative_and_the_thresholds_keep_their_meaning():
    scorer = SentimentScorer()
    result = scorer.score("The product stopped working after two days and support never answered.")
    p_neg, p_neu, p_pos = result.probabilities
    assert p_neg + p_neu + p_pos == pytest.approx(1.0)
    assert result.sentiment == pytest.approx(p_pos - p_neg, abs=1e-4)
    assert result.label == "negative" and p_neg > 0.5
    # A stricter threshold alerts only about clearer complaints.
    strict = SentimentScorer(negative_threshold=-0.99, positive_threshold=0.99)
    assert strict.score("The product stopped working after two days and support never answered.").label == "neutral"


def test_the_model_reads_what_plain_vader_gets_wrong():
    scorer = SentimentScorer()
    for complaint in ("Save your money.", "The screen cracked the first day.", "Would not buy again."):
        assert plain_vader_label(complaint) != "negative"
        assert scorer.score(complaint).label == "negative", complaint
    # A negated complaint word is no complaint: praise when the model is sure of it, else neutral
    # (one weak word of VADER's; see docs/scoring.md).
    assert scorer.score("No complaints.").label == "positive"
    for weak_praise in ("Had no problems with it.", "No complaints at all.", "Nothing to complain about."):
        assert scorer.score(weak_praise).label != "negative", weak_praise


def test_a_rating_still_decides_and_empty_text_stays_neutral():
    scorer = SentimentScorer()
    assert scorer.score("Lovely staff, great location.", rating=1).label == "negative"
    empty = scorer.score("")
    assert (empty.label, empty.sentiment, empty.probabilities) == ("neutral", 0.0, None)


# ---------------------------------------------------------------------------------------------
# Aspects


def test_a_complaint_names_what_it_is_about_from_its_negative_sentences():
    scorer = SentimentScorer()
    result = scorer.score("Lovely coffee. We waited over an hour and the waiter was rude about it.")
    assert result.label == "negative"
    assert result.aspects == ("service and staff", "wait time")
    assert scorer.score("Wonderful staff and great food!").aspects == ()  # praise has no aspects
    # Calls and messages nobody answered are about the service, wherever there is no staff word.
    for complaint in ("Smith Injury Law never returned my calls for three weeks and billed me for it.",
                      "They never called back and my repair is still not done.",
                      "Terrible experience, I left three voicemails and got no response.",
                      "The office is completely unresponsive."):
        assert "service and staff" in scorer.score(complaint).aspects, complaint


def test_owners_extend_the_aspect_lexicon():
    finder = AspectFinder({"parking": ["parking", "valet*"], "wait time": ["eternity"]})
    assert finder.find("The valets scratched my car") == ("parking",)
    assert finder.find("It took an eternity") == ("wait time",)
    assert "parking" in finder.names and "safety" in finder.names
    scorer = SentimentScorer(extra_aspects={"parking": ["parking lot"]})
    assert "parking" in scorer.score("The parking lot was a filthy disgrace.").aspects


def test_a_bad_aspect_entry_is_named():
    with pytest.raises(ValueError, match="'parking' must list words"):
        validate_aspects({"parking": "valet"})
    with pytest.raises(ValueError, match="empty word"):
        validate_aspects({"parking": ["*"]})


# ---------------------------------------------------------------------------------------------
# Languages


def test_languages_are_detected_and_short_texts_are_not_guessed():
    detector = LanguageDetector()
    assert detector.detect("The waiter was rude and we waited an hour.") == "en"
    assert detector.detect("El servicio fue terrible y la comida estaba fría.") == "es"
    assert detector.detect("Le service était horrible, je ne reviendrai jamais.") == "fr"
    assert detector.detect("Das Essen war kalt und der Kellner unfreundlich.") == "de"
    # Words English shares with them ("was", "we", "is", "i", "an") make none of these English.
    assert detector.detect("Het eten was koud en de bediening was traag, we hebben lang gewacht.") == "nl"
    assert detector.detect("Het personeel is vriendelijk en de koffie is heerlijk.") == "nl"
    assert detector.detect("I dolci sono buoni ma i prezzi sono alti.") == "it"
    assert detector.detect("Ich habe an der Kasse gewartet, was für ein Service!") == "de"
    assert detector.detect("A comida do restaurante estava fria e o atendimento do garçom foi péssimo.") == "pt"
    assert detector.detect("Terrible service") is None  # too short to tell: scored as English
    # Addresses, handles and tags are no language's words.
    assert detector.detect("@joe_b https://t.co/Xy12 #brunch lol") is None
    assert detector.detect("@joe_b https://t.co/Xy12 El servicio fue terrible y la comida estaba fría") == "es"


def test_a_text_the_scorer_cannot_read_is_unscored_never_neutral():
    scorer = SentimentScorer()
    result = scorer.score("El servicio fue terrible y la comida estaba fría.")
    assert (result.label, result.language, result.probabilities) == ("unscored", "es", None)
    # A rating still decides.
    assert scorer.score("El servicio fue terrible y la comida estaba fría.", rating=1).label == "negative"
    # Short English fragments are still read.
    assert scorer.score("Terrible service").label == "negative"


def test_urgent_phrases_per_language():
    scorer = SentimentScorer(urgent_phrases_by_language={"es": ["intoxicación"]})
    spanish = scorer.score("Mi hijo sufrió una intoxicación después de comer en este restaurante.")
    assert (spanish.label, spanish.urgent, spanish.urgent_phrases) == ("unscored", True, ("intoxicación",))
    # Phrases given for Spanish are not looked for in English text.
    assert not scorer.score("The intoxicación cocktail was the best thing we tried all night.").urgent


def _record(score) -> MentionRecord:
    return MentionRecord(
        business="X", source_id=1, source_type="feed", url="u", canonical_url="u", title=None, text="t",
        author=None, published_at=None, rating=None, fingerprint=None, content_hash="h", score=score,
    )


def test_unscored_mentions_are_stored_unless_the_owner_asks_for_alerts_and_urgent_ones_always_alert():
    from datetime import UTC, datetime

    scorer = SentimentScorer(urgent_phrases_by_language={"es": ["intoxicación"]})
    now = datetime.now(UTC)
    plain = _record(scorer.score("El servicio fue terrible y la comida estaba fría."))
    urgent = _record(scorer.score("Mi hijo sufrió una intoxicación después de comer en este restaurante."))
    assert not AlertPolicy().owed(plain, now)
    assert AlertPolicy(alert_unscored=True).owed(plain, now)
    assert AlertPolicy().owed(urgent, now)
