"""The layering rule of the design guide, the import cost, and the public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "centric"


def _centric_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("centric"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("centric"))
    return names


def test_models_and_queries_import_nothing_of_centric_but_schema():
    for package in ("models", "queries"):
        for path in (SRC / package).rglob("*.py"):
            bad = {m for m in _centric_imports(path) if not m.startswith((f"centric.{package}", "centric.schema"))}
            assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_only_store_opens_the_database():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "store":
            continue
        text = path.read_text()
        assert "duckdb.connect" not in text and "SparkSession" not in text, f"{rel} opens a database"


def test_thin_layers_call_services_not_store():
    """cli, report, api and the Workspace (workspace*.py) reach the data through services only."""
    thin = [p for package in ("cli", "report", "api") for p in (SRC / package).rglob("*.py")]
    for path in thin + sorted(SRC.glob("workspace*.py")):
        bad = {m for m in _centric_imports(path) if m.startswith(("centric.store", "centric.models", "centric.queries"))}
        assert not bad, f"{path.relative_to(SRC)} reaches past services: {bad}"


def test_the_cli_goes_through_the_workspace():
    """Issue 19: the CLI is a shell over centric.Workspace; it calls no service itself."""
    for path in (SRC / "cli").rglob("*.py"):
        bad = {m for m in _centric_imports(path) if m.startswith("centric.services")}
        assert not bad, f"{path.relative_to(SRC)} calls services past the Workspace: {bad}"


def test_import_centric_is_light():
    code = "import sys, centric; heavy = [m for m in ('duckdb', 'pandas', 'ibis', 'numpy', 'pyarrow') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_import_time_under_budget():
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import centric"],
                         capture_output=True, text=True, check=True).stderr
    total_us = 0
    for line in out.splitlines():
        if line.rstrip().endswith("| centric"):
            total_us = int(line.split("|")[1])
    assert 0 < total_us < 300_000


def test_public_api():
    import centric

    assert set(centric.__all__) == {"Workspace", "__version__"}
    assert callable(centric.Workspace)


def test_clv_public_api():
    import centric.models.clv as clv

    assert set(clv.__all__) == {
        "BetaGeo", "BetaGeoBetaBinom", "ConvergenceError", "DataError", "GammaGamma", "ModifiedBetaGeo",
        "ParetoNBD", "ShiftedBetaGeo", "compare_models", "discounted_value", "frequency_spend_correlation",
        "holdout_by_frequency", "holdout_error", "log_hyp2f1", "survivors_from_customers", "tracking_curve",
    }
    assert all(hasattr(clv, name) for name in clv.__all__)


_SQL = __import__("re").compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH)\b[\s\S]*\b(FROM|INTO|SET|TABLE|AS)\b")


def _boundary_breaches(path: Path) -> list[str]:
    """SQL text (a string constant that reads as a statement, not a docstring nor a `centric sql`
    example shown to the user), `.con`, `query_df` and `with store.transaction() as con` in one module."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if _SQL.search(node.value) and "centric sql" not in node.value and "centric sql" not in str(node.value):
                found.append(f"line {node.lineno}: SQL text {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in ("con", "query_df"):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.withitem) and node.optional_vars is not None and isinstance(node.context_expr, ast.Call)
              and isinstance(node.context_expr.func, ast.Attribute) and node.context_expr.func.attr == "transaction"):
            found.append(f"line {node.context_expr.lineno}: the raw connection of a transaction")
    return found


def test_no_sql_and_no_connection_outside_store_and_queries():
    """Issue 19's boundary: analytic data is read and written through Ibis expressions in queries/ or
    Store methods; services, the CLI, the API and the Workspace hold no SQL text and never touch `.con`."""
    paths = sorted(SRC.glob("workspace*.py")) + [p for package in ("services", "cli", "api", "report") for p in (SRC / package).rglob("*.py")]
    breaches = {str(p.relative_to(SRC)): b for p in paths if (b := _boundary_breaches(p))}
    assert not breaches, breaches


def test_the_boundary_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('def f(store):\n    """SELECT x FROM y in a docstring is fine."""\n'
                   '    store.con.execute("SELECT * FROM orders")\n    with store.transaction() as con:\n        pass\n'
                   '    return store.query_df("x")\n')
    assert len(_boundary_breaches(bad)) == 4


def _import_graph(root: Path, package: str = "centric", lazy: bool = True) -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports, at module level and (lazy=True) inside functions
    too: a lazy import hides a cycle, it does not break it. `from a import b` counts as a.b when that
    is a module."""
    def name_of(path: Path) -> str:
        parts = (package, *path.relative_to(root).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(p): p for p in root.rglob("*.py")}

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text())
        found = set()
        for node in ast.walk(tree) if lazy else tree.body:
            if isinstance(node, ast.Import):
                found.update(known(a.name) for a in node.names if a.name.split(".")[0] == package)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                if base.split(".")[0] == package:
                    found.update(known(f"{base}.{a.name}") for a in node.names)
        graph[name] = found - {None, name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# Workspace.app() and Workspace.serve() start the HTTP API, which reads and writes the workspace through
# the Workspace (api/context.py): the one loop allowed, and only as an import inside those methods.
ALLOWED_LAZY_IMPORTS = {("centric.workspace_server", "centric.api.app")}


def test_no_import_cycles():
    """No two modules of centric import each other, directly or through others, even lazily (issue 19:
    queries/funnel <-> funnel_orders, store/connection <-> migrations were such cycles)."""
    graph = _import_graph(SRC)
    assert "centric.queries.funnel_orders" in graph["centric.queries.funnel"]  # the graph sees real imports
    eager = _import_graph(SRC, lazy=False)
    for module, imported in ALLOWED_LAZY_IMPORTS:
        assert imported in graph[module] and imported not in eager[module], (module, imported)
        graph[module].discard(imported)
    assert _cycles(graph) == []


def test_the_cycle_check_can_fail(tmp_path):
    pkg = tmp_path / "centric"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from centric.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "sub" / "c.py").write_text("import centric.sub.a\n")
    (pkg / "d.py").write_text("from centric.sub.a import x\n")
    assert _cycles(_import_graph(pkg)) == [["centric.sub.a", "centric.sub.b", "centric.sub.c"]]


def test_the_run_path_leaves_scipy_stats_and_sklearn_unimported():
    """A fresh `centric run` (cron) pays for what it imports: scipy.stats about 0.3 s, sklearn about 0.2 s
    (and it imports scipy.stats itself), the text libraries more. Importing every module of the command line,
    services, queries, store and reports, the CLV and survey models, and computing the Gamma-Gamma premise
    check and the survey intervals, imports none of them: they load only where a model needs them (a text
    model trained, a clustering, a journey model; a saved text model reads without scikit-learn: the test
    below), so a run without new feedback skips them."""
    code = """
import pkgutil, sys
import centric.cli, centric.queries, centric.report, centric.services, centric.store
for package in (centric.cli, centric.queries, centric.report, centric.services, centric.store):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        __import__(info.name)
import centric.workspace
import numpy as np, pandas as pd
from centric.models import listening
from centric.models.clv import diagnostics, holdout, validation
from centric.models.text import analyzer, persist
x = np.arange(40.0) % 7 + 1
assert diagnostics.spend_frequency_check(pd.DataFrame({"frequency": x, "monetary_value": 3 * x + x % 3}))["holds"] is False
listening.ces([7, 5, 6, 4])
end = pd.Timestamp("2024-06-30")
aspects = lambda bad: [{"theme": "delivery", "sentiment": "negative" if bad else "positive"}]
rows = [{"received_at": end - pd.Timedelta(days=d), "aspects": aspects(d % (3 if d < 30 else 9) == 0)} for d in range(60)]
assert len(listening.rising_negative_themes(pd.DataFrame(rows), end)) == 1
print([m for m in ("scipy.stats", "sklearn", "simplemma", "py3langid") if m in sys.modules])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_reading_new_texts_with_saved_models_leaves_sklearn_unimported(tmp_path):
    """An incremental `centric run` in a new process (cron) reads its new texts with the saved listening models
    (services/listen_incremental.py: persist.readings_from_state, FeedbackAnalyzer.read). Their scorer
    (models/text/scoring.py) is numpy and scipy.sparse: scikit-learn (about 0.7 s of CPU to import) is not
    loaded, and the texts read as the fitted models read them."""
    import json

    from centric.models.text.analyzer import FeedbackAnalyzer
    from centric.models.text.persist import readings_state
    from centric.models.text.self_trained import SelfTrainedSentiment
    from centric.models.text.transfer import Reading

    good = ["great product, love it", "fast delivery, very happy", "excellent quality", "works perfectly, thanks"]
    bad = ["broken on arrival", "terrible support, never again", "late and damaged", "awful quality, refund please"]
    meh = ["it is ok", "arrived on tuesday", "average, nothing special", "the box was blue"]
    labels = (["positive"] * 4 + ["negative"] * 4 + ["neutral"] * 4) * 3
    model = SelfTrainedSentiment("en").fit((good + bad + meh) * 3, labels)
    assert model.stacker_ is not None
    analyzer = FeedbackAnalyzer(("en", "es"))
    analyzer.readings = {("en", None): Reading("self_trained", model),
                         ("en", "ticket"): Reading("self_trained", model, True), ("es", None): Reading()}
    texts = ["love the quality", "damaged and late, never again", "it came on monday", "", "Great!!!", "muy malo"]
    args = (list("abcdef"), texts, ["en"] * 5 + ["es"], [1.0] * 6,
            ["review", "ticket", "review", "chat", "ticket", "review"])
    expected = analyzer.read(*args)
    (tmp_path / "state.json").write_text(json.dumps(readings_state(analyzer.readings)))
    (tmp_path / "args.json").write_text(json.dumps(args))
    code = """
import json, sys
from pathlib import Path
import centric.services.listen_incremental
from centric.models.text.analyzer import FeedbackAnalyzer
from centric.models.text.persist import readings_from_state
folder = Path(sys.argv[1])
analyzer = FeedbackAnalyzer(("en", "es"))
analyzer.readings = readings_from_state(json.loads((folder / "state.json").read_text()), {"en", "es"})
frame = analyzer.read(*json.loads((folder / "args.json").read_text()))
print(json.dumps({"frame": frame.to_dict("list"), "loaded": [m for m in ("sklearn", "scipy.stats") if m in sys.modules]}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                                    check=True).stdout)
    assert out["loaded"] == []
    assert out["frame"]["sentiment_model"][:3] == ["self_trained", "self_trained_fallback", "self_trained"]
    assert out["frame"] == json.loads(json.dumps(expected.to_dict("list")))
