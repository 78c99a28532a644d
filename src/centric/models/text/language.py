"""Language identification restricted to the workspace's languages.

py3langid (Lui & Baldwin 2012, langid.py: a naive Bayes model over byte n-grams, shipped inside the
package: nothing is downloaded) is restricted to the languages a shop writes in. That restriction is
the largest single gain (the design guide): Catalan is no longer confused with Occitan or Galician.
Texts are cleaned first (URLs, handles, tags), because a tweet's @handles are not its language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from centric.models.text.normalize import clean, has_letters

#: Languages the text models ship resources for (lexicon, taxonomy, stop words).
SUPPORTED_LANGUAGES = ("en", "es", "ca", "pt")


@dataclass(frozen=True)
class Guess:
    language: str | None
    confidence: float


class LanguageIdentifier:
    """Identify the language of short customer texts among ``languages``.

    ``identify(text)`` returns a :class:`Guess`: the language (None when the text has no letters)
    and a confidence in [0, 1], the normalised posterior of the chosen language among the
    allowed ones.
    """

    def __init__(self, languages=SUPPORTED_LANGUAGES):
        self.languages = tuple(languages)
        unknown = [code for code in self.languages if len(code) != 2]
        if unknown or not self.languages:
            raise ValueError(f"languages must be ISO 639-1 codes, got {list(languages)!r}")
        self._model = _model(self.languages)

    def identify(self, text: str) -> Guess:
        plain = clean(text, limit=2_000)
        if not has_letters(plain):
            return Guess(None, 0.0)
        if len(self.languages) == 1:
            return Guess(self.languages[0], 1.0)
        language, confidence = self._model.classify(plain)
        return Guess(str(language), float(confidence))


@lru_cache(maxsize=4)
def _model(languages: tuple):
    """py3langid's model restricted to `languages`, loaded once per process (classifying reads it and never
    changes it): a run after another in the same process (`centric run --every`, an incremental run after a
    full one) does not load it again. Loaded from the cache folder's plain arrays when there (see
    `_from_arrays`), else as py3langid loads it, the arrays then saved for the next process."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier as _Model

    model = _from_arrays(_Model)
    if model is None:
        model = _Model.from_model_file(MODEL_FILE, norm_probs=True)
        _save_arrays(model)
    known = set(model.nb_classes)
    missing = [code for code in languages if code not in known]
    if missing:
        raise ValueError(f"language identification does not know {missing}; use ISO 639-1 codes")
    if len(languages) > 1:
        model.set_languages(list(languages))
    return model


# py3langid ships its model as an LZMA-compressed npz: decompressing it is most of the 0.5 s (CPU) a process
# pays to load it. The same arrays saved uncompressed as .npy files in the per-user cache folder
# (disk_cache.py) are mapped (np.load mmap_mode="r") in about 0.03 s; py3langid's own loader then builds the
# model from them as from_model_file does (np.asarray, modelio._to_array, .tolist()), so the model is the
# same (tests/models/text/test_language.py compares every attribute and the guesses). The folder of arrays is
# written once (68 MB), under a temporary name then renamed; one of another py3langid version or model file
# size, incomplete or not ours is not read (and is replaced).
_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _arrays_dir():
    from importlib import metadata

    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from centric.models.text.disk_cache import cache_dir, usable_dir

    folder, writable = usable_dir(cache_dir())
    if folder is None:
        return None, False
    try:
        size = (MODEL_DIR / MODEL_FILE).stat().st_size
        version = metadata.version("py3langid")
    except (OSError, metadata.PackageNotFoundError):
        return None, False
    return folder / f"py3langid-{version}-{size}-arrays", writable


def _from_arrays(model_class):
    import numpy as np
    from py3langid.modelio import _to_array

    from centric.models.text.disk_cache import private_file

    folder, _ = _arrays_dir()
    if folder is None or not folder.is_dir() or not all(private_file(folder / f"{n}.npy") for n in _ARRAYS):
        return None
    try:
        data = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        # as py3langid.modelio.load_model, then LanguageIdentifier.from_model_file
        return model_class(np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                           _to_array(data["nextmove"]), data["out_feat"].tolist(), norm_probs=True,
                           tk_row=_to_array(data["nextmove_row"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_arrays(model) -> None:
    import os
    import shutil
    import tempfile

    import numpy as np

    folder, writable = _arrays_dir()
    if folder is None or not writable:
        return
    if folder.exists():  # not read above: incomplete, damaged or not ours
        shutil.rmtree(folder, ignore_errors=True)
    nb_ptc, nb_pc, nb_classes = model._full_model
    arrays = {"ptc": nb_ptc, "pc": nb_pc, "classes": np.array(nb_classes),
              "nextmove": np.frombuffer(model.tk_nextmove, dtype=f"u{model.tk_nextmove.itemsize}"),
              "nextmove_row": np.frombuffer(model.tk_row, dtype=f"u{model.tk_row.itemsize}"),
              "out_feat": np.asarray(model.tk_output, dtype=np.int32)}
    temp = None
    try:
        temp = tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent)  # mode 0700
        for name, values in arrays.items():
            path = os.path.join(temp, f"{name}.npy")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                np.save(handle, values, allow_pickle=False)
        os.rename(temp, folder)  # fails when another process got there first: its folder is as good
        temp = None
    except OSError:
        pass
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
