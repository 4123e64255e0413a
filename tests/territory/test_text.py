import pytest

from maillage.territory.selectors import normalize_query, normalize_search


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Roubaix", "roubaix"),
        ("Faches-Thumesnil", "faches thumesnil"),
        ("Fâches  Thumesnil ", "faches thumesnil"),
        ("L'Île-Saint-Denis", "l ile saint denis"),
        ("Villeneuve-d’Ascq", "villeneuve d ascq"),
        ("SAINT-DENIS", "saint denis"),
        ("Œuilly", "oeuilly"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("", ""),
    ],
)
def test_normalize_search(raw: str, expected: str) -> None:
    assert normalize_search(raw) == expected


def test_normalize_query_expands_saint_abbreviations() -> None:
    assert normalize_query("St-Denis") == "saint denis"
    assert normalize_query("Ste Marie") == "sainte marie"
    assert normalize_query("Stenay") == "stenay"
