"""Language identification: restricted to the workspace's languages, Catalan told from Spanish."""

import pandas as pd
import pytest

from centric.models.text.language import LanguageIdentifier
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def identifier():
    return LanguageIdentifier(("en", "es", "ca", "pt"))


@pytest.mark.parametrize("text, language", [
    ("El paquete llegó tarde y la caja estaba rota", "es"),
    ("El paquet va arribar tard i la caixa estava trencada", "ca"),
    ("A encomenda chegou atrasada e a caixa vinha partida", "pt"),
    ("The parcel arrived late and the box was broken", "en"),
    ("Molt bona atenció, gràcies!", "ca"),
    ("Muy buena atención, gracias!", "es"),
])
def test_short_shop_texts(identifier, text, language):
    assert identifier.identify(text).language == language


def test_only_workspace_languages_are_returned():
    only = LanguageIdentifier(("es", "en"))
    assert only.identify("El paquet va arribar tard i la caixa estava trencada").language in ("es", "en")
    assert LanguageIdentifier(("ca",)).identify("anything at all").language == "ca"


@pytest.mark.parametrize("text", ["", "   ", "😀😀👍", "!!! ???", "12345", "<p></p>", None])
def test_texts_without_letters_have_no_language(identifier, text):
    guess = identifier.identify(text)
    assert guess.language is None and guess.confidence == 0.0


def test_bad_language_codes_are_refused():
    with pytest.raises(ValueError):
        LanguageIdentifier(("english",))
    with pytest.raises(ValueError):
        LanguageIdentifier(())


def test_handles_urls_and_mentions_do_not_decide_the_language(identifier):
    text = "@BarcelonaShop @support_es https://t.co/abc #Oferta el paquet encara no ha arribat"
    assert identifier.identify(text).language == "ca"


def _tweets():
    rows = []
    for language, name in (("ca", "catalan_test.csv"), ("es", "spanish_test.csv")):
        frame = pd.read_csv(shared_file("catalan_spanish_tweets", name), sep="\t", quoting=3)
        rows += [(language, str(t)) for t in frame["TWEET"]]
    return rows


def test_catalan_vs_spanish_on_the_test_splits(identifier):
    """Must show: >= 95% right between Catalan and Spanish with the workspace's languages en, es, ca, pt.

    The split files are labelled by the corpus the tweet came from, and ~8% of the Spanish file is
    Portuguese (Brazilian tweets) and ~2% of the Catalan file Spanish. Measured here: of the tweets
    the identifier places in Catalan or Spanish, the share placed right (the ca/es confusion), and
    the plain accuracy over all four languages, whose errors are mostly those Portuguese tweets.
    """
    rows = _tweets()
    guesses = [identifier.identify(t).language for _, t in rows]
    iberian = [(truth, guess) for (truth, _), guess in zip(rows, guesses) if guess in ("ca", "es")]
    between = sum(t == g for t, g in iberian) / len(iberian)
    overall = sum(t == g for (t, _), g in zip(rows, guesses)) / len(rows)
    print(f"ca/es decision {between:.4f} on {len(iberian)}; all four languages {overall:.4f} on {len(rows)}")
    assert between >= 0.95
    assert len(iberian) >= 0.9 * len(rows)
    assert overall >= 0.92


def test_the_model_from_the_cached_arrays_is_py3langids(tmp_path, monkeypatch):
    """Rule (language.py): py3langid's model saved as plain arrays in the cache folder is loaded again as
    the same model (every attribute equal) with the same guesses; damaged arrays are not read, replaced."""
    import stat

    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier as Model

    from centric.models.text import language

    monkeypatch.setenv("CENTRIC_CACHE_DIR", str(tmp_path / "cache"))
    folder, _ = language._arrays_dir()
    assert language._from_arrays(Model) is None and not folder.exists()
    shipped = Model.from_model_file(MODEL_FILE, norm_probs=True)
    language._save_arrays(shipped)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folder.iterdir())
    cached = language._from_arrays(Model)
    for name in ("nb_ptc", "nb_pc"):
        ours, theirs = getattr(cached, name), getattr(shipped, name)
        assert ours.dtype == theirs.dtype and ours.strides == theirs.strides and np.array_equal(ours, theirs)
    for name in ("nb_classes", "tk_nextmove", "tk_row", "tk_output", "_rowbase", "_alias_pairs", "_norm_probs",
                 "min_confidence"):
        assert getattr(cached, name) == getattr(shipped, name), name
    assert cached.tk_nextmove.typecode == shipped.tk_nextmove.typecode
    texts = ["El paquete llegó tarde y la caja estaba rota", "El paquet va arribar tard", "Obrigado!",
             "ok", "The parcel arrived late", "Molt bona atenció, gràcies!", "x" * 300, "qué? what?"]
    for languages in (None, ["en", "es", "ca", "pt"], ["es", "ca"]):
        for model in (cached, shipped):
            model.set_languages(languages)
        assert [cached.classify(t) for t in texts] == [shipped.classify(t) for t in texts]
    # a truncated array is not read, and the next save replaces the folder
    ptc = folder / "ptc.npy"
    ptc.write_bytes(ptc.read_bytes()[:1000])
    assert language._from_arrays(Model) is None
    language._save_arrays(shipped)
    assert language._from_arrays(Model) is not None
    (folder / "pc.npy").unlink()
    assert language._from_arrays(Model) is None
    monkeypatch.setenv("CENTRIC_CACHE_DIR", "")
    assert language._arrays_dir() == (None, False)
