"""centric serve: the HTTP API, survey links and the survey widget (FastAPI, from create_app)."""
