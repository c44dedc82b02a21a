"""Render sampled households into the instrument's tables, answer by answer.

The planted quantities of each sampled primary adult (from the population) are written into
the variables that define them (see :func:`gender_diag.synth.population.definitions`); every
other answer is drawn from plausible distributions for the rural Andes. Skip logic
(``relevant``) is respected: a question that was not asked is missing. Everything is
vectorised: one array operation per variable, whatever the number of households.

Tables use tidy (last path segment) column names; choice answers are pandas
``Categorical`` holding the choice codes, ``select_multiple`` answers the space-separated
codes, numbers nullable ``Int64``/``Float64``; the digit-only text fields ``phone`` and
``dni_number`` are kept as ``Int64`` for speed (the writers print them as text). The writers
in :mod:`gender_diag.synth.writers` turn the tables into Kobo/ODK exports.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from gender_diag.synth.form import load_form
from gender_diag.synth.population import SECONDARY_COLUMNS, WORK_COLUMNS, Population
from gender_diag.synth.sample import Sample

GIVEN_F = (
    "María Juana Rosa Luzmila Nélida Yolanda Sabina Felícita Teodora Hilda Marleni Yeni Ruth "
    "Flor Paulina Justina Eulalia Nancy Edith Gregoria Inés Silvia Vilma Marisol"
).split()
GIVEN_M = (
    "Juan José Pedro Mario Fortunato Hilario Teófilo Wilber Edwin Percy Saturnino Julián "
    "Valentín Américo Roberto Washington Rubén Hugo Efraín Néstor Alcides Dionisio Lucio Rolando"
).split()
SURNAMES = (
    "Quispe Huamán Mamani Condori Ccahuana Huillca Puma Choque Ttito Cusihuamán Apaza Layme "
    "Ccori Sullca Mendoza Vargas Gutiérrez Álvarez Yupanqui Chillihuani Huarca Ccasa Roque "
    "Challco Sutta Illa Quispehuamán Ayme Cjuno Tupa"
).split()
INTERVIEWERS = (
    "Ruth Cusi Huamán",
    "Edwin Ccori Puma",
    "Marleni Apaza Roque",
    "Percy Layme Condori",
    "Yeni Challco Sutta",
    "Wilber Quispe Illa",
    "Nélida Huarca Ayme",
    "Hugo Cjuno Tupa",
)
FIELDWORK_START = np.datetime64("2026-05-04T00:00:00")


# ----------------------------------------------------------------------------- helpers
def _pick(rng: np.random.Generator, p, n: int) -> np.ndarray:
    """Codes 0..k-1 drawn with fixed probabilities ``p`` (normalised)."""
    p = np.asarray(p, float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One code per row of a (n, k) probability matrix (rows need not be normalised)."""
    c = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * c[:, -1]
    return (u[:, None] >= c[:, :-1]).sum(axis=1)


def _cat(codes: np.ndarray, categories, asked=None) -> pd.Categorical:
    """Categorical of choice codes; ``-1`` or ``asked=False`` → missing."""
    codes = np.asarray(codes, dtype=np.int64).copy()
    if asked is not None:
        codes[~np.asarray(asked, bool)] = -1
    return pd.Categorical.from_codes(codes, categories=list(categories))


def _yes(x, asked=None) -> pd.Categorical:
    return _cat(np.where(np.asarray(x, bool), 0, 1), ["yes", "no"], asked)


def _multi(mat: np.ndarray, codes, asked=None) -> pd.Categorical:
    """Space-separated select_multiple answers from a boolean (n, k) matrix.

    Unique combinations are joined once (``np.unique`` on a bit mask), so the cost does not
    grow with the number of rows. An empty selection or ``asked=False`` gives missing.
    """
    codes = list(codes)
    bits = mat.astype(np.int64) @ (np.int64(1) << np.arange(len(codes), dtype=np.int64))
    uniq, inv = np.unique(bits, return_inverse=True)
    labels = [" ".join(c for j, c in enumerate(codes) if (u >> j) & 1) for u in uniq.tolist()]
    inv = inv.astype(np.int64)
    if 0 in uniq:
        zero = int(np.flatnonzero(uniq == 0)[0])
        inv = np.where(inv == zero, -1, inv - (inv > zero))
        labels.pop(zero)
    if asked is not None:
        inv[~np.asarray(asked, bool)] = -1
    return pd.Categorical.from_codes(inv, categories=labels)


def _num(x, asked=None, dtype="Float64") -> pd.array:
    out = pd.array(np.asarray(x, float), dtype="Float64")
    if asked is not None:
        out[~np.asarray(asked, bool)] = pd.NA
    return out.astype(dtype)


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random version-4-shaped UUID strings, vectorised."""
    hexd = np.array(list("0123456789abcdef"))
    digits = hexd[rng.integers(0, 16, size=(n, 32))]
    digits[:, 12] = "4"
    digits[:, 16] = hexd[8 + rng.integers(0, 4, n)]
    dash = np.full((n, 1), "-")
    parts = [digits[:, :8], dash, digits[:, 8:12], dash, digits[:, 12:16], dash]
    parts += [digits[:, 16:20], dash, digits[:, 20:]]
    return np.ascontiguousarray(np.concatenate(parts, axis=1)).view("<U36").ravel()


def _fixed(x: np.ndarray, decimals: int) -> np.ndarray:
    """Format floats with a fixed number of decimals, vectorised (numpy string ufuncs)."""
    scaled = np.rint(np.abs(x) * 10**decimals).astype(np.int64)
    whole, frac = np.divmod(scaled, 10**decimals)
    text = np.strings.add(whole.astype(str), ".")
    text = np.strings.add(text, np.strings.zfill(frac.astype(str), decimals))
    return np.where(x < 0, np.strings.add("-", text), text)


def _join(*parts: np.ndarray) -> np.ndarray:
    out = parts[0]
    for p in parts[1:]:
        out = np.strings.add(np.strings.add(out, " "), p)
    return out


@cache
def _full_names() -> list[str]:
    given = GIVEN_F + GIVEN_M
    return [f"{g} {a} {b}" for g in given for a in SURNAMES for b in SURNAMES]


def _iso(t: np.ndarray, suffix: str) -> np.ndarray:
    """ISO 8601 strings from datetime64 (ms), with a fixed zone suffix."""
    return np.char.add(np.datetime_as_string(t.astype("datetime64[ms]"), unit="ms"), suffix)


# ----------------------------------------------------------------------------- render
def render(pop: Population, sample: Sample, *, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Render the sampled households as the instrument's four tables.

    Parameters
    ----------
    pop : Population
    sample : Sample
    seed : int

    Returns
    -------
    dict
        ``"households"`` (main sheet), ``"roster"``, ``"parcels"``, ``"individual"``;
        repeats carry ``_index`` and ``_parent_index`` (the main sheet's ``_index``).
    """
    rng = np.random.default_rng([seed, 3])
    form = load_form()
    ctx = _Context(pop, sample, rng, form)
    main = ctx.households()
    roster = ctx.roster()
    parcels = ctx.parcels()
    household = ctx.household_items()
    individual = ctx.individual()
    main.insert(main.columns.get_loc("consent") + 1, "hh_size", ctx.hh_size)
    at = main.columns.get_loc("hh_size") + 1
    for i, (col, values) in enumerate(household.items()):
        main.insert(at + i, col, values)
    return {"households": main, "roster": roster, "parcels": parcels, "individual": individual}


class _Context:
    """Shared arrays while rendering one sample (kept private: one call of :func:`render`)."""

    def __init__(self, pop, sample, rng, form):
        self.rng = rng
        self.form = form
        hh = sample.households
        self.n = len(hh)
        self.hh = hh
        self.consent = rng.random(self.n) >= 0.015
        self.ci = np.flatnonzero(self.consent)  # consenting households (index into hh)
        self.nc = len(self.ci)
        t = hh["hh_type"].to_numpy()[self.ci]
        self.dual = np.asarray(t == "dual")
        self.has_f = np.asarray(t != "male_only")
        self.has_m = np.asarray(t != "female_only")
        pers = pop.persons
        ids = hh["pop_id"].to_numpy()[self.ci]
        self.persons = pers
        self.pos_f = _positions(pers, "F", ids)
        self.pos_m = _positions(pers, "M", ids)
        comm_codes, self.comm = np.unique(hh["community"].to_numpy(), return_inverse=True)
        self.n_comm = len(comm_codes)

    def q(self, name, pos):
        """Planted quantity ``name`` of persons at rows ``pos`` of the population."""
        return self.persons[name].to_numpy()[pos]

    # --- main sheet: identification and submission metadata
    def households(self) -> pd.DataFrame:
        rng, n, hh = self.rng, self.n, self.hh
        # Teams visit one community after another; interviews 8:00-17:00 local time (UTC-5).
        # Six interviews a day per community; several teams, so the calendar wraps at 60 days.
        within = np.arange(n) - np.searchsorted(self.comm, self.comm)
        days = np.ceil(np.bincount(self.comm) / 6).astype(np.int64)
        day = ((np.cumsum(days) - days)[self.comm] + within // 6) % 60
        start = (
            FIELDWORK_START
            + (day * 86400).astype("timedelta64[s]")
            + (8 * 3600 + rng.integers(0, 9 * 3600, n)).astype("timedelta64[s]")
            + rng.integers(0, 1000, n).astype("timedelta64[ms]")
        )
        length = rng.integers(45 * 60, 110 * 60, n)
        length = np.where(self.consent, length, rng.integers(3 * 60, 10 * 60, n))
        end = start + length.astype("timedelta64[s]")
        submitted = end + (5 * 3600 + rng.integers(600, 48 * 3600, n)).astype("timedelta64[s]")
        interviewer = _pick(rng, np.ones(len(INTERVIEWERS)), self.n_comm)[self.comm]
        interviewer = (interviewer + rng.integers(0, 2, n)) % len(INTERVIEWERS)
        device = np.array([f"collect:{rng.integers(10**15, 10**16)}" for _ in INTERVIEWERS])
        lat0 = rng.uniform(-14.10, -13.80, self.n_comm)
        lon0 = rng.uniform(-71.75, -71.45, self.n_comm)
        alt0 = rng.uniform(3350, 4050, self.n_comm)
        lat = lat0[self.comm] + rng.normal(0, 0.004, n)
        lon = lon0[self.comm] + rng.normal(0, 0.004, n)
        alt = alt0[self.comm] + rng.normal(0, 25, n)
        acc = rng.uniform(3, 15, n)
        gps = _join(_fixed(lat, 6), _fixed(lon, 6), _fixed(alt, 1), _fixed(acc, 1))
        gps = np.where(rng.random(n) < 0.04, None, gps.astype(object))
        # Text fields made of digits are kept as integers here; the writers print them.
        phone = pd.array(rng.integers(9 * 10**8, 10**9, n), dtype="Int64")
        phone[rng.random(n) < 0.3] = pd.NA
        return pd.DataFrame(
            {
                "start": _iso(start, "-05:00"),
                "end": _iso(end, "-05:00"),
                "today": pd.Categorical(np.datetime_as_string(start.astype("datetime64[D]"))),
                "deviceid": pd.Categorical.from_codes(interviewer, device),
                "interviewer": pd.Categorical.from_codes(interviewer, INTERVIEWERS),
                "district": pd.Categorical(hh["district"], categories=self.form.codes("district")),
                "community": pd.Categorical(
                    hh["community"], categories=self.form.codes("community")
                ),
                "hhid": hh["hhid"].to_numpy(),
                "gps": gps,
                "phone": phone,
                "consent": _yes(self.consent),
                "_id": 412_000_000 + np.arange(n, dtype=np.int64) * 7 + rng.integers(0, 7, n),
                "_uuid": uuids(rng, n),
                "_submission_time": np.datetime_as_string(submitted.astype("datetime64[s]")),
                "_index": np.arange(1, n + 1, dtype=np.int64),
            }
        )

    # --- roster
    def roster(self) -> pd.DataFrame:
        rng, nc = self.rng, self.nc
        head_m = np.where(self.dual, rng.random(nc) < 0.85, self.has_m)
        n_child = np.minimum(rng.poisson(1.8, nc), 9)
        parent = (rng.random(nc) < 0.18).astype(np.int64)
        other = (rng.random(nc) < 0.12).astype(np.int64) + (rng.random(nc) < 0.03)
        nonrel = (rng.random(nc) < 0.02).astype(np.int64)
        counts = np.column_stack([np.ones(nc, np.int64), self.dual, n_child, parent, other, nonrel])
        size = counts.sum(axis=1)
        self.hh_size_c = size
        hh = np.repeat(np.arange(nc), size)
        role = np.repeat(np.tile(np.arange(6), nc), counts.ravel())
        starts = np.cumsum(size) - size
        line = np.arange(len(hh)) - starts[hh] + 1
        r = len(hh)
        self.r_hh, self.r_role, self.r_line = hh, role, line
        # Primary adults: head (line 1) and spouse (line 2) in dual households.
        self.f_line = np.where(self.has_f, np.where(head_m, 2, 1), 0)
        self.m_line = np.where(self.has_m, np.where(head_m, 1, 2), 0)
        self.parent_line = np.where(parent > 0, 1 + counts[:, :3].sum(axis=1), 0)

        male = rng.random(r) < np.where(role == 3, 0.35, 0.5)
        male = np.where(role == 0, head_m[hh], np.where(role == 1, ~head_m[hh], male))
        is_f_primary = self.has_f[hh] & (line == self.f_line[hh])
        is_m_primary = self.has_m[hh] & (line == self.m_line[hh])

        head_age = np.clip(np.rint(rng.normal(46, 12, nc)), 20, 85)
        age = np.zeros(r)
        age = np.where(role == 0, head_age[hh], age)
        age = np.where(
            role == 1,
            np.clip(head_age[hh] + np.where(male, 2, -3) + rng.normal(0, 4, r), 18, 90),
            age,
        )
        age = np.where(role == 2, np.floor(rng.random(r) * np.clip(head_age[hh] - 16, 1, 30)), age)
        age = np.where(role == 3, np.clip(head_age[hh] + 25 + rng.normal(0, 4, r), 45, 105), age)
        age = np.where(role == 4, np.floor(rng.random(r) * 80), age)
        age = np.where(role == 5, 14 + np.floor(rng.random(r) * 46), age)
        age = np.rint(age).astype(np.int64)
        self.r_age, self.r_male = age, male

        # Marital status (asked from age 12).
        union = _pick(rng, [0.55, 0.45], nc)  # married, cohabiting (dual households)
        p = np.zeros((r, 5))  # single, cohabiting, married, separated, widowed
        dual_r = self.dual[hh]
        prim = (role <= 1) & dual_r
        p[prim & (union[hh] == 0), 2] = 1
        p[prim & (union[hh] == 1), 1] = 1
        lone = (role == 0) & ~dual_r
        p[lone & ~male] = [0.15, 0.0, 0.15, 0.30, 0.40]
        p[lone & male] = [0.25, 0.0, 0.05, 0.35, 0.35]
        p[(role == 2) & (age >= 18)] = [0.80, 0.12, 0.06, 0.02, 0.0]
        p[(role == 2) & (age < 18)] = [0.97, 0.03, 0.0, 0.0, 0.0]
        p[role == 3] = [0.0, 0.0, 0.40, 0.0, 0.60]
        p[role == 4] = [0.5, 0.1, 0.2, 0.0, 0.2]
        p[role == 5] = [0.7, 0.3, 0.0, 0.0, 0.0]
        marital = _pick_rows(rng, p)
        self.r_union = (age >= 12) & ((marital == 1) | (marital == 2))

        # Education (asked from age 3).
        e = np.zeros((r, 6))
        e[age < 6] = [1, 0, 0, 0, 0, 0]
        e[(age >= 6) & (age < 12)] = [0.05, 0.95, 0, 0, 0, 0]
        e[(age >= 12) & (age < 17)] = [0, 0.05, 0.25, 0.70, 0, 0]
        young, mid, old = (age >= 17) & (age < 35), (age >= 35) & (age < 55), age >= 55
        e[young & ~male] = [0.05, 0.12, 0.18, 0.20, 0.35, 0.10]
        e[young & male] = [0.02, 0.08, 0.15, 0.20, 0.40, 0.15]
        e[mid & ~male] = [0.20, 0.30, 0.20, 0.10, 0.15, 0.05]
        e[mid & male] = [0.08, 0.22, 0.25, 0.15, 0.22, 0.08]
        e[old & ~male] = [0.50, 0.30, 0.10, 0.04, 0.05, 0.01]
        e[old & male] = [0.25, 0.35, 0.20, 0.08, 0.10, 0.02]
        education = _pick_rows(rng, e)

        literate = np.where(
            age < 8, rng.random(r) < 0.5, rng.random(r) < np.where(education == 0, 0.35, 0.97)
        )
        has_dni = rng.random(r) < np.where(age < 18, 0.92, 0.95)
        # Planted values of the primary woman and man.
        pf = self.pos_f[hh]
        pm = self.pos_m[hh]
        literate = np.where(is_f_primary, self.q("literate", pf), literate)
        literate = np.where(is_m_primary, self.q("literate", pm), literate)
        has_dni = np.where(is_f_primary, self.q("has_dni", pf), has_dni)
        has_dni = np.where(is_m_primary, self.q("has_dni", pm), has_dni)

        tongue_hh = _pick(rng, [0.86, 0.12, 0.01, 0.01], nc)
        tongue = np.where((age < 18) & (rng.random(r) < 0.12), 1, tongue_hh[hh])

        a = np.zeros((r, 8))  # agriculture livestock commerce wage domestic student other none
        kid = age < 18
        adult = (age >= 18) & (age < 65)
        a[kid] = [0.05, 0.07, 0, 0, 0.03, 0.85, 0, 0]
        a[adult & ~male] = [0.32, 0.22, 0.08, 0.03, 0.30, 0.02, 0.02, 0.01]
        a[adult & male] = [0.52, 0.15, 0.07, 0.15, 0.01, 0.03, 0.05, 0.02]
        a[(age >= 65) & ~male] = [0.25, 0.25, 0.02, 0, 0.30, 0, 0.03, 0.15]
        a[(age >= 65) & male] = [0.40, 0.20, 0.03, 0.02, 0.02, 0, 0.05, 0.28]
        activity = _pick_rows(rng, a)

        # Names as codes into every combination of given name and two surnames.
        ns = len(SURNAMES)
        given = np.where(
            male,
            len(GIVEN_F) + rng.integers(0, len(GIVEN_M), r),
            rng.integers(0, len(GIVEN_F), r),
        )
        code = (given * ns + rng.integers(0, ns, r)) * ns + rng.integers(0, ns, r)
        full = pd.Categorical.from_codes(code, _full_names())
        # The roster's "other relative" role is a sibling four times in ten.
        relation = np.where(role <= 3, role, np.where(role == 5, 6, 4 + (rng.random(r) >= 0.4)))
        dni = pd.array(rng.integers(10_000_000, 80_000_000, r), dtype="Int64")
        dni[~has_dni] = pd.NA
        return pd.DataFrame(
            {
                "line": pd.array(line, dtype="Int64"),
                "member_name": full,
                "sex": _cat(male.astype(np.int64), ["F", "M"]),
                "age": pd.array(age, dtype="Int64"),
                "relation": _cat(relation, self.form.codes("relation")),
                "marital": _cat(marital, self.form.codes("marital"), age >= 12),
                "education": _cat(education, self.form.codes("education"), age >= 3),
                "literate": _yes(literate, age >= 6),
                "mother_tongue": _cat(tongue, self.form.codes("mother_tongue")),
                "main_activity": _cat(activity, self.form.codes("main_activity"), age >= 6),
                "has_dni": _yes(has_dni),
                "dni_number": dni,
                "health_insurance": _cat(
                    _pick(rng, [0.78, 0.05, 0.01, 0.16], r), self.form.codes("health_insurance")
                ),
                "_index": np.arange(1, r + 1, dtype=np.int64),
                "_parent_index": self.ci[hh] + 1,
            }
        )

    @property
    def hh_size(self) -> pd.array:
        out = np.zeros(self.n, np.int64)
        out[self.ci] = self.hh_size_c
        return pd.array(out, dtype="Int64")

    # --- parcels
    def parcels(self) -> pd.DataFrame:
        rng, nc = self.rng, self.nc
        n_par = 1 + np.minimum(rng.poisson(1.6, nc), 7)
        hh = np.repeat(np.arange(nc), n_par)
        starts = np.cumsum(n_par) - n_par
        number = np.arange(len(hh)) - starts[hh] + 1
        p = len(hh)
        first = number == 1
        area = np.round(np.clip(rng.lognormal(np.log(0.35), 0.9, p), 0.005, 30), 3)
        use = _pick(rng, [0.55, 0.30, 0.10, 0.05], p)
        irr_rate = rng.uniform(0.2, 0.7, self.n_comm)[self.comm[self.ci]]
        self.irrigation = rng.random(nc) < irr_rate
        irrigated = self.irrigation[hh] & (use <= 1) & (rng.random(p) < 0.6)

        f_ok = self.has_f[hh]
        m_ok = self.has_m[hh]
        pf = self.pos_f[hh]
        pm = self.pos_m[hh]
        f_line, m_line = self.f_line[hh], self.m_line[hh]
        parent_line = self.parent_line[hh]
        mat_owner = np.zeros((p, 20), bool)
        mat_title = np.zeros((p, 20), bool)
        mat_dec = np.zeros((p, 20), bool)
        rows = np.arange(p)

        def put(mat, mask, line):
            mat[rows[mask], line[mask] - 1] = True

        f_own = f_ok & self.q("owns_land", pf) & (first | (rng.random(p) < 0.85))
        m_own = m_ok & self.q("owns_land", pm) & (first | (rng.random(p) < 0.85))
        put(mat_owner, f_own, f_line)
        put(mat_owner, m_own, m_line)
        nobody = ~mat_owner.any(axis=1)
        fallback = np.where(parent_line > 0, parent_line, 1)
        put(mat_owner, nobody, fallback)

        f_title = f_ok & self.q("land_title", pf)
        m_title = m_ok & self.q("land_title", pm)
        holders = f_title | m_title
        keep_f = f_title & (first | (rng.random(p) < 0.8))
        keep_m = m_title & (first | (rng.random(p) < 0.8))
        lost = holders & ~keep_f & ~keep_m
        keep_f |= lost & f_title
        keep_m |= lost & m_title
        titled = np.where(first, holders, holders & (rng.random(p) < 0.6))
        other_title = ~holders & (parent_line > 0) & (rng.random(p) < 0.08)
        put(mat_title, titled & keep_f, f_line)
        put(mat_title, titled & keep_m, m_line)
        put(mat_title, other_title, parent_line)
        titled = titled | other_title

        dual = self.dual[hh]
        who = _pick(rng, [0.45, 0.40, 0.15], p)  # man, both, woman
        put(mat_dec, ~dual & f_ok, f_line)
        put(mat_dec, ~dual & m_ok, m_line)
        put(mat_dec, dual & (who <= 1), m_line)
        put(mat_dec, dual & (who >= 1), f_line)
        put(mat_dec, (parent_line > 0) & (rng.random(p) < 0.05), parent_line)

        lines = [str(i) for i in range(1, 21)]
        area_asked = rng.random(p) >= 0.02  # item non-response: area unknown
        return pd.DataFrame(
            {
                "parcel": pd.array(number, dtype="Int64"),
                "parcel_area": _num(area, area_asked),
                "parcel_use": _cat(use, self.form.codes("parcel_use")),
                "parcel_irrigated": _yes(irrigated),
                "parcel_owners": _multi(mat_owner, lines),
                "parcel_titled": _yes(titled),
                "parcel_title_names": _multi(mat_title, lines, titled),
                "parcel_decider": _multi(mat_dec, lines),
                "_index": np.arange(1, p + 1, dtype=np.int64),
                "_parent_index": self.ci[hh] + 1,
            }
        )

    # --- household items (water, assets, credit)
    def household_items(self) -> dict[str, object]:
        rng, n, ci = self.rng, self.n, self.ci
        asked = self.consent
        water = _pick(rng, [0.35, 0.25, 0.25, 0.12, 0.03], n)
        irrigation = np.zeros(n, bool)
        irrigation[ci] = self.irrigation
        major_p = np.array([0.55, 0.35, 0.6, 0.3, 0.08, 0.1, 0.12, 0.04])
        major = rng.random((n, 8)) < major_p
        none = ~major.any(axis=1)
        major[none, 2] = True  # a few sheep at least
        minor_p = np.array([0.85, 0.7, 0.95, 0.75, 0.35, 0.08, 0.15])
        minor = rng.random((n, 7)) < minor_p
        minor[~minor.any(axis=1), 2] = True
        credit = rng.random(n) < 0.32
        src_p = np.array([0.10, 0.30, 0.20, 0.15, 0.20, 0.15])
        src = (rng.random((n, 6)) < src_p) & credit[:, None]
        first = _pick(rng, src_p, n)
        src[np.arange(n)[credit], first[credit]] = True
        self.credit_src = src  # bank caja ngo cooperative informal family
        self.h_large_livestock = major[:, [0, 1, 3]].any(axis=1)
        return {
            "water_source": _cat(water, self.form.codes("water_source"), asked),
            "irrigation": _yes(irrigation, asked),
            "assets_major": _multi(major, self.form.codes("assets_major"), asked),
            "assets_minor": _multi(minor, self.form.codes("assets_minor"), asked),
            "credit_any": _yes(credit, asked),
            "credit_source": _multi(src, self.form.codes("credit_source"), asked & credit),
            "program_participant": _yes(rng.random(n) < 0.45, asked),
        }

    # --- individual module
    def individual(self) -> pd.DataFrame:
        rng, form = self.rng, self.form
        # Primary woman then primary man; 3 % could not be interviewed (no repeat row).
        hh = np.concatenate([np.flatnonzero(self.has_f), np.flatnonzero(self.has_m)])
        female = np.concatenate([np.ones(self.has_f.sum(), bool), np.zeros(self.has_m.sum(), bool)])
        order = np.lexsort((~female, hh))
        hh, female = hh[order], female[order]
        found = rng.random(len(hh)) >= 0.03
        hh, female = hh[found], female[found]
        k = len(hh)
        pos = np.where(female, self.pos_f[hh], self.pos_m[hh])
        line = np.where(female, self.f_line[hh], self.m_line[hh])
        starts = np.cumsum(self.hh_size_c) - self.hh_size_c
        union = self.r_union[starts[hh] + line - 1]
        ic = rng.random(k) >= 0.015
        self.i_hh, self.i_female, self.i_line = hh, female, line

        def q(name):
            return self.q(name, pos)

        cols: dict[str, object] = {
            "resp_role": _cat(np.where(female, 0, 1), form.codes("resp_role")),
            "resp_line": _cat(line - 1, form.codes("line")),
            "resp_sex": _cat(np.where(female, 0, 1), ["F", "M"]),
            "resp_in_union": _yes(union),
            "ind_consent": _yes(ic),
        }
        fem = female.astype(float)

        # Productive decisions.
        part_p = {
            "food_crops": (0.80, 0.70),
            "cash_crops": (0.35, 0.45),
            "livestock": (0.85, 0.75),
            "nonfarm": (0.20, 0.15),
            "wage": (0.10, 0.35),
            "fishing_forest": (0.10, 0.15),
        }
        low = np.array([[0.40, 0.45, 0.0, 0.0, 0.15]])  # input 1, 2, (3, 4), 9
        for act, (pf_, pm_) in part_p.items():
            if act == "food_crops":
                decides = q("decides_food_crops")
                part = decides | (rng.random(k) < 0.6)
                high = decides
            else:
                part = rng.random(k) < np.where(female, pf_, pm_)
                high = part & (rng.random(k) < np.where(female, 0.45, 0.75))
            inp = np.where(high, 2 + (rng.random(k) < 0.55), _pick_rows(rng, np.repeat(low, k, 0)))
            inc = np.clip(inp + rng.integers(-1, 2, k), 0, 3)
            inc = np.where(inp == 4, 4, inc)
            cols[f"participates_{act}"] = _yes(part, ic)
            cols[f"input_{act}"] = _cat(inp, form.codes("input_scale"), ic & part)
            cols[f"income_{act}"] = _cat(inc, form.codes("input_scale"), ic & part)

        # Asset ownership: none_in_hh, no, sole, joint.
        own_codes = form.codes("own_status")
        dual = self.dual[hh]
        land = np.where(q("owns_land"), np.where(dual & (rng.random(k) < 0.7), 3, 2), 1)
        cols["own_land"] = _cat(land, own_codes, ic)
        livestock_hh = self.h_large_livestock[self.ci]
        for asset, (p_none, p_own) in {
            "large_livestock": (None, (0.55, 0.75)),
            "small_livestock": (0.05, (0.75, 0.70)),
            "farm_equipment": (0.15, (0.45, 0.75)),
            "nonfarm_equipment": (0.55, (0.30, 0.50)),
            "house": (0.01, (0.60, 0.85)),
            "durables": (0.10, (0.55, 0.70)),
            "transport": (0.60, (0.15, 0.60)),
        }.items():
            none = ~livestock_hh[hh] if p_none is None else rng.random(k) < p_none
            owns = rng.random(k) < np.where(female, *p_own)
            code = np.where(
                none, 0, np.where(owns, np.where(dual & (rng.random(k) < 0.6), 3, 2), 1)
            )
            cols[f"own_{asset}"] = _cat(code, own_codes, ic)
        mobile = q("has_mobile")
        cols["own_mobile"] = _cat(
            np.where(
                mobile, np.where(rng.random(k) < 0.9, 2, 3), np.where(rng.random(k) < 0.3, 0, 1)
            ),
            own_codes,
            ic,
        )

        # Credit: who decided to borrow from each source the household used.
        src = self.credit_src[self.ci][hh]  # bank caja ngo cooperative informal family
        used = {
            "ngo": src[:, 2],
            "informal": src[:, 4] | src[:, 5],
            "formal": src[:, 0] | src[:, 1],
            "group": src[:, 3],
        }
        who_p = np.where(female[:, None], [[0.25, 0.45, 0.30]], [[0.45, 0.40, 0.15]])
        for s, u in used.items():
            who = 1 + _pick_rows(rng, who_p)
            cols[f"credit_{s}"] = _cat(np.where(u, who, 0), form.codes("credit_who"), ic)

        # Groups, leadership, public speaking.
        gcodes = form.codes("groups")  # 7 groups + none
        gp = np.where(
            female[:, None],
            [[0.12, 0.15, 0.15, 0.20, 0.13, 0.20, 0.05]],
            [[0.30, 0.30, 0.08, 0.17, 0.10, 0.0, 0.05]],
        )
        member = q("group_member")
        mat = (rng.random((k, 7)) < gp * 0.8) & member[:, None]
        main_group = _pick_rows(rng, gp)
        mat[np.flatnonzero(member), main_group[member]] = True
        mat = np.column_stack([mat, ~member])
        cols["groups"] = _multi(mat, gcodes, ic)
        cols["groups_active_member"] = _yes(rng.random(k) < 0.8, ic & member)
        leader = q("leader")
        lp = np.where(female[:, None], [[0.2, 0.2, 0.15, 0.45]], [[0.45, 0.35, 0.20, 0.0]])
        lmat = np.zeros((k, 5), bool)
        lmat[np.flatnonzero(leader), _pick_rows(rng, lp)[leader]] = True
        lmat[:, 4] = ~leader
        cols["leader_positions"] = _multi(lmat, form.codes("leader"), ic)
        speaks = q("speaks_public")
        water = np.where(speaks, 3 + (rng.random(k) < 0.4), rng.integers(0, 3, k))
        for topic in ("infrastructure", "authorities", "water"):
            level = water if topic == "water" else np.clip(water + rng.integers(-1, 2, k), 0, 4)
            cols[f"speak_{topic}"] = _cat(level, form.codes("speak"), ic)

        # 24-hour time use in quarter hours: primary work as planted, the rest fills 24 h.
        work_q = q("work_q").astype(np.int64)
        sec_q = q("secondary_q").astype(np.int64)
        wp = np.where(
            female[:, None],
            [[0.20, 0.18, 0.04, 0.02, 0.26, 0.14, 0.08, 0.03, 0.05]],
            [[0.38, 0.18, 0.05, 0.14, 0.04, 0.02, 0.05, 0.06, 0.08]],
        )
        wp = rng.gamma(wp * 20) + 1e-9
        work = rng.multinomial(work_q, wp / wp.sum(axis=1, keepdims=True))
        rest = 96 - work_q
        sleep = np.minimum(np.clip(np.rint(rng.normal(8.0, 0.7, k) * 4), 24, 40), rest - 4)
        rest = rest - sleep
        personal = np.minimum(np.clip(np.rint(rng.normal(1.5, 0.4, k) * 4), 2, 10), rest)
        rest = rest - personal
        school = np.where(rng.random(k) < 0.02, np.minimum(rest, 8), 0)
        rest = rest - school
        other = np.where(rng.random(k) < 0.3, np.minimum(rest, rng.integers(1, 5, k)), 0)
        leisure = rest - other
        tu = {
            "tu_sleep": sleep,
            "tu_personal": personal,
            **{c: work[:, j] for j, c in enumerate(WORK_COLUMNS)},
            "tu_school": school,
            "tu_leisure": leisure,
            "tu_other": other,
        }
        for c, quarters in tu.items():
            cols[c] = _num(quarters / 4.0, ic)
        cols["tu_total"] = _num(np.full(k, 24.0), ic)
        sp = np.where(female[:, None], [[0.5, 0.3, 0.1, 0.1]], [[0.2, 0.1, 0.4, 0.3]])
        sec = rng.multinomial(sec_q, sp)
        for j, c in enumerate(SECONDARY_COLUMNS):
            cols[c] = _num(sec[:, j] / 4.0, ic)
        sat = np.clip(np.rint(rng.normal(5 + 1.2 * (1 - fem), 2, k)), 1, 10)
        cols["leisure_sat"] = _num(sat, ic & (rng.random(k) >= 0.03), "Int64")

        # Intrinsic agency (pro-WEAI).
        for name, mean in (
            ("rai_external", (2.2, 2.0)),
            ("rai_introjected", (2.4, 2.2)),
            ("rai_autonomous", (2.8, 3.2)),
        ):
            v = np.clip(np.rint(rng.normal(np.where(female, *mean), 0.9, k)), 1, 4) - 1
            cols[name] = _cat(v.astype(np.int64), form.codes("rai_scale"), ic)
        trait = rng.normal(0, 0.6, k) + np.where(female, 3.3, 3.7)
        for i in range(1, 9):
            v = np.clip(np.rint(trait + rng.normal(0, 0.7, k)), 1, 5) - 1
            cols[f"gse_{i}"] = _cat(v.astype(np.int64), form.codes("agree5"), ic)
        accept = rng.normal(0, 1, k) + np.where(female, -1.2, -1.5)
        for item in ("goes_out", "neglects_children", "argues", "refuses_sex", "burns_food"):
            z = accept + rng.normal(0, 0.8, k)
            code = np.where(rng.random(k) < 0.03, 2, np.where(z > 0, 0, 1))
            cols[f"ipv_att_{item}"] = _cat(code, form.codes("yes_no_dk"), ic)
        for item, (pf_, pm_) in {
            "respect_from_spouse": (0.82, 0.90),
            "respect_to_spouse": (0.92, 0.88),
            "trust_spouse": (0.78, 0.85),
            "disagree_spouse": (0.55, 0.75),
        }.items():
            cols[item] = _yes(rng.random(k) < np.where(female, pf_, pm_), ic & union)
        freq = form.codes("frequency")
        for place, (pf_, pm_) in {
            "market": ([0.05, 0.25, 0.45, 0.23, 0.02], [0.03, 0.15, 0.45, 0.32, 0.05]),
            "family": ([0.05, 0.35, 0.35, 0.20, 0.05], [0.05, 0.40, 0.35, 0.17, 0.03]),
            "health": ([0.10, 0.55, 0.30, 0.05, 0.0], [0.20, 0.60, 0.18, 0.02, 0.0]),
            "municipality": ([0.45, 0.40, 0.12, 0.03, 0.0], [0.20, 0.45, 0.25, 0.10, 0.0]),
        }.items():
            v = _pick_rows(rng, np.where(female[:, None], [pf_], [pm_]))
            cols[f"visit_{place}"] = _cat(v, freq, ic)

        # Household decisions and own income.
        dec = form.codes("decider")  # self joint spouse other
        pu = np.where(female[:, None], [[0.15, 0.60, 0.20, 0.05]], [[0.35, 0.55, 0.08, 0.02]])
        pu = np.where(union[:, None], pu, [[0.80, 0.0, 0.0, 0.20]])
        for topic in ("health", "purchases", "visits"):
            cols[f"decide_{topic}"] = _cat(_pick_rows(rng, pu), dec, ic)
        income = q("own_income")
        control = q("controls_income")
        ctl = np.where(union, np.where(rng.random(k) < 0.55, 1, 0), 0)
        lost = np.where(union & (rng.random(k) < 0.75), 2, 3)
        cols["own_income"] = _yes(income, ic)
        cols["income_decider"] = _cat(np.where(control, ctl, lost), dec, ic & income)

        # Participation and training.
        plan = q("territorial_planning")
        cols["territorial_planning"] = _yes(plan, ic)
        cols["participatory_budget"] = _yes(
            np.where(plan, rng.random(k) < 0.5, rng.random(k) < 0.05), ic
        )
        say = np.clip(np.rint(rng.normal(np.where(female, 1.9, 2.8), 0.8, k)), 1, 4) - 1
        cols["say_natural_resources"] = _cat(say.astype(np.int64), form.codes("input_scale"), ic)
        trained = q("training")
        tp = np.array([[0.5, 0.3, 0.3, 0.2, 0.15]])
        tmat = (rng.random((k, 5)) < tp * 0.6) & trained[:, None]
        tmat[np.flatnonzero(trained), _pick_rows(rng, np.repeat(tp, k, 0))[trained]] = True
        cols["training"] = _multi(np.column_stack([tmat, ~trained]), form.codes("training"), ic)
        cols["promoter"] = _yes(q("promoter"), ic)
        cols["has_mobile"] = _yes(mobile, ic)
        cols["mobile_internet"] = _yes(rng.random(k) < np.where(female, 0.45, 0.6), ic & mobile)
        cols["bank_account"] = _yes(q("bank_account"), ic)

        # Sensitive module: in union, own consent, privacy.
        vio_asked = ic & union
        vc = rng.random(k) < 0.92
        vp = rng.random(k) < 0.88
        cols["vio_consent"] = _yes(vc, vio_asked)
        cols["vio_private"] = _yes(vp, vio_asked & vc)
        va = vio_asked & vc & vp
        vfreq = form.codes("vio_freq")
        for kind, (pf_, pm_) in {
            "emotional": ([0.55, 0.20, 0.20, 0.05], [0.75, 0.12, 0.10, 0.03]),
            "physical": ([0.70, 0.17, 0.10, 0.03], [0.90, 0.05, 0.03, 0.02]),
            "sexual": ([0.88, 0.06, 0.03, 0.03], [0.97, 0.01, 0.0, 0.02]),
        }.items():
            v = _pick_rows(rng, np.where(female[:, None], [pf_], [pm_]))
            cols[f"vio_{kind}"] = _cat(v, vfreq, va)

        out = pd.DataFrame(cols)
        names = [f for f in form.table_fields("individual")["name"] if f in out.columns]
        out = out[names]
        out["_index"] = np.arange(1, k + 1, dtype=np.int64)
        out["_parent_index"] = self.ci[hh] + 1
        return out


def _positions(persons: pd.DataFrame, sex: str, pop_ids: np.ndarray) -> np.ndarray:
    """Row of the primary adult of ``sex`` of each household in ``persons`` (−1 if none)."""
    rows = np.flatnonzero(persons["sex"].to_numpy() == sex)
    index = pd.Index(persons["pop_id"].to_numpy()[rows])
    at = index.get_indexer(pop_ids)
    return np.where(at >= 0, rows[np.maximum(at, 0)], -1)
