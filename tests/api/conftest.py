import json

import pytest

from tests.api.spooled import records

NPS = {"survey_id": "nps-post-purchase", "kind": "nps", "target": {"days_after_order": 7, "sample_percent": 50}}


@pytest.fixture
def workspace(tmp_path):
    from centric.services.collector import publish
    from centric.services.surveys import add_survey
    from centric.services.workspace_files import init_workspace, open_store

    folder = tmp_path / "shop"
    init_workspace(folder)
    (tmp_path / "nps.json").write_text(json.dumps(NPS))
    (tmp_path / "choice.json").write_text(json.dumps({
        "survey_id": "why", "kind": "single_choice", "question": {"en": "Why?", "es": "¿Por qué?"},
        "choices": ["price", "delivery"]}))
    with open_store(folder) as (settings, store):
        add_survey(store, settings, tmp_path / "nps.json")
        add_survey(store, settings, tmp_path / "choice.json")
        publish(store, folder)
    return folder


def survey_app(workspace, **settings_overrides):
    """The app of `centric serve` (api/app.py) on this workspace, with `settings_overrides` written to its
    centric.toml first and every origin allowed (the shop's page is on another origin). Returns (app,
    context); the context opens its spool when the app starts (TestClient or uvicorn)."""
    from centric.api.app import create_app
    from centric.services.workspace_files import load_settings

    if settings_overrides:
        from centric.config import CONFIG_FILE

        settings = load_settings(workspace)
        for key, value in settings_overrides.items():
            setattr(settings, key, value)
        settings.save(workspace / CONFIG_FILE)
    app = create_app(workspace, allowed_origins=["*"])
    return app, app.state.ctx


def load_spool(workspace):
    """What `centric ingest --collected` does for survey records: returns the SurveyLoad."""
    from centric.services.surveys import load_records
    from centric.services.workspace_files import open_store

    with open_store(workspace) as (_, store):
        return load_records(store, records(workspace))


def table(workspace, name: str):
    from centric.services.workspace_files import open_store

    with open_store(workspace) as (_, store):
        return store.query_df(f"SELECT * FROM {name} ORDER BY 1")
