#!/usr/bin/env bash
# Starts (or stops) django-ogc-sensorthings 1.2.0 (OGC SensorThings API 1.1) on 127.0.0.1 for the
# real-server tests: a minimal Django project on SQLite served by uvicorn.
#   .ci/servers/sensorthings.sh start DIR PORT   # installs into DIR/venv if needed; prints the base URL
#   .ci/servers/sensorthings.sh stop DIR          # stops it by the PID in DIR/sta.pid
set -euo pipefail
source "$(dirname "$0")/common.sh"
cmd=${1:?start or stop}
dir=${2:?folder}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$cmd" in
start)
  port=${3:?port}
  if [ ! -x "$dir/venv/bin/uvicorn" ]; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install -q django-ogc-sensorthings==1.2.0 uvicorn >"$dir/pip.log" 2>&1
  fi
  mkdir -p "$dir/project/stasite"
  cat >"$dir/project/stasite/__init__.py" </dev/null
  cat >"$dir/project/stasite/settings.py" <<PY
import uuid
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "citycert-test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "sensorthings.versions.v1_1",
    "sensorthings.versions.v1_1.backends.django",
    "sensorthings.versions.v1_1.extensions.dataarray",
]
MIDDLEWARE = []
ROOT_URLCONF = "stasite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "sta.sqlite3"}}
USE_TZ = True
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SENSORTHINGS_V1_1_SERVICE_URL = "http://127.0.0.1:$port/sensorthings"
SENSORTHINGS_V1_1_BACKEND_ADAPTER = "sensorthings.versions.v1_1.backends.django.adapter.DjangoBackendAdapter"
SENSORTHINGS_V1_1_ID_TYPE = uuid.UUID
SENSORTHINGS_V1_1_ID_DELIMITER = "'"
PY
  cat >"$dir/project/stasite/urls.py" <<'PY'
from django.urls import include, path
urlpatterns = [path("sensorthings/", include("sensorthings.versions.v1_1.urls"))]
PY
  cat >"$dir/project/stasite/asgi.py" <<'PY'
import os
from django.core.asgi import get_asgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stasite.settings")
application = get_asgi_application()
PY
  cat >"$dir/project/manage.py" <<'PY'
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stasite.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
PY
  rm -f "$dir/project/sta.sqlite3"
  (cd "$dir/project" && "$dir/venv/bin/python" manage.py migrate --noinput >"$dir/migrate.log" 2>&1)
  cd "$dir/project"
  nohup "$dir/venv/bin/uvicorn" stasite.asgi:application --host 127.0.0.1 --port "$port" </dev/null >"$dir/sta.out" 2>&1 &
  echo $! >"$dir/sta.pid"
  wait_ready django-ogc-sensorthings "$dir/sta.pid" "$dir/sta.out" "http://127.0.0.1:$port/sensorthings/v1.1/" \
    "http://127.0.0.1:$port/sensorthings/v1.1"
  ;;
stop)
  stop_pidfile "$dir/sta.pid" TERM
  ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
