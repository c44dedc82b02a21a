"""``stripped_text`` (strip once per distinct value) equals stripping every cell."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.ingest.assemble import stripped_text

_CELLS = st.one_of(st.none(), st.sampled_from(["", " ", "a", " a", "a ", "1", " 2.5 "]), st.text())


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELLS, max_size=40), st.sampled_from([object, "string"]))
def test_equals_cellwise_strip(cells, dtype):
    col = pd.Series(cells, dtype=dtype, index=range(100, 100 + len(cells)))
    expected = col.astype("string").str.strip().replace("", pd.NA)
    pd.testing.assert_series_equal(stripped_text(col), expected)
