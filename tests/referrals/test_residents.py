"""Finding residents: words typed into the search match as written, wildcards included."""

import pytest

from partnership.models import Role
from partnership.referrals.residents import find_residents
from tests import factories


@pytest.fixture
def residents(partnership):
    made = {}
    for given, family, postcode in [
        ("Ann", "Smith", "M9 4DH"),
        ("Bea", "O_Neill", "M1 1AA"),
        ("Cat", "Fifty%Off", None),
        ("Dan", "Back\\Slash", None),
        ("Eve", "Slash/Man", None),
    ]:
        made[family] = factories.resident(
            partnership.north,
            partnership.surgery,
            given_name=given,
            family_name=family,
            postcode=postcode,
        )
    return made


def found(partnership, words: str) -> list[str]:
    user = partnership.users[Role.CASEWORKER]
    return [resident.family_name for resident in find_residents(user, words)]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("%", ["Fifty%Off"]),
        ("_", ["O_Neill"]),
        ("o_n", ["O_Neill"]),
        ("\\", ["Back\\Slash"]),
        ("k\\s", ["Back\\Slash"]),
        ("/", ["Slash/Man"]),
        ("slash", ["Back\\Slash", "Slash/Man"]),
        ("smi%", []),
        ("m94dh", ["Smith"]),  # the postcode, spaces left out
        ("m9 4dh", ["Smith"]),  # or each word of it
    ],
)
def test_wildcards_typed_in_a_search_match_themselves(partnership, residents, words, expected):
    assert found(partnership, words) == expected


def test_a_trailing_backslash_on_the_page_is_a_search_not_an_error(
    partnership, residents, caseworker_client
):
    response = caseworker_client.get("/referrals/new/resident", query_string={"q": "Back\\"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Back\\Slash" in page and "Slash/Man" not in page
