import json

import pytest

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
