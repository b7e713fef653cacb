import copy
import json
import tomllib
from pathlib import Path

import pytest

from mutualisation.listings.taxonomy import CATEGORY_CODES, load_taxonomy, read_taxonomy_file

SHIPPED_FILE = Path(__file__).resolve().parents[3] / "config" / "taxonomy.toml"


def make_document(**overrides):
    def category(code, *subs):
        return {
            "label_fr": f"{code} fr",
            "label_en": f"{code} en",
            "subcategories": list(subs) or [{"code": "other", "label_fr": "Autre", "label_en": "Other"}],
        }

    document = {
        "closeness": {"same_group": 0.4},
        "categories": {code: category(code) for code in CATEGORY_CODES},
    }
    document["categories"]["equipment"]["subcategories"] = [
        {"code": "podium", "label_fr": "Podium", "label_en": "Podium", "closeness": ["events"]},
        {"code": "tents", "label_fr": "Barnums", "label_en": "Tents", "closeness": ["events", "outdoor"]},
        {"code": "chipper", "label_fr": "Broyeur", "label_en": "Chipper", "closeness": ["outdoor"]},
        {"code": "laptop", "label_fr": "Ordinateur", "label_en": "Laptop"},
        {"code": "other", "label_fr": "Autre matériel", "label_en": "Other equipment"},
    ]
    document.update(overrides)
    return document


@pytest.fixture(scope="module")
def shipped():
    return read_taxonomy_file(SHIPPED_FILE)


# --- the shipped taxonomy ------------------------------------------------------------


def test_the_shipped_taxonomy_has_the_four_categories_with_french_labels(shipped):
    labels = {category.code: category.label_fr for category in shipped.categories}
    assert labels == {
        "skill": "Compétence",
        "equipment": "Matériel",
        "know_how": "Savoir-faire",
        "service": "Service",
    }


def test_every_shipped_category_offers_an_other_subcategory(shipped):
    for category in shipped.categories:
        assert shipped.is_valid(category.code, "other")


@pytest.mark.parametrize(
    "category, subcategory",
    [
        ("equipment", "event_stage"),
        ("equipment", "green_chipper"),
        ("equipment", "vehicle_utility"),
        ("equipment", "it_hardware"),
        ("skill", "grants"),
        ("skill", "urban_planning"),
        ("know_how", "participatory_democracy"),
        ("know_how", "organic_school_catering"),
        ("know_how", "energy_cooperative"),
        ("know_how", "circular_economy"),
        ("service", "composting"),
        ("service", "training"),
    ],
)
def test_the_shipped_taxonomy_covers_common_municipal_practice(shipped, category, subcategory):
    assert shipped.is_valid(category, subcategory)


def test_the_wood_chipper_is_labelled_in_both_languages(shipped):
    assert shipped.label("green_chipper", "fr") == "Broyeur de végétaux"
    assert shipped.label("green_chipper", "en") == "Wood chipper"


def test_event_equipment_items_are_close_to_each_other_but_not_to_a_chipper(shipped):
    assert shipped.closeness("equipment", "event_stage", "event_tents") == shipped.same_group_closeness
    assert shipped.closeness("equipment", "event_stage", "green_chipper") == 0.0


def test_every_shipped_closeness_group_relates_at_least_two_subcategories(shipped):
    # A group with a single member is almost certainly a typo in the file.
    for category in shipped.categories:
        members = {}
        for sub in category.subcategories:
            for group in sub.closeness:
                members.setdefault(group, []).append(sub.code)
        lonely = {group: codes for group, codes in members.items() if len(codes) < 2}
        assert lonely == {}, category.code


def test_the_shipped_tree_is_json_serialisable(shipped):
    assert json.loads(json.dumps(shipped.to_tree("fr")))[0]["subcategories"]


# --- behaviour ------------------------------------------------------------------------


def test_categories_come_in_the_domain_order():
    taxonomy = load_taxonomy(make_document())
    assert [category.code for category in taxonomy.categories] == list(CATEGORY_CODES)


def test_subcategories_keep_the_file_order():
    taxonomy = load_taxonomy(make_document())
    codes = [sub.code for sub in taxonomy.subcategories("equipment")]
    assert codes == ["podium", "tents", "chipper", "laptop", "other"]


def test_validity_requires_the_subcategory_to_belong_to_the_category():
    taxonomy = load_taxonomy(make_document())
    assert taxonomy.is_valid("equipment", "podium")
    assert not taxonomy.is_valid("skill", "podium")
    assert not taxonomy.is_valid("equipment", "rocket")
    assert not taxonomy.is_valid("spaceship", "podium")


def test_closeness_is_one_for_the_same_subcategory():
    assert load_taxonomy(make_document()).closeness("equipment", "laptop", "laptop") == 1.0


def test_closeness_is_the_configured_value_for_a_shared_group_in_either_order():
    taxonomy = load_taxonomy(make_document())
    assert taxonomy.closeness("equipment", "podium", "tents") == 0.4
    assert taxonomy.closeness("equipment", "tents", "chipper") == 0.4
    assert taxonomy.closeness("equipment", "chipper", "tents") == 0.4


def test_closeness_is_zero_without_a_shared_group():
    taxonomy = load_taxonomy(make_document())
    assert taxonomy.closeness("equipment", "podium", "chipper") == 0.0
    assert taxonomy.closeness("equipment", "laptop", "other") == 0.0


def test_closeness_of_an_unknown_subcategory_is_an_error():
    with pytest.raises(ValueError, match="rocket"):
        load_taxonomy(make_document()).closeness("equipment", "podium", "rocket")


def test_same_group_closeness_defaults_when_not_configured():
    document = make_document()
    del document["closeness"]
    assert load_taxonomy(document).closeness("equipment", "podium", "tents") == 0.5


def test_labels_are_given_for_categories_and_subcategories_in_both_locales():
    taxonomy = load_taxonomy(make_document())
    assert taxonomy.label("equipment", "fr") == "equipment fr"
    assert taxonomy.label("equipment", "en") == "equipment en"
    assert taxonomy.label("tents", "fr") == "Barnums"
    assert taxonomy.label("tents", "en") == "Tents"
    assert taxonomy.label("tents") == "Barnums"


def test_a_code_shared_by_categories_needs_its_category_when_labels_differ():
    taxonomy = load_taxonomy(make_document())
    with pytest.raises(ValueError, match="several categories"):
        taxonomy.label("other", "fr")
    assert taxonomy.label("other", "fr", category="equipment") == "Autre matériel"
    assert taxonomy.label("other", "en", category="skill") == "Other"


def test_unknown_codes_and_locales_are_errors():
    taxonomy = load_taxonomy(make_document())
    with pytest.raises(ValueError, match="rocket"):
        taxonomy.label("rocket", "fr")
    with pytest.raises(ValueError, match="locale"):
        taxonomy.label("tents", "de")
    with pytest.raises(ValueError, match="spaceship"):
        taxonomy.subcategories("spaceship")


def test_the_tree_holds_both_labels_and_the_groups():
    tree = load_taxonomy(make_document()).to_tree()
    equipment = next(node for node in tree if node["code"] == "equipment")
    assert equipment["label_fr"] == "equipment fr" and "label" not in equipment
    assert equipment["subcategories"][1] == {
        "code": "tents",
        "label_fr": "Barnums",
        "label_en": "Tents",
        "closeness": ["events", "outdoor"],
    }


def test_the_tree_adds_the_label_in_the_requested_locale():
    tree = load_taxonomy(make_document()).to_tree("en")
    equipment = next(node for node in tree if node["code"] == "equipment")
    assert equipment["label"] == "equipment en"
    assert equipment["subcategories"][1]["label"] == "Tents"
    assert equipment["subcategories"][1]["label_fr"] == "Barnums"


def test_the_shipped_file_round_trips_through_the_pure_loader():
    with open(SHIPPED_FILE, "rb") as file:
        document = tomllib.load(file)
    assert load_taxonomy(document).to_tree() == read_taxonomy_file(SHIPPED_FILE).to_tree()


# --- validation -----------------------------------------------------------------------


def broken(mutate):
    document = copy.deepcopy(make_document())
    mutate(document)
    return document


def equipment_subs(document):
    return document["categories"]["equipment"]["subcategories"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: equipment_subs(d).append(dict(equipment_subs(d)[0])),
            "duplicate subcategory code 'podium'",
        ),
        (
            lambda d: equipment_subs(d)[0].pop("label_en"),
            r"subcategories\[0\] \(podium\): missing or empty label_en",
        ),
        (lambda d: equipment_subs(d)[1].update(label_fr="  "), r"\(tents\): missing or empty label_fr"),
        (lambda d: equipment_subs(d)[0].pop("code"), r"subcategories\[0\]: missing or empty code"),
        (lambda d: d["categories"]["skill"].pop("label_fr"), "categories.skill: missing or empty label_fr"),
        (lambda d: d["categories"].pop("service"), "missing: service"),
        (lambda d: d["categories"].update(food={}), "unknown: food"),
        (lambda d: d["categories"]["skill"].update(subcategories=[]), "at least one subcategory"),
        (lambda d: equipment_subs(d)[0].update(closeness="events"), "closeness must be a list"),
        (lambda d: equipment_subs(d)[0].update(lable_en="x"), "unknown keys lable_en"),
        (lambda d: d["closeness"].update(same_group=1.0), r"same_group must be a number in \[0, 1\)"),
        (lambda d: d["closeness"].update(same_group="high"), "same_group"),
        (lambda d: d.pop("categories"), r"missing \[categories\]"),
        (lambda d: d.update(distance_decay={}), "unknown keys distance_decay"),
    ],
    ids=[
        "duplicate code",
        "missing english label",
        "blank french label",
        "missing code",
        "missing category label",
        "missing category",
        "unknown category",
        "empty category",
        "closeness not a list",
        "misspelt key",
        "same group closeness of one",
        "same group closeness not a number",
        "no categories",
        "matching settings do not belong here",
    ],
)
def test_an_invalid_document_is_refused_with_a_clear_message(mutate, message):
    with pytest.raises(ValueError, match=message):
        load_taxonomy(broken(mutate))
