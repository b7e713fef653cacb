import logging
import struct

import pytest

from mutualisation.territories.gazetteer import (
    CommuneRecord,
    data_version,
    iter_communes,
    iter_epcis,
)
from mutualisation.territories.wkb import (
    WkbError,
    decode_point,
    decode_polygons,
    polygons_bounds,
    polygons_centroid,
)

# Bounding boxes (south, north, west, east) of metropolitan France, Corsica included,
# and of each overseas département shipped by the data set.
FRANCE_BOXES = {
    "metropolitan": (41.3, 51.2, -5.2, 9.6),
    "guadeloupe": (15.8, 16.6, -61.9, -60.9),
    "martinique": (14.3, 14.9, -61.3, -60.8),
    "guyane": (2.1, 5.8, -54.7, -51.6),
    "reunion": (-21.4, -20.8, 55.2, 55.9),
    "mayotte": (-13.1, -12.6, 44.9, 45.4),
}


def in_france(latitude, longitude):
    return any(s <= latitude <= n and w <= longitude <= e for s, n, w, e in FRANCE_BOXES.values())


@pytest.fixture(scope="module")
def communes():
    return {record.insee_code: record for record in iter_communes()}


@pytest.fixture(scope="module")
def epcis(communes):
    return {record.siren: record for record in iter_epcis(communes=communes.values())}


# --- the real data set ---------------------------------------------------------------


def test_the_gazetteer_holds_every_current_commune_and_nothing_else(communes):
    # INSEE counted 34,875 communes on 1 January 2024; the range tolerates a data update.
    assert 34_000 <= len(communes) <= 36_000


@pytest.mark.parametrize("insee_code", ["62528", "76402", "22046", "59271"])
def test_the_founding_network_towns_are_present_with_coordinates(communes, insee_code):
    record = communes[insee_code]
    assert record.coordinates_source == "town_hall"
    assert in_france(record.latitude, record.longitude)


def test_loos_en_gohelle_is_described_completely(communes):
    loos = communes["62528"]
    assert loos.name == "Loos-en-Gohelle"
    assert (loos.department_code, loos.department_name) == ("62", "Pas-de-Calais")
    assert (loos.region_code, loos.region_name) == ("32", "Hauts-de-France")
    assert loos.postcodes == ("62750",)
    assert loos.latitude == pytest.approx(50.46, abs=0.02)
    assert loos.longitude == pytest.approx(2.79, abs=0.02)
    assert loos.population > 5000
    assert loos.epci_siren is not None and loos.epci_kind == "CA"


def test_commune_names_carry_their_article(communes):
    assert communes["22046"].name == "Le Mené"
    assert communes["01001"].name == "L'Abergement-Clémenciat"


def test_arrondissement_postcodes_are_folded_into_their_city(communes):
    assert "75011" in communes["75056"].postcodes
    assert "13008" in communes["13055"].postcodes


def test_corsica_and_overseas_departements_are_included(communes):
    assert communes["2A004"].department_code == "2A"
    assert communes["97101"].department_code == "971"
    assert communes["97611"].region_name == "Mayotte"


def test_every_commune_has_coordinates_inside_france(communes):
    outside = [r.insee_code for r in communes.values() if not in_france(r.latitude, r.longitude)]
    assert outside == []


def test_most_reference_points_are_town_halls(communes):
    sources = [record.coordinates_source for record in communes.values()]
    # About 4 % of the source's town hall points are wrong and replaced by outline centroids.
    assert sources.count("town_hall") / len(sources) > 0.9
    assert set(sources) <= {"town_hall", "geometry_centroid", "department_centroid"}


def test_epcis_list_their_member_communes(communes, epcis):
    loos_epci = epcis[communes["62528"].epci_siren]
    assert "62528" in loos_epci.member_insee_codes
    assert loos_epci.kind in {"CC", "CA", "CU", "ME"}
    assert 1_000 <= len(epcis) <= 1_400


def test_the_data_version_is_the_installed_package_version():
    assert data_version().count(".") >= 1


# --- fallbacks on a synthetic data set -----------------------------------------------


def point_hex(lon, lat):
    return struct.pack("<BIdd", 1, 1, lon, lat).hex()


def square_hex(west, south, size):
    ring = [(west, south), (west + size, south), (west + size, south + size), (west, south + size)]
    ring.append(ring[0])
    body = struct.pack("<I", 1) + struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(ring))
    body += b"".join(struct.pack("<dd", x, y) for x, y in ring)
    return (struct.pack("<BI", 1, 6) + body).hex()


def make_commune_row(row_id, code, *, town_hall="\\N", geometry="\\N", commune_type="COM", parent="\\N"):
    return {
        "id": row_id,
        "code": code,
        "type": commune_type,
        "nom": f"Commune {code}",
        "type_nom": "0",
        "population_municipale": "100",
        "departement_id": "0",
        "commune_parent_id": parent,
        "epci_id": "0",
        "geometry": geometry,
        "mairie_localisation": town_hall,
    }


def make_source(commune_rows):
    tables = {
        "regions": [{"id": "0", "code": "32", "nom": "Hauts-de-France"}],
        "departements": [{"id": "0", "code": "62", "nom": "Pas-de-Calais", "region_id": "0"}],
        "epci": [{"id": "0", "code": "246200364", "nom": "CA de Lens - Liévin", "type": "CA"}],
        "codes_postaux": [{"id": "0", "code": "62750"}, {"id": "1", "code": "62999"}],
        "codes_postaux_communes": [
            {"codepostal_id": "0", "commune_id": "1"},
            {"codepostal_id": "1", "commune_id": "9"},
        ],
        "communes": commune_rows,
    }
    return tables.__getitem__


SYNTHETIC_ROWS = [
    make_commune_row("1", "62001", town_hall=point_hex(2.0, 50.0)),
    make_commune_row("2", "62002", town_hall=point_hex(3.0, 51.0)),
    make_commune_row("3", "62003", geometry=square_hex(2.0, 50.0, 0.2)),
    make_commune_row("4", "62004"),
    make_commune_row("9", "62009", commune_type="COMD", parent="1", town_hall=point_hex(9.0, 9.0)),
]


def test_each_fallback_is_used_only_when_the_better_source_is_missing(caplog):
    with caplog.at_level(logging.DEBUG, logger="mutualisation.territories.gazetteer"):
        records = {r.insee_code: r for r in iter_communes(make_source(SYNTHETIC_ROWS))}

    assert set(records) == {"62001", "62002", "62003", "62004"}
    assert records["62001"].coordinates_source == "town_hall"
    assert (records["62001"].latitude, records["62001"].longitude) == (50.0, 2.0)
    assert records["62003"].coordinates_source == "geometry_centroid"
    assert records["62003"].latitude == pytest.approx(50.1)
    assert records["62003"].longitude == pytest.approx(2.1)
    # The département centroid is the mean of the three other communes' points.
    assert records["62004"].coordinates_source == "department_centroid"
    assert records["62004"].latitude == pytest.approx((50.0 + 51.0 + 50.1) / 3)
    assert records["62004"].longitude == pytest.approx((2.0 + 3.0 + 2.1) / 3)

    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert any(level == logging.DEBUG and "62003" in text for level, text in messages)
    assert any(level == logging.DEBUG and "62004" in text for level, text in messages)
    summaries = [text for level, text in messages if level == logging.INFO]
    assert len(summaries) == 1
    assert "2 town hall, 1 outline centroid, 1 département centroid" in summaries[0]


@pytest.mark.parametrize(
    "town_hall",
    [point_hex(float("nan"), float("nan")), point_hex(50.1, 50.1), point_hex(-2.1, 50.1), "zz"],
    ids=["nan", "latitude copied into longitude", "lost minus sign", "not hexadecimal"],
)
def test_a_town_hall_point_outside_the_outline_is_replaced_by_the_outline_centroid(town_hall, caplog):
    row = make_commune_row("3", "62003", town_hall=town_hall, geometry=square_hex(2.0, 50.0, 0.2))
    with caplog.at_level(logging.DEBUG, logger="mutualisation.territories.gazetteer"):
        (record,) = iter_communes(make_source([row]))
    assert record.coordinates_source == "geometry_centroid"
    assert (record.latitude, record.longitude) == (pytest.approx(50.1), pytest.approx(2.1))
    assert "62003" in caplog.text


def test_a_town_hall_point_just_inside_the_outline_margin_is_kept():
    row = make_commune_row(
        "3", "62003", town_hall=point_hex(2.205, 50.0), geometry=square_hex(2.0, 50.0, 0.2)
    )
    (record,) = iter_communes(make_source([row]))
    assert record.coordinates_source == "town_hall"


def test_a_delegated_commune_is_not_a_record_but_gives_its_postcodes_to_its_parent():
    records = {r.insee_code: r for r in iter_communes(make_source(SYNTHETIC_ROWS))}
    assert records["62001"].postcodes == ("62750", "62999")
    assert records["62001"].epci_siren == "246200364"


def test_a_commune_without_any_point_in_its_departement_is_skipped_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="mutualisation.territories.gazetteer"):
        records = list(iter_communes(make_source([make_commune_row("4", "62004")])))
    assert records == []
    assert "62004" in caplog.text


def test_epci_members_can_be_taken_from_already_read_communes():
    source = make_source(SYNTHETIC_ROWS)
    communes = list(iter_communes(source))
    assert list(iter_epcis(source, communes=communes)) == list(iter_epcis(source))


def test_records_are_immutable():
    record = next(iter_communes(make_source(SYNTHETIC_ROWS[:1])))
    assert isinstance(record, CommuneRecord)
    with pytest.raises(AttributeError):
        record.latitude = 0.0


def test_epcis_only_count_current_communes_as_members():
    (epci,) = iter_epcis(make_source(SYNTHETIC_ROWS))
    assert epci.siren == "246200364"
    assert epci.member_insee_codes == ("62001", "62002", "62003", "62004")


# --- WKB decoding ------------------------------------------------------------------


def test_a_little_endian_point_is_decoded_as_longitude_then_latitude():
    assert decode_point(struct.pack("<BIdd", 1, 1, 2.79, 50.46)) == (2.79, 50.46)


def test_a_big_endian_point_is_decoded():
    assert decode_point(struct.pack(">BIdd", 0, 1, 2.79, 50.46)) == (2.79, 50.46)


@pytest.mark.parametrize("endian, order", [("<", 1), (">", 0)])
def test_an_ewkb_point_with_srid_and_z_is_decoded(endian, order):
    data = struct.pack(f"{endian}BIIddd", order, 0x20000000 | 0x80000000 | 1, 4326, 2.79, 50.46, 42.0)
    assert decode_point(data) == (2.79, 50.46)


def test_an_iso_point_with_z_and_m_is_decoded():
    assert decode_point(struct.pack("<BIdddd", 1, 3001, 2.79, 50.46, 1.0, 2.0)) == (2.79, 50.46)


def ring_bytes(endian, ring):
    return struct.pack(f"{endian}I", len(ring)) + b"".join(struct.pack(f"{endian}dd", *p) for p in ring)


SHELL = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]
HOLE = [(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0), (0.0, 0.0)]


@pytest.mark.parametrize("endian, order", [("<", 1), (">", 0)])
def test_a_polygon_with_a_hole_is_decoded_in_both_byte_orders(endian, order):
    data = struct.pack(f"{endian}BII", order, 3, 2) + ring_bytes(endian, SHELL) + ring_bytes(endian, HOLE)
    assert decode_polygons(data) == [[SHELL, HOLE]]


def test_a_big_endian_ewkb_multipolygon_with_srid_is_decoded():
    member = struct.pack(">BII", 0, 3, 1) + ring_bytes(">", SHELL)
    data = struct.pack(">BIII", 0, 0x20000000 | 6, 2154, 2) + member + member
    assert decode_polygons(data) == [[SHELL], [SHELL]]


def test_the_bounds_span_every_member_of_a_mixed_endian_multipolygon():
    far = [(10.0, -1.0), (11.0, -1.0), (11.0, 0.0), (10.0, -1.0)]
    members = struct.pack("<BII", 1, 3, 1) + ring_bytes("<", SHELL)
    members += struct.pack(">BII", 0, 3, 1) + ring_bytes(">", far)
    data = struct.pack("<BII", 1, 6, 2) + members
    assert polygons_bounds(data) == (0.0, -1.0, 11.0, 4.0)
    assert polygons_bounds(struct.pack("<BII", 1, 6, 0)) is None


def test_the_centroid_weighs_by_area_and_subtracts_holes():
    # A 4x4 square (centroid 2,2) minus its lower-left 2x2 quarter (centroid 1,1):
    # (16*2 - 4*1) / 12 = 7/3 on both axes, whatever the rings' winding.
    assert polygons_centroid([[SHELL, HOLE]]) == pytest.approx((7 / 3, 7 / 3))
    assert polygons_centroid([[SHELL[::-1], HOLE[::-1]]]) == pytest.approx((7 / 3, 7 / 3))


def test_a_degenerate_polygon_falls_back_to_the_mean_of_its_vertices():
    flat = [(0.0, 0.0), (2.0, 0.0), (4.0, 0.0)]
    assert polygons_centroid([[flat]]) == pytest.approx((2.0, 0.0))
    assert polygons_centroid([]) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes([2]) + struct.pack("<I", 1),
        struct.pack("<BId", 1, 1, 2.0),
        struct.pack("<BIdd", 1, 2, 0.0, 0.0),
        struct.pack("<BI", 1, 5001),
    ],
    ids=["empty", "bad byte order", "truncated", "not a point", "unknown dimensions"],
)
def test_malformed_points_raise_a_wkb_error(data):
    with pytest.raises(WkbError):
        decode_point(data)


def test_a_multipolygon_must_contain_polygons():
    data = struct.pack("<BII", 1, 6, 1) + struct.pack("<BIdd", 1, 1, 0.0, 0.0)
    with pytest.raises(WkbError):
        decode_polygons(data)
