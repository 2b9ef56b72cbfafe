#!/usr/bin/env python3
"""Second opinion for citycert's intersects_bbox predicate: shapely (GEOS) decides whether each GeoJSON
geometry has a point in common with a box, boundary included.

Input: a JSON Lines file, each line {"geometry": <GeoJSON geometry>, "box": [minx, miny, maxx, maxy]}.
Output: one line per input line, "1" (intersects) or "0". A box whose minx is greater than its maxx crosses
the antimeridian: it is the union of [minx, 180] and [-180, maxx] (RFC 7946 section 5.2).
"""
import json
import sys

from shapely.geometry import box, shape


def main(path):
    with open(path) as f:
        for line in f:
            case = json.loads(line)
            g = shape(case["geometry"])
            x0, y0, x1, y1 = case["box"]
            parts = [box(x0, y0, x1, y1)] if x0 <= x1 else [box(x0, y0, 180, y1), box(-180, y0, x1, y1)]
            print("1" if any(g.intersects(p) for p in parts) else "0")


if __name__ == "__main__":
    main(sys.argv[1])
