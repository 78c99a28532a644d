"""Lemmas (simplemma) of the words customers write, remembered so that reading a few new texts loads no dictionary.

Rule: a lemma is a pure function of the word, the language and simplemma's version. Every lemma
computed in this process is kept in a memo per language (`lemma`). A listening fit empties the memo
first (`forget`: what it saves holds words of the texts it read only, none of an erased person's) and
saves it with its models (`state`); an incremental run puts it back (`remember`) before reading the new
texts, and saves it again when they brought new words. A memo saved by another simplemma version is
ignored (its lemmas might differ). The memo gives exactly simplemma's answers, so the texts read with it
get the same readings.

A word the memo lacks goes to simplemma's own Lemmatizer and strategies (`lemmatizer`, built as
`simplemma.lemmatize` builds it), whose dictionaries are read from an on-disk index
(lemma_index.py, since 2026-12-01): a sqlite file per language and simplemma version in the per-user
cache folder (disk_cache.py; `CENTRIC_CACHE_DIR`), written by the first process that decodes the
dictionary (in practice the first full listening fit on the machine). Before, the few words a new day
brought (5 misspelt ones on the 20k demo) made simplemma decode whole dictionaries (es, ca and pt: about
2 s of CPU in a fresh process); now a lookup reads a few rows (6-7 us each). A language that gets many
lookups in one process (a full fit) moves to simplemma's in-memory dictionary once its lookups would have
cost what decoding costs (entries / 8 lookups: rent or buy). Where the folder cannot be used, simplemma's
in-memory dictionaries are used as before. Same answers on every path (tests/models/text/test_lemma_index.py).
"""

from __future__ import annotations

from importlib import metadata

#: At most this many remembered lemmas a language (a process reading many workspaces stops adding beyond it).
LIMIT = 500_000

_MEMO: dict[str, dict[str, str]] = {}
_VERSION: list[str] = []
_LEMMATIZER: list = []


def version() -> str:
    if not _VERSION:
        try:
            _VERSION.append(metadata.version("simplemma"))
        except metadata.PackageNotFoundError:  # pragma: no cover - simplemma is a dependency
            _VERSION.append("")
    return _VERSION[0]


def lemma(token: str, language: str) -> str:
    """simplemma.lemmatize(token, lang=language), from the memo when known (raises as simplemma does)."""
    memo = _MEMO.get(language)
    if memo is not None:
        found = memo.get(token)
        if found is not None:
            return found
    found = lemmatizer().lemmatize(token, language)
    memo = _MEMO.setdefault(language, {})
    if len(memo) < LIMIT:
        memo[token] = found
    return found


def lemmatizer():
    """simplemma's Lemmatizer as `simplemma.lemmatize` builds it (default strategy, not greedy), its
    dictionaries read through the on-disk index (lemma_index.IndexedDictionaryFactory): same answers,
    without decoding a whole dictionary for a few words."""
    if not _LEMMATIZER:
        from simplemma import Lemmatizer
        from simplemma.strategies import DefaultStrategy

        from centric.models.text.lemma_index import IndexedDictionaryFactory

        _LEMMATIZER.append(Lemmatizer(
            lemmatization_strategy=DefaultStrategy(dictionary_factory=IndexedDictionaryFactory())))
    return _LEMMATIZER[0]


def known(language: str | None = None) -> int:
    """How many lemmas of `language` (of every language by default) are remembered."""
    return len(_MEMO.get(language, {})) if language is not None else sum(map(len, _MEMO.values()))


def state(languages=None) -> dict:
    """The memo (of `languages`, by default of every language: Spanish texts also look words up in Catalan,
    sentiment.NEIGHBOUR) as JSON-ready data: {"simplemma": version, "lemmas": {language: {word: lemma}}}."""
    languages = list(_MEMO) if languages is None else languages
    return {"simplemma": version(), "lemmas": {lang: dict(_MEMO.get(lang, {})) for lang in languages}}


def remember(saved: dict | None) -> int:
    """Put back a memo saved by `state`; returns how many lemmas were added (0 when saved by another
    simplemma version, or nothing saved)."""
    if not saved or saved.get("simplemma") != version():
        return 0
    added = 0
    for language, words in (saved.get("lemmas") or {}).items():
        memo = _MEMO.setdefault(language, {})
        before = len(memo)
        for token, value in words.items():
            if len(memo) >= LIMIT:
                break
            memo.setdefault(token, value)
        added += len(memo) - before
    return added


def forget() -> None:
    """Empty the memo (tests)."""
    _MEMO.clear()
