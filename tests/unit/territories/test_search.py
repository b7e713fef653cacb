import pytest

from mutualisation.territories.search import QueryKind, classify_query, normalize


@pytest.mark.parametrize(
    "spelling", ["loos en gohelle", "LOOS-EN-GOHELLE", "Loos en Gohelle", " Loos--en  Gohelle "]
)
def test_every_spelling_of_loos_en_gohelle_normalises_like_the_official_name(spelling):
    assert normalize(spelling) == normalize("Loos-en-Gohelle") == "loos en gohelle"


def test_accents_are_stripped_and_case_is_folded():
    assert normalize("Saint-Étienne-du-Rouvray") == "saint etienne du rouvray"
    assert normalize("ÉVRY-COURCOURONNES") == "evry courcouronnes"


def test_apostrophes_of_both_kinds_become_spaces():
    assert normalize("L'Abergement-Clémenciat") == "l abergement clemenciat"
    assert normalize("L’Île-d’Yeu") == normalize("l'ile-d'yeu") == "l ile d yeu"


def test_punctuation_is_collapsed_into_single_spaces():
    assert normalize("  Bourg--en.Bresse (Ain) ") == "bourg en bresse ain"


def test_ligatures_are_spelled_out():
    assert normalize("Œuilly") == "oeuilly"
    assert normalize("Lætitia") == "laetitia"


@pytest.mark.parametrize("spelling", ["st omer", "St-Omer", "ST. OMER", "Saint-Omer", "saint omer"])
def test_st_and_saint_are_the_same_word(spelling):
    assert normalize(spelling) == "saint omer"


@pytest.mark.parametrize("spelling", ["ste maxime", "Ste-Maxime", "Sainte-Maxime"])
def test_ste_and_sainte_are_the_same_word(spelling):
    assert normalize(spelling) == "sainte maxime"


def test_plural_abbreviations_expand_too():
    assert normalize("Stes-Maries-de-la-Mer") == normalize("Saintes-Maries-de-la-Mer")


def test_st_inside_a_word_is_left_alone():
    assert normalize("Stenay") == "stenay"
    assert normalize("Ouistreham") == "ouistreham"


def test_normalize_is_idempotent():
    once = normalize("Ste-Marie-aux-Mines")
    assert normalize(once) == once


def test_empty_text_normalises_to_an_empty_string():
    assert normalize(" - ' ") == ""


def test_five_digits_may_be_a_postcode_or_an_insee_code():
    query = classify_query("62750")
    assert query.kinds == {QueryKind.POSTCODE, QueryKind.INSEE_CODE}
    assert query.may_be_postcode and query.may_be_insee_code and not query.is_name
    assert query.value == "62750"


def test_a_postcode_typed_with_a_space_is_still_a_code():
    assert classify_query(" 62 750 ").value == "62750"


@pytest.mark.parametrize("code", ["2A004", "2b033"])
def test_corsican_codes_can_only_be_insee_codes(code):
    query = classify_query(code)
    assert query.kinds == {QueryKind.INSEE_CODE}
    assert query.value == code.upper()


@pytest.mark.parametrize("text", ["Loos-en-Gohelle", "6275", "627500", "2C004", "st omer", ""])
def test_anything_else_is_a_name_and_is_normalised(text):
    query = classify_query(text)
    assert query.kinds == {QueryKind.NAME}
    assert query.value == normalize(text)
