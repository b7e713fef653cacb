"""A small, pure-Python reader for the WKB geometries shipped with the gazetteer.

Only what the gazetteer needs is supported: points, polygons and multipolygons, in
both byte orders, as plain OGC WKB, ISO WKB (Z/M as type + 1000/2000/3000) or
PostGIS EWKB (high flag bits for Z, M and an embedded SRID). Extra dimensions are
read and dropped, because the reference point of a commune is purely planar.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Sequence
from typing import Any

POINT = 1
POLYGON = 3
MULTIPOLYGON = 6

_EWKB_Z = 0x80000000
_EWKB_M = 0x40000000
_EWKB_SRID = 0x20000000
_EWKB_FLAGS = _EWKB_Z | _EWKB_M | _EWKB_SRID

Coordinate = tuple[float, float]
Ring = list[Coordinate]
Polygon = list[Ring]


class WkbError(ValueError):
    """The bytes are not a WKB geometry this reader understands."""


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        try:
            values = struct.unpack_from(fmt, self.data, self.pos)
        except struct.error as exc:
            raise WkbError(f"truncated WKB at byte {self.pos}") from exc
        self.pos += struct.calcsize(fmt)
        return values

    def header(self) -> tuple[str, int, int]:
        """Read byte order and type; return (endian prefix, base type, dimensions)."""
        (order,) = self.unpack("B")
        if order not in (0, 1):
            raise WkbError(f"invalid byte order marker {order}")
        endian = "<" if order == 1 else ">"
        (raw_type,) = self.unpack(endian + "I")
        dims = 2
        if raw_type & _EWKB_FLAGS:
            dims += bool(raw_type & _EWKB_Z) + bool(raw_type & _EWKB_M)
            if raw_type & _EWKB_SRID:
                # The SRID is not needed: the data set is documented as WGS 84 lon/lat.
                self.unpack(endian + "I")
            raw_type &= ~_EWKB_FLAGS
        else:
            # ISO WKB encodes Z as +1000, M as +2000 and ZM as +3000.
            iso_dims, raw_type = divmod(raw_type, 1000)
            dims += {0: 0, 1: 1, 2: 1, 3: 2}.get(iso_dims, -99)
            if dims < 2:
                raise WkbError(f"unsupported WKB geometry type {raw_type + iso_dims * 1000}")
        return endian, raw_type, dims

    def points(self, endian: str, dims: int, count: int) -> list[Coordinate]:
        flat = self.unpack(f"{endian}{count * dims}d")
        return list(zip(flat[0::dims], flat[1::dims], strict=True))

    def polygon_body(self, endian: str, dims: int) -> Polygon:
        (ring_count,) = self.unpack(endian + "I")
        rings = []
        for _ in range(ring_count):
            (point_count,) = self.unpack(endian + "I")
            rings.append(self.points(endian, dims, point_count))
        return rings


def decode_point(data: bytes) -> Coordinate:
    """Decode a WKB point into ``(x, y)``, i.e. ``(longitude, latitude)``."""
    reader = _Reader(data)
    endian, geom_type, dims = reader.header()
    if geom_type != POINT:
        raise WkbError(f"expected a point, got WKB type {geom_type}")
    return reader.points(endian, dims, 1)[0]


def _polygon_bodies(reader: _Reader) -> Iterator[tuple[str, int]]:
    """Position the reader at each polygon body in turn, yielding its (endian, dims).

    The caller must consume each body before asking for the next one, since WKB is a
    strictly sequential format.
    """
    endian, geom_type, dims = reader.header()
    if geom_type == POLYGON:
        yield endian, dims
        return
    if geom_type != MULTIPOLYGON:
        raise WkbError(f"expected a polygon or multipolygon, got WKB type {geom_type}")
    (count,) = reader.unpack(endian + "I")
    for _ in range(count):
        # Each member carries its own header, and may in theory use another byte order.
        member_endian, member_type, member_dims = reader.header()
        if member_type != POLYGON:
            raise WkbError(f"multipolygon member has WKB type {member_type}")
        yield member_endian, member_dims


def decode_polygons(data: bytes) -> list[Polygon]:
    """Decode a WKB polygon or multipolygon into a list of polygons (lists of rings)."""
    reader = _Reader(data)
    return [reader.polygon_body(endian, dims) for endian, dims in _polygon_bodies(reader)]


def polygons_bounds(data: bytes) -> tuple[float, float, float, float] | None:
    """Bounding box ``(min_x, min_y, max_x, max_y)`` of a WKB polygon or multipolygon.

    This runs on every commune to sanity-check its town hall point, so it is tuned:
    holes are skipped (they lie inside their shell), and each shell's coordinates are
    unpacked flat and reduced with the built-in min/max rather than as tuples.
    """
    reader = _Reader(data)
    min_x = min_y = math.inf
    max_x = max_y = -math.inf
    for endian, dims in _polygon_bodies(reader):
        (ring_count,) = reader.unpack(endian + "I")
        for index in range(ring_count):
            (point_count,) = reader.unpack(endian + "I")
            value_count = point_count * dims
            if index == 0 and point_count:
                flat = reader.unpack(f"{endian}{value_count}d")
                xs, ys = flat[0::dims], flat[1::dims]
                min_x, max_x = min(min_x, *xs), max(max_x, *xs)
                min_y, max_y = min(min_y, *ys), max(max_y, *ys)
            else:
                reader.pos += value_count * 8
                if reader.pos > len(data):
                    raise WkbError("truncated WKB in a polygon hole")
    if min_x == math.inf:
        return None
    return min_x, min_y, max_x, max_y


def _ring_area_and_moments(ring: Sequence[Coordinate]) -> tuple[float, float, float]:
    """Shoelace formula: signed area and first moments of a closed or open ring."""
    area2 = cx = cy = 0.0
    n = len(ring)
    for i in range(n):
        x0, y0 = ring[i]
        x1, y1 = ring[(i + 1) % n]
        cross = x0 * y1 - x1 * y0
        area2 += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return area2 / 2.0, cx / 6.0, cy / 6.0


def polygons_centroid(polygons: Sequence[Polygon]) -> Coordinate | None:
    """Area-weighted centroid of polygons with holes, in the input's planar coordinates.

    Working directly in lon/lat is acceptable for a commune-sized shape: the
    distortion over a few kilometres is far below the precision a reference
    point needs. Degenerate shapes (zero area) fall back to the vertex mean.
    """
    total_area = sum_x = sum_y = 0.0
    vertices: list[Coordinate] = []
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            if not ring:
                continue
            vertices.extend(ring)
            area, mx, my = _ring_area_and_moments(ring)
            # Orientation conventions vary between producers, so the shell counts
            # as positive and holes as negative regardless of winding.
            sign = 1.0 if index == 0 else -1.0
            if area < 0:
                area, mx, my = -area, -mx, -my
            total_area += sign * area
            sum_x += sign * mx
            sum_y += sign * my
    if not vertices:
        return None
    if abs(total_area) < 1e-15:
        return (
            sum(x for x, _ in vertices) / len(vertices),
            sum(y for _, y in vertices) / len(vertices),
        )
    return sum_x / total_area, sum_y / total_area
