#!/usr/bin/env bash
# Starts (or stops) pygeoapi 0.21.0 (OGC API - Features) on 127.0.0.1 for the real-server tests. It serves
# three collections built from Fixtures/ogc-api-features/data: stations (25 points with a time property,
# TinyDB provider: bbox, datetime, create/replace/delete; CRS84, EPSG:4326 and EPSG:3857), districts (6
# polygons; CRS84 and EPSG:4326) and roads (4 lines; CRS84 only), both with pygeoapi's GeoJSON provider.
# The TinyDB file is rebuilt on every start, so every run starts from the same data.
#   .ci/servers/pygeoapi.sh start DIR PORT   # installs into DIR/venv if needed; prints the landing page URL
#   .ci/servers/pygeoapi.sh stop DIR          # stops it by the PID in DIR/pygeoapi.pid
set -euo pipefail
source "$(dirname "$0")/common.sh"
data=$(cd "$(dirname "$0")/../../Fixtures/ogc-api-features/data" && pwd)
cmd=${1:?start or stop}
dir=${2:?folder}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$cmd" in
start)
  port=${3:?port}
  # A server already on the port would be taken for this one (and its data for ours).
  if python3 -c "import socket, sys; s = socket.socket(); s.settimeout(1); sys.exit(0 if s.connect_ex(('127.0.0.1', $port)) == 0 else 1)"; then
    echo "port $port is already in use: stop what listens there first" >&2
    exit 1
  fi
  if [ ! -x "$dir/venv/bin/pygeoapi" ]; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install -q pygeoapi==0.21.0 >"$dir/pip.log" 2>&1
  fi
  cp "$data/districts.geojson" "$data/roads.geojson" "$dir/"
  # TinyDB's file: one document per feature, keyed 1..n, from the shipped GeoJSON.
  "$dir/venv/bin/python" - "$data/stations.geojson" "$dir/stations.tinydb" <<'PY'
import json, sys
features = json.load(open(sys.argv[1]))["features"]
json.dump({"_default": {str(i + 1): f for i, f in enumerate(features)}}, open(sys.argv[2], "w"))
PY
  cat >"$dir/config.yml" <<YAML
server:
  bind: {host: 127.0.0.1, port: $port}
  url: http://127.0.0.1:$port
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 20}
  map: {url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attribution: "OpenStreetMap"}
logging: {level: ERROR}
metadata:
  identification:
    title: citycert test service
    description: Test data for citycert's OGC API - Features profile
    keywords: [test]
    keywords_type: theme
    terms_of_service: https://example.org/terms
    url: https://example.org
  license: {name: CC0-1.0, url: https://creativecommons.org/publicdomain/zero/1.0/}
  provider: {name: citycert, url: https://example.org}
  contact: {name: citycert, position: test, address: none, city: none, stateorprovince: none, postalcode: "0", country: none, phone: "0", fax: "0", email: test@example.org, url: https://example.org, hours: none, instructions: none, role: pointOfContact}
resources:
  stations:
    type: collection
    title: Stations
    description: Measuring stations, one observation time each
    keywords: [stations]
    extents:
      spatial: {bbox: [4.3, 50.8, 4.38, 50.88], crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
      temporal: {begin: 2025-01-01T10:00:00Z, end: 2025-01-25T10:00:00Z}
    providers:
      - type: feature
        name: TinyDB
        data: $dir/stations.tinydb
        id_field: id
        time_field: observed
        editable: true
        crs: [http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4326, http://www.opengis.net/def/crs/EPSG/0/3857]
        storage_crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
  districts:
    type: collection
    title: Districts
    description: Districts as polygons
    keywords: [districts]
    extents:
      spatial: {bbox: [4.28, 50.78, 4.43, 50.9], crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    providers:
      - type: feature
        name: GeoJSON
        data: $dir/districts.geojson
        id_field: id
        crs: [http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4326]
        storage_crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
  roads:
    type: collection
    title: Roads
    description: Roads as lines
    keywords: [roads]
    extents:
      spatial: {bbox: [4.28, 50.79, 4.43, 50.89], crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    providers:
      - {type: feature, name: GeoJSON, data: $dir/roads.geojson, id_field: id}
YAML
  export PYGEOAPI_CONFIG="$dir/config.yml" PYGEOAPI_OPENAPI="$dir/openapi.yml"
  "$dir/venv/bin/pygeoapi" openapi generate "$dir/config.yml" --output-file "$dir/openapi.yml" >"$dir/openapi.log" 2>&1
  nohup "$dir/venv/bin/python" -m flask --app pygeoapi.flask_app:APP run --host 127.0.0.1 --port "$port" \
    --no-reload --no-debugger --with-threads </dev/null >"$dir/pygeoapi.out" 2>&1 &
  echo $! >"$dir/pygeoapi.pid"
  wait_ready pygeoapi "$dir/pygeoapi.pid" "$dir/pygeoapi.out" "http://127.0.0.1:$port/conformance?f=json" "http://127.0.0.1:$port"
  ;;
stop)
  stop_pidfile "$dir/pygeoapi.pid" TERM
  ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
