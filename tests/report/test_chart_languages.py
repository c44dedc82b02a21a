"""Charts are drawn once and relabelled per language (issue 13 item 5).

The relabelled figure must give the very files a fresh drawing in that language gives (same
PNG bytes, same SVG), and each language's texts must really be on it.
"""

from __future__ import annotations

import pytest
from matplotlib.text import Text

from gender_diag.report.charts import BUILDERS, DRAWERS, RC, render_chart, render_charts
from gender_diag.report.i18n import LANGUAGES, load_texts
from gender_diag.report.tables import publish

TEXTS = [load_texts(lang) for lang in LANGUAGES]


@pytest.fixture(scope="module")
def pub(result_factory):
    return publish(result_factory())


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_relabelled_equals_fresh_drawing(pub, name):
    once = render_charts(name, pub, TEXTS)
    assert once is not None, f"the fixture should draw {name}"
    # the last language has been through the others' texts and layouts first
    for texts in TEXTS[-1:]:
        fresh = render_chart(name, pub, texts)  # drawn for this language alone
        png, svg = once[texts.lang]
        assert png == fresh[0], f"{name} {texts.lang}: PNG differs from a fresh drawing"
        assert svg == fresh[1], f"{name} {texts.lang}: SVG differs from a fresh drawing"
    # and the languages differ from one another
    assert len({once[t.lang][1] for t in TEXTS}) == len(TEXTS)


def _words(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def test_texts_swapped_geometry_kept(pub):
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(RC):
        drawn = DRAWERS["dumbbell"](pub, TEXTS[0])
        try:
            lines = [ln for ax in drawn.fig.axes for ln in ax.get_lines()]
            data = [ln.get_xydata().copy() for ln in lines]
            seen = {}
            for texts in TEXTS:
                fig = drawn.labelled(texts)
                fig.canvas.draw()  # tick labels are set at draw time
                words = _words(fig)
                seen[texts.lang] = words
                assert texts["charts.dumbbell_title"] in " ".join(words).replace("\n", " ")
                assert texts["charts.dumbbell_x"] in words
                assert texts["charts.women"] in words and texts["charts.men"] in words
                ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
                assert any((" %" if texts.lang != "en" else "%") in t for t in ticks)
                # the same line objects with the same data: only the texts changed
                now = [ln for ax in fig.axes for ln in ax.get_lines()]
                assert now[: len(lines)] == lines
                for ln, xy in zip(lines, data, strict=True):
                    assert (ln.get_xydata() == xy).all()
            assert seen["es"] != seen["fr"] != seen["en"]
            # one legend, not one per language
            assert all(len(ax.findobj(matplotlib.legend.Legend)) <= 1 for ax in drawn.fig.axes)
        finally:
            plt.close(drawn.fig)
