from tests.alerts.conftest import store  # noqa: F401  (the same real SQLite store as the alerts tests)
