"""simplemma's dictionaries read from the on-disk index (models/text/lemma_index.py).

Rules under test: the lemmas are exactly plain simplemma.lemmatize's, in en, es, ca and pt, for dictionary
words, their inflections, upper case, accents stripped or added, clitics, hyphens, apostrophes and
made-up words that go through the affix and rule strategies, both while reading the index and after the
switch to memory; a corrupt, truncated, foreign or other-version file is never trusted (rebuilt); the
folder is 0700 and the files 0600, a folder of others or open to others is not used (nor changed), and one that
cannot be written falls back to memory; processes building at once leave a valid index.
"""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import subprocess
import sys
import unicodedata

import pytest
import simplemma
from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

from centric.models.text import lemma_index
from centric.models.text.lemma_index import IndexedDictionary, IndexedDictionaryFactory

LANGUAGES = ("en", "es", "ca", "pt")
ENDINGS = {"en": ["s", "ed", "ing", "ly", "ness", "less", "'s", "ers"],
           "es": ["s", "es", "mente", "ísimo", "ísimas", "ito", "selo", "le", "ando", "aron"],
           "ca": ["s", "es", "ment", "ets", "-la", "-los", "'n", "ava", "eren"],
           "pt": ["s", "es", "mente", "íssimo", "inho", "-se", "-lo", "ões", "aram"]}
PREFIXES = {"en": ["un", "re", "over"], "es": ["des", "re", "anti"], "ca": ["des", "re", "l'", "d'"],
            "pt": ["des", "re", "anti"]}
MADE_UP = ["xyzzyqwert", "Zalando", "iPhone", "COVID-19", "e-mail", "ok", "OK", "42", "3rd", "a", "é",
           "ñandú", "çà", "über", "l'amic", "d'aquí", "dáselo", "cómpramelo", "fazê-lo", "envia-m'ho",
           "super-rápido", "pedidoscompletos", "desenvuelvanselos", "entregaram", "decepcionadas", "Entrega",
           "ENTREGA", "rapidísimo", "unbelievabilityness", "Muy", "PÉSSIMO", "atención", "atencion", "Atención"]


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def words_of(lang: str, n: int = 700, seed: int = 7) -> list[str]:
    """Dictionary words (keys and lemmas) of `lang` and variations of them most of which are not keys."""
    entries = DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)
    rng = random.Random(seed)
    keys = list(entries)
    sample = rng.sample(keys, n)
    words = set(MADE_UP)
    for word in sample:
        words.update([word, entries[word], word.upper(), word.capitalize(), _strip_accents(word),
                      word + rng.choice(ENDINGS[lang]), rng.choice(PREFIXES[lang]) + word,
                      word[:-1] if len(word) > 3 else word, word + "-" + rng.choice(sample)])
    return sorted(words)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Index files of the four languages in a folder of their own."""
    folder = tmp_path_factory.mktemp("lemma-cache")
    factory = IndexedDictionaryFactory(folder)
    for lang in LANGUAGES:
        factory.get_dictionary(lang)
    assert sorted(factory.built) == sorted(LANGUAGES)
    return folder


def lemmatizer(factory) -> Lemmatizer:
    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lemmas_from_the_index_are_simplemmas(built, lang):
    factory = IndexedDictionaryFactory(built, switch_ratio=1)  # budget: as many lookups as entries
    mapping = factory.get_dictionary(lang)
    assert isinstance(mapping, IndexedDictionary) and not mapping.in_memory
    words = words_of(lang)
    ours = lemmatizer(factory)
    assert [ours.lemmatize(w, lang) for w in words] == [simplemma.lemmatize(w, lang=lang) for w in words]
    assert not mapping.in_memory and mapping.lookups >= len(words)
    # and words that simplemma resolves through the rules and affixes, not the dictionary, are among them
    memory = DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)
    assert sum(memory.get(w) is None and memory.get(w.lower()) is None for w in words) > len(words) // 4


def test_lemmas_across_languages_and_after_the_switch_to_memory(built):
    factory = IndexedDictionaryFactory(built, switch_ratio=200_000)  # a budget of a few lookups
    ours = lemmatizer(factory)
    words = words_of("es", n=150, seed=3) + words_of("ca", n=150, seed=3)
    for lang in [("es", "ca"), "ca", "es"]:
        assert [ours.lemmatize(w, lang) for w in words] == [simplemma.lemmatize(w, lang=lang) for w in words]
    assert factory.get_dictionary("es").in_memory and factory.get_dictionary("ca").in_memory


def test_mapping_reads_as_simplemmas(built):
    mapping = IndexedDictionaryFactory(built, switch_ratio=1).get_dictionary("pt")
    memory = DEFAULT_DICTIONARY_FACTORY.get_dictionary("pt")
    assert len(mapping) == len(memory)
    for word in ["entregaram", "xyzzy", "Entregaram"]:
        assert mapping.get(word) == memory.get(word) and (word in mapping) == (memory.get(word) is not None)
    with pytest.raises(KeyError):
        mapping["xyzzy"]
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: simplemma's key.encode() raises too
        mapping.get("\udc80")
    with pytest.raises(ValueError):
        IndexedDictionaryFactory(built).get_dictionary("xx")


def test_the_memo_reads_through_the_index(built, monkeypatch):
    from centric.models.text import lemmas

    monkeypatch.setattr(lemmas, "_LEMMATIZER", [])
    monkeypatch.setenv("CENTRIC_CACHE_DIR", str(built))
    lemmas.forget()
    try:
        assert lemmas.lemma("desenvuelvanselos", "es") == simplemma.lemmatize("desenvuelvanselos", lang="es")
        strategy = lemmas.lemmatizer()._lemmatization_strategy
        mapping = strategy._dictionary_lookup._dictionary_factory.get_dictionary("es")
        assert isinstance(mapping, IndexedDictionary) and mapping.lookups > 0
    finally:
        lemmas.forget()


def _copy(built, tmp_path, lang="en"):
    path = lemma_index.index_path(tmp_path, lang)
    path.write_bytes(lemma_index.index_path(built, lang).read_bytes())
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize("damage", ["truncate", "garbage", "version", "count", "not sqlite", "empty", "open to others"])
def test_a_damaged_file_is_rebuilt(built, tmp_path, damage):
    path = _copy(built, tmp_path)
    assert lemma_index.open_index(path, "en") is not None
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        data = bytearray(path.read_bytes())
        data[:4096] = os.urandom(4096)
        path.write_bytes(bytes(data))
    elif damage == "not sqlite":
        path.write_text("simplemma index\n" * 500)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "open to others":
        os.chmod(path, 0o644)
    else:
        con = sqlite3.connect(path)
        key, value = ("simplemma", "0.0-other") if damage == "version" else ("count", "12")
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
        con.commit()
        con.close()
    assert lemma_index.open_index(path, "en") is None
    factory = IndexedDictionaryFactory(tmp_path)
    assert factory.get_dictionary("en").get("running") == "run"  # from memory, and the file rebuilt
    assert factory.built == ["en"]
    assert lemma_index.open_index(path, "en") is not None
    assert IndexedDictionaryFactory(tmp_path).get_dictionary("en").get("running") == "run"


def test_an_error_while_reading_drops_the_file(built, tmp_path):
    path = _copy(built, tmp_path)
    mapping = IndexedDictionaryFactory(tmp_path).get_dictionary("en")
    assert isinstance(mapping, IndexedDictionary) and mapping.get("houses") == "house"
    mapping._con.close()  # any sqlite error from here on
    assert mapping.get("running") == "run" and mapping.in_memory and not path.exists()


def test_folder_and_file_permissions(tmp_path, monkeypatch):
    folder = tmp_path / "cache" / "centric"
    monkeypatch.setenv("CENTRIC_CACHE_DIR", str(folder))
    assert lemma_index.cache_dir() == folder
    factory = IndexedDictionaryFactory()
    factory.get_dictionary("en")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert [f.name for f in files] == [lemma_index.index_path(folder, "en").name]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    monkeypatch.setenv("CENTRIC_CACHE_DIR", "")
    assert lemma_index.cache_dir() is None
    monkeypatch.delenv("CENTRIC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert lemma_index.cache_dir() == tmp_path / "xdg" / "centric"


def test_a_folder_open_to_others_is_not_used_and_one_not_writable_falls_back(tmp_path):
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(folder, 0o1777)  # as /tmp: not used, and left as it is
    assert lemma_index.usable_dir(folder) == (None, False)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o1777
    factory = IndexedDictionaryFactory(folder)
    assert factory.get_dictionary("en").get("running") == "run" and factory.built == [] and not any(folder.iterdir())
    os.chmod(folder, 0o700)
    assert lemma_index.usable_dir(folder) == (folder, True)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert lemma_index.usable_dir(blocked) == (None, False)
    assert lemma_index.usable_dir(blocked / "below") == (None, False)
    factory = IndexedDictionaryFactory(blocked / "below")
    assert factory.get_dictionary("en").get("running") == "run" and factory.built == []
    if os.getuid() != 0:  # root writes anywhere
        readonly = tmp_path / "readonly"
        readonly.mkdir(mode=0o500)
        assert lemma_index.usable_dir(readonly) == (readonly, False)


def test_processes_building_at_once_leave_a_valid_index(tmp_path):
    code = ("import sys; from centric.models.text.lemma_index import IndexedDictionaryFactory as F; "
            "f = F(sys.argv[1]); assert f.get_dictionary('en').get('houses') == 'house'")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env) for _ in range(3)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0]
    assert [p.name for p in tmp_path.iterdir()] == [lemma_index.index_path(tmp_path, "en").name]
    assert lemma_index.open_index(lemma_index.index_path(tmp_path, "en"), "en") is not None
