"""Superset configuration for the compose `superset` profile (infra/deploy/compose.yaml).

Secrets come from the environment (oracul.env): SUPERSET_SECRET_KEY signs sessions; the metadata database is
SQLite in the superset-home volume unless SUPERSET_DATABASE_URI points elsewhere.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
_HOME = os.environ.get("ORACUL_SUPERSET_STATE_DIR", "/app/superset_home")
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI", "sqlite:///" + os.path.join(_HOME, "superset.db"))

# Only the ClickHouse connection; no file uploads into databases; charts never show stale rows.
PREVENT_UNSAFE_DB_CONNECTIONS = True
CSV_EXTENSIONS = set()
EXCEL_EXTENSIONS = set()
COLUMNAR_EXTENSIONS = set()
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
RATELIMIT_STORAGE_URI = "memory://"

# TLS ends at the load balancer in front of Superset.
SESSION_COOKIE_SECURE = os.environ.get("SUPERSET_COOKIE_SECURE", "true") == "true"
SESSION_COOKIE_SAMESITE = "Lax"
FEATURE_FLAGS = {"DASHBOARD_NATIVE_FILTERS": True}
