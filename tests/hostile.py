"""Text that breaks handlers: for the fuzz tests of the web forms and the API."""

from hypothesis import strategies as st

# Sent before anything generated: each has broken a form handler somewhere.
NASTY = [
    "a\x00b",
    "lone \udfff surrogate",
    "x" * 10_000,
    "\u202etxt.exe \u200f\u200e\u061c",
    "²³ ١٢٣ 𝟘𝟙𝟚",
    "%_\\ ' OR 1=1 -- <script>{{ 7 * 7 }}",
]
HOSTILE = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=40),
    st.text(alphabet=st.characters(categories=["Cs", "Cc", "Cf", "Nd", "No"]), max_size=10),
    st.text(min_size=1, max_size=3).map(lambda text: (text * 10_000)[:10_000]),
)
