"""Superset configuration for Oracul's local BI (loaded through SUPERSET_CONFIG_PATH).

Everything that differs per installation comes from the environment set by
`oracul superset` (infra/superset/superset.ts): the state directory holding the
generated SECRET_KEY and the SQLite metadata database.
"""

import os

_STATE_DIR = os.environ["ORACUL_SUPERSET_STATE_DIR"]

# Generated once per installation by `oracul superset up` (never the default key).
with open(os.path.join(_STATE_DIR, "secret_key"), encoding="utf-8") as _f:
    SECRET_KEY = _f.read().strip()

SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(_STATE_DIR, "superset.db") + "?check_same_thread=false"
DATA_DIR = _STATE_DIR

# Local, single-node: in-process rate limit store and no result caching (the
# warehouse views are cheap and charts must never show stale rows).
RATELIMIT_STORAGE_URI = "memory://"
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# Only the ClickHouse connection from the bundle; no file uploads into databases.
PREVENT_UNSAFE_DB_CONNECTIONS = True
CSV_EXTENSIONS = set()
EXCEL_EXTENSIONS = set()
COLUMNAR_EXTENSIONS = set()

# Served over plain HTTP on 127.0.0.1: session cookies cannot be "Secure".
SESSION_COOKIE_SECURE = False
SESSION_COOKIE_SAMESITE = "Lax"
TALISMAN_ENABLED = False

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_RBAC": False,
}

# UTC everywhere, like the warehouse.
DEFAULT_TIME_FILTER = "No filter"
SUPERSET_LOG_VIEW = False
