"""py3langid's model is unpacked once into the user's cache folder and read from there by later
processes; the copy tells the same languages, and a broken or missing copy changes nothing."""

from __future__ import annotations

import pytest

from pipeline.language import LanguageDetector

# Each text lacks the English function words, so only the model can tell its language.
TEXTS = {
    "Ce restaurant est vraiment magnifique, je recommande vivement": "fr",
    "Das Essen war kalt und der Kellner unfreundlich, nie wieder": "de",
    "La comida estaba fría y el camarero fue muy grosero": "es",
    "Il servizio era lento ma la pizza era ottima davvero": "it",
}


def detected() -> dict[str, str | None]:
    detector = LanguageDetector()
    return {text: detector.detect(text) for text in TEXTS}


def test_the_unpacked_copy_is_written_once_and_tells_the_same_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert detected() == TEXTS  # the first process unpacks the shipped model
    (copy,) = (tmp_path / "mentionwatch").glob("py3langid-*.npz")
    assert (tmp_path / "mentionwatch").stat().st_mode & 0o777 == 0o700
    written = copy.stat().st_mtime_ns
    assert detected() == TEXTS  # a later one reads the copy
    assert copy.stat().st_mtime_ns == written


@pytest.mark.parametrize("damage", ["garbage", "folder is a file"])
def test_a_broken_copy_or_cache_folder_falls_back_to_the_shipped_model(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if damage == "garbage":
        assert detected() == TEXTS
        (copy,) = (tmp_path / "mentionwatch").glob("py3langid-*.npz")
        copy.write_bytes(b"PK\x03\x04 not a model")
    else:
        (tmp_path / "mentionwatch").write_text("not a folder")
    assert detected() == TEXTS
    if damage == "garbage":  # removed, and written whole again by the next process
        assert detected() == TEXTS
        (copy,) = (tmp_path / "mentionwatch").glob("py3langid-*.npz")
        assert copy.stat().st_size > 1_000_000
