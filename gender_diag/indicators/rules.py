"""A small, safe, declarative rule language for indicator definitions.

Rules are written by gender specialists in the catalogue (YAML) and look like Python
expressions, but they are **never** passed to ``eval`` or ``DataFrame.query``. The text is
parsed with :func:`ast.parse` (``mode="eval"``) and the tree is walked with a strict
whitelist of node types into this module's own expression tree, which is then evaluated
vectorised on the columns of the survey tables.

Grammar (informal)
------------------
- literals: numbers, ``'text'``, ``True``, ``False``, ``NA``; lists ``[a, b, ...]`` only
  after ``in`` / ``not in``;
- variables: tidy instrument names (``age``, ``own_land``, ``groups__producers``);
  ``outer.x`` reads ``x`` of the enclosing unit inside an aggregation;
- comparisons ``== != < <= > >=`` (chains allowed), membership ``x in ['a', 'b']``;
- logic ``and or not`` with Kleene three-valued logic (``NA and False`` is False);
- arithmetic ``+ - * /`` (division by zero gives NA);
- functions (see :data:`FUNCTIONS`): ``isna(x)``, ``notna(x)``, ``coalesce(x, v)``,
  ``if_else(c, a, b)``, row-wise ``any/all/count/sum/min/max/mean(x1, x2, ...)``,
  ``selected(q, 'code')`` for select_multiple dummies ``q__code``,
  ``has_line(q, line)`` (is the row's roster line ticked in a select_multiple over lines),
  and aggregations from roster members or parcels to the current unit:
  ``any_member``, ``all_members``, ``count_members``, ``sum_members``, ``mean_members``,
  ``any_parcel``, ``all_parcels``, ``count_parcels``, ``sum_parcels``, ``mean_parcels``;
- the same over **any** table of the survey (a repeat mapped in ``[mapping.tables]``):
  ``any_<table>(cond)``, ``all_<table>``, ``count_<table>``, ``sum_<table>(x)``,
  ``mean_<table>``, ``min_<table>``, ``max_<table>`` (``count_crops(crop_name == 'maize')``;
  ``<table>`` may drop or add a final ``s``). A repeat nested in another repeat aggregates per
  row of its outer repeat when called from that repeat (``any_plots(count_crops(...) > 1)``),
  per household otherwise;
- person references answered with roster line numbers (who owns, who decides):
  ``sex_of(x)`` is the sex (``'F'``/``'M'``) of the household member whose line is ``x``;
  ``women_in(q)`` / ``men_in(q)`` count the women / men ticked in a select_multiple ``q``
  over roster lines.

Missing values
--------------
A missing input gives a missing result (``NA + 1`` is NA, ``NA == 'yes'`` is NA) except
where logic already decides (``False and NA`` is False, ``True or NA`` is True), and except
``isna``/``notna``/``coalesce``, which let a rule say otherwise. Row-wise ``count``/``sum``
and the aggregations are NA when any input is NA (as R's ``sum`` without ``na.rm``); write
``coalesce(x, False)`` inside them to count missing as "no". An aggregation over no rows
gives ``False`` (any), ``True`` (all), ``0`` (count, sum) or NA (mean).

A question that was not asked is missing, not "no" (a select_multiple dummy is ``<NA>`` when
the question was not relevant). State the relevance condition in the rule so that logic can
decide: ``any_parcel(parcel_titled == 'yes' and has_line(parcel_title_names, line))`` is
False for someone named on no title, whereas ``any_parcel(has_line(parcel_title_names,
line))`` is unknown as soon as the household has an untitled parcel.

Examples
--------
>>> import pandas as pd
>>> resp = pd.DataFrame({"hhid": ["H1", "H1", "H2"], "line": [1, 2, 1],
...                      "age": [30, None, 50], "has_dni": ["yes", "no", None]})
>>> parse_rule("age >= 18 and has_dni == 'yes'").evaluate({"respondents": resp},
...                                                       unit="respondent").tolist()
[True, False, <NA>]
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gender_diag.errors import RuleError

__all__ = [
    "AGGREGATIONS",
    "aggregation",
    "resolve_table",
    "FUNCTIONS",
    "UNIT_TABLES",
    "Rule",
    "parse_rule",
]

#: Unit of analysis → name of the survey table whose rows are the units.
UNIT_TABLES = {
    "respondent": "respondents",
    "member": "members",
    "household": "households",
    "parcel": "parcels",
}

#: Upward look-ups: in a unit table, a variable not found is read from these tables, joined
#: on the given keys (many-to-one), in this order.
_UPWARD = {
    "respondents": (("members", ("hhid", "line")), ("households", ("hhid",))),
    "members": (("households", ("hhid",)),),
    "parcels": (("households", ("hhid",)),),
    "households": (),
}
#: Any other table (a mapped repeat) reads household variables.
_UPWARD_OTHER = (("households", ("hhid",)),)

#: Aggregation functions: name → (child table, reducer).
AGGREGATIONS = {
    "any_member": ("members", "any"),
    "all_members": ("members", "all"),
    "count_members": ("members", "count"),
    "sum_members": ("members", "sum"),
    "mean_members": ("members", "mean"),
    "any_parcel": ("parcels", "any"),
    "all_parcels": ("parcels", "all"),
    "count_parcels": ("parcels", "count"),
    "sum_parcels": ("parcels", "sum"),
    "mean_parcels": ("parcels", "mean"),
}

#: Every function a rule may call → (minimum, maximum) number of arguments (None = any).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "isna": (1, 1),
    "notna": (1, 1),
    "coalesce": (2, 2),
    "if_else": (3, 3),
    "any": (1, None),
    "all": (1, None),
    "count": (1, None),
    "sum": (1, None),
    "min": (1, None),
    "max": (1, None),
    "mean": (1, None),
    "selected": (2, 2),
    "has_line": (2, 2),
    "sex_of": (1, 1),
    "women_in": (1, 1),
    "men_in": (1, 1),
    **{name: (1, 1) for name in AGGREGATIONS},
}
#: ``<how>_<table>``: an aggregation over any table of the survey (see the module docstring).
_GENERIC_AGGREGATION = re.compile(r"^(any|all|count|sum|mean|min|max)_([a-z][a-z0-9_]*)$")
#: Functions whose first argument names a select_multiple question (not a value).
_QUESTION_FIRST = ("selected", "has_line", "women_in", "men_in")


def aggregation(name: str) -> tuple[str, str] | None:
    """``(table, how)`` of an aggregation function name, None for other functions.

    The table of a generic ``<how>_<table>`` is the name as written; :func:`resolve_table`
    finds it among the survey's tables.

    Examples
    --------
    >>> aggregation("any_parcel"), aggregation("count_crops"), aggregation("coalesce")
    (('parcels', 'any'), ('crops', 'count'), None)
    """
    if name in AGGREGATIONS:
        return AGGREGATIONS[name]
    if name in FUNCTIONS:
        return None
    m = _GENERIC_AGGREGATION.match(name)
    return (m.group(2), m.group(1)) if m else None


def resolve_table(name: str, tables) -> str | None:
    """The survey table an aggregation names: exact, or with a final ``s`` added or dropped.

    Examples
    --------
    >>> resolve_table("crop", {"crops": None}), resolve_table("livestock", {"livestock": None})
    ('crops', 'livestock')
    >>> resolve_table("plots", {"plot": None}), resolve_table("goats", {}) is None
    ('plot', True)
    """
    for cand in (name, name + "s", name[:-1] if name.endswith("s") else None):
        if cand and cand in tables:
            return cand
    return None


_MAX_RULE_LENGTH = 4000
_MAX_DEPTH = 60
_CMP = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


# --------------------------------------------------------------------------------------
# expression tree
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Node:
    pos: int  # 1-based column in the rule text


@dataclass(frozen=True)
class _Const(_Node):
    value: object  # float, str, bool or None (NA)


@dataclass(frozen=True)
class _Var(_Node):
    name: str
    outer: bool = False


@dataclass(frozen=True)
class _Not(_Node):
    operand: _Node


@dataclass(frozen=True)
class _Neg(_Node):
    operand: _Node


@dataclass(frozen=True)
class _Arith(_Node):
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Logic(_Node):
    op: str  # "and" / "or"
    values: tuple[_Node, ...]


@dataclass(frozen=True)
class _Compare(_Node):
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _In(_Node):
    left: _Node
    values: tuple[object, ...]
    negate: bool


@dataclass(frozen=True)
class _Call(_Node):
    func: str
    args: tuple[_Node, ...]


def _problem(text: str, indicator: str | None, pos: int | None, problem: str) -> RuleError:
    who = f"Indicator {indicator!r}" if indicator else "Rule"
    where = f" at position {pos}" if pos else ""
    err = RuleError(f"{who}: rule {text!r}{where}: {problem}")
    err.indicator, err.rule, err.position, err.problem = indicator, text, pos, problem
    return err


class _Builder:
    """Walk a Python AST with a strict whitelist and build the rule's own tree."""

    def __init__(self, text: str, indicator: str | None):
        self.text, self.indicator = text, indicator

    def fail(self, node: ast.AST | None, problem: str) -> RuleError:
        pos = getattr(node, "col_offset", None)
        return _problem(self.text, self.indicator, None if pos is None else pos + 1, problem)

    def build(self, node: ast.AST, depth: int = 0) -> _Node:
        if depth > _MAX_DEPTH:
            raise self.fail(node, "expression nested too deeply")
        pos = getattr(node, "col_offset", 0) + 1
        d = depth + 1
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None:
                return _Const(pos, v)
            if isinstance(v, int | float):
                return _Const(pos, float(v))
            if isinstance(v, str):
                return _Const(pos, v)
            raise self.fail(node, f"unsupported literal {v!r}")
        if isinstance(node, ast.Name):
            return self._name(node, node.id, pos)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "outer":
                self._check_identifier(node, node.attr)
                return _Var(pos, node.attr, outer=True)
            raise self.fail(node, "only 'outer.<variable>' may use a dot")
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, d)
            if isinstance(node.op, ast.Not):
                return _Not(pos, operand)
            if isinstance(node.op, ast.USub):
                return _Neg(pos, operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, "unsupported unary operator (use 'not' or '-')")
        if isinstance(node, ast.BinOp):
            op = _ARITH.get(type(node.op))
            if op is None:
                raise self.fail(node, "unsupported operator (allowed: + - * /)")
            return _Arith(pos, op, self.build(node.left, d), self.build(node.right, d))
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return _Logic(pos, op, tuple(self.build(v, d) for v in node.values))
        if isinstance(node, ast.Compare):
            return self._compare(node, d)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        what = type(node).__name__
        raise self.fail(node, f"'{what}' expressions are not allowed in rules")

    @staticmethod
    def _is_identifier_ok(name: str) -> bool:
        return not name.startswith("_")

    def _check_identifier(self, node: ast.AST, name: str) -> None:
        if not self._is_identifier_ok(name):
            raise self.fail(node, f"names starting with '_' are not allowed ({name!r})")

    def _name(self, node: ast.AST, name: str, pos: int) -> _Node:
        if name in ("NA", "None"):
            return _Const(pos, None)
        if name in ("True", "False"):  # pragma: no cover - Python parses these as constants
            return _Const(pos, name == "True")
        self._check_identifier(node, name)
        if name in FUNCTIONS:
            raise self.fail(node, f"{name!r} is a function: call it as {name}(...)")
        return _Var(pos, name)

    def _literal_list(self, node: ast.AST) -> tuple[object, ...]:
        if not isinstance(node, ast.List | ast.Tuple | ast.Set):
            raise self.fail(node, "'in' needs a list of values, e.g. x in ['a', 'b']")
        out = []
        for elt in node.elts:
            neg = isinstance(elt, ast.UnaryOp) and isinstance(elt.op, ast.USub)
            inner = elt.operand if neg else elt
            if not isinstance(inner, ast.Constant) or isinstance(inner.value, bool | type(None)):
                raise self.fail(elt, "list items after 'in' must be numbers or 'text'")
            v = inner.value
            if isinstance(v, int | float):
                out.append(-float(v) if neg else float(v))
            elif isinstance(v, str) and not neg:
                out.append(v)
            else:
                raise self.fail(elt, f"unsupported list item {v!r}")
        return tuple(out)

    def _compare(self, node: ast.Compare, d: int) -> _Node:
        parts: list[_Node] = []
        left_tree = self.build(node.left, d)
        for i, (op, right) in enumerate(zip(node.ops, node.comparators, strict=True)):
            pos = left_tree.pos
            if isinstance(op, ast.In | ast.NotIn):
                if i < len(node.ops) - 1:
                    raise self.fail(node, "a list after 'in' cannot be compared further")
                negate = isinstance(op, ast.NotIn)
                parts.append(_In(pos, left_tree, self._literal_list(right), negate))
                break
            sym = _CMP.get(type(op))
            if sym is None:
                raise self.fail(node, "unsupported comparison (use == != < <= > >= in)")
            right_tree = self.build(right, d)
            parts.append(_Compare(pos, sym, left_tree, right_tree))
            left_tree = right_tree
        if len(parts) == 1:
            return parts[0]
        return _Logic(node.col_offset + 1, "and", tuple(parts))

    def _call(self, node: ast.Call, d: int) -> _Node:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only plain function names may be called, e.g. any(...)")
        name = node.func.id
        if name not in FUNCTIONS and aggregation(name) is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.fail(
                node,
                f"unknown function {name!r} (known: {known}, and any_/all_/count_/sum_/mean_/"
                "min_/max_<table> over a table of the survey)",
            )
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, f"{name}() takes no *arguments")
        lo, hi = FUNCTIONS.get(name, (1, 1))
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo}-{hi}"
            raise self.fail(node, f"{name}() takes {want} argument(s), got {n}")
        if name in _QUESTION_FIRST and not isinstance(node.args[0], ast.Name):
            raise self.fail(node, f"the first argument of {name}() is a select_multiple name")
        args = tuple(self.build(a, d) for a in node.args)
        return _Call(node.col_offset + 1, name, args)


# --------------------------------------------------------------------------------------
# vectorised values
# --------------------------------------------------------------------------------------
@dataclass
class _Val:
    """A column of values: ``kind`` in {'bool', 'num', 'str'}, data array and NA mask."""

    kind: str
    data: np.ndarray
    na: np.ndarray

    @classmethod
    def const(cls, value: object, n: int) -> _Val:
        # read-only broadcast views: a literal costs no memory and no fill per row
        def same(x, dtype=None):
            return np.broadcast_to(np.array(x, dtype=dtype), n)

        if value is None:
            return cls("num", same(np.nan), same(True))
        if isinstance(value, bool):
            return cls("bool", same(value), same(False))
        if isinstance(value, float):
            return cls("num", same(value), same(False))
        return cls("str", same(value, object), same(False))

    @classmethod
    def from_series(cls, s: pd.Series) -> _Val:
        na = s.isna().to_numpy(dtype=bool)
        dt = s.dtype
        if pd.api.types.is_bool_dtype(dt):
            return cls("bool", s.fillna(False).to_numpy(dtype=bool), na)
        if pd.api.types.is_numeric_dtype(dt):
            return cls("num", s.to_numpy(dtype=float, na_value=np.nan), na)
        if isinstance(dt, pd.CategoricalDtype):
            s = s.astype(object)
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind == "boolean":
            return cls("bool", s.where(~s.isna(), False).to_numpy(dtype=bool), na)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            return cls("num", pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan), na)
        data = s.astype("string").to_numpy(dtype=object, na_value=None)
        return cls("str", data, na)

    def to_series(self, index: pd.Index) -> pd.Series:
        dtype = {"bool": "boolean", "num": "Float64", "str": "string"}[self.kind]
        data = self.data.astype(object) if self.kind != "num" else self.data.astype(float)
        s = pd.Series(data, index=index, dtype=object if self.kind != "num" else float)
        s[self.na] = None
        return s.astype(dtype)


def _as_num(v: _Val, fail) -> _Val:
    if v.kind == "num":
        return v
    if v.kind == "bool":
        return _Val("num", np.where(v.na, np.nan, v.data.astype(float)), v.na)
    # text that holds numbers (codes stored as text) is read as numbers
    num = pd.to_numeric(pd.Series(v.data[~v.na], dtype=object), errors="coerce")
    if num.isna().any():
        bad = v.data[~v.na][num.isna().to_numpy()][0]
        raise fail(f"text value {bad!r} used where a number is needed")
    data = np.full(v.data.shape, np.nan)
    data[~v.na] = num.to_numpy(dtype=float)
    return _Val("num", data, v.na.copy())


def _as_bool(v: _Val, fail) -> _Val:
    if v.kind == "bool":
        return v
    if v.kind == "num":
        return _Val("bool", np.where(v.na, False, v.data != 0), v.na)
    raise fail("a text value is used where a condition (true/false) is needed")


def _known(v: _Val) -> tuple[np.ndarray, np.ndarray]:
    """(known true, known false) masks of a boolean value."""
    return v.data & ~v.na, ~v.data & ~v.na


# --------------------------------------------------------------------------------------
# evaluation scopes
# --------------------------------------------------------------------------------------
def _positions(left: pd.DataFrame, right: pd.DataFrame, keys: Iterable[str]) -> np.ndarray:
    """Row position in ``right`` of each row of ``left`` (many-to-one on ``keys``), -1 if none."""
    keys = list(keys)
    if not all(k in left.columns and k in right.columns for k in keys):
        return np.full(len(left), -1)
    r = right[keys].copy()
    r["_pos"] = np.arange(len(right))
    r = r.drop_duplicates(subset=keys, keep="first")
    lk = left[keys].reset_index(drop=True)
    for k in keys:  # align dtypes so that 1 == 1.0 and "H1" == "H1"
        if pd.api.types.is_numeric_dtype(lk[k]) and pd.api.types.is_numeric_dtype(r[k]):
            lk[k] = lk[k].astype(float)
            r[k] = r[k].astype(float)
        else:
            lk[k] = lk[k].astype(str)
            r[k] = r[k].astype(str)
    m = lk.merge(r, on=keys, how="left", sort=False)
    return m["_pos"].fillna(-1).to_numpy(dtype=np.int64)


def _text_codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of a key column compared as text (``str(value)``) and the distinct texts.

    Factorised first (one hash pass; a ``category`` column is not expanded), then only the
    distinct values are turned into text, so ``1`` and ``'1'`` still match as they did when
    both sides were converted with ``astype(str)``.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        codes = s.cat.codes.to_numpy()
        codes = np.where(codes < 0, len(cats), codes)  # missing: str(nan), as astype(str)
        uniques = np.append(np.asarray(cats, dtype=object), np.nan)
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
    text = pd.Index(np.asarray(uniques, dtype=object)).astype(str)
    tcodes, tuniques = pd.factorize(text, use_na_sentinel=False)
    return tcodes[codes], pd.Index(tuniques)


def _link(parent_keys: pd.Series, child_keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Rows of an inner join of parent and child rows on a key compared as text.

    Returns ``(parent_index, rows)``: for each parent row in order, its child rows in their
    own order (the order of ``merge(how='inner', sort=False)``), so the sums of the
    aggregations add the same numbers in the same order. Integer codes and one stable sort
    instead of a merge of text keys.
    """
    ccodes, cuniques = _text_codes(child_keys)
    pcodes, puniques = _text_codes(parent_keys)
    pc = cuniques.get_indexer(puniques)[pcodes]  # parent row -> child key code, -1 if none
    pc = np.where(pc >= 0, pc, len(cuniques))  # no child: the empty group appended last
    counts = np.bincount(ccodes, minlength=len(cuniques) + 1)
    starts = np.cumsum(counts) - counts
    order = np.argsort(ccodes, kind="stable")  # child rows grouped by key, in order
    cnt = counts[pc]
    parent_index = np.repeat(np.arange(len(pc)), cnt)
    first = np.repeat(starts[pc] - (np.cumsum(cnt) - cnt), cnt)
    rows = order[first + np.arange(cnt.sum())]
    return parent_index, rows


@dataclass
class _Scope:
    """Rows of one table where a rule is evaluated.

    A top-level scope is a whole table (``rows`` None). An aggregation's scope is a child
    table's rows repeated for each parent row (``rows`` positions in the child table,
    ``parent_index`` the parent row of each): its columns are read from the whole child
    table (converted once, see :meth:`lookup`) and indexed, never copied as a frame.
    """

    tables: Mapping[str, pd.DataFrame]
    table: str
    frame: pd.DataFrame
    parent: _Scope | None = None
    parent_index: np.ndarray | None = None
    rows: np.ndarray | None = None
    _up: dict = field(default_factory=dict)
    _whole: _Scope | None = None

    @property
    def n(self) -> int:
        return len(self.frame) if self.rows is None else len(self.rows)

    def whole(self) -> _Scope:
        """The top-level scope of this scope's whole table."""
        if self.rows is None:
            return self
        if self._whole is None:
            self._whole = _Scope(self.tables, self.table, self.frame)
        return self._whole

    def column(self, name: str) -> pd.Series | None:
        if self.rows is not None:
            col = self.whole().column(name)
            return None if col is None else col.iloc[self.rows].reset_index(drop=True)
        if name in self.frame.columns:
            return self.frame[name]
        for tname, keys in _UPWARD.get(self.table, _UPWARD_OTHER):
            t = self.tables.get(tname)
            if t is None or name not in t.columns:
                continue
            pos = self._positions(tname, t, keys)
            vals = t[name].reset_index(drop=True)
            out = vals.reindex(np.where(pos < 0, len(vals), pos))
            out.index = self.frame.index
            return out
        return None

    def _positions(self, tname: str, t: pd.DataFrame, keys) -> np.ndarray:
        # prepared tables keep the row links for the whole run (they never change)
        links = getattr(self.tables, "links", None)
        store = self._up if links is None else links
        key = ("up", self.table, tname)
        if key not in store:
            store[key] = _positions(self.frame, t, keys)
        return store[key]

    def own(self, name: str) -> _Val | None:
        """The converted column ``name`` of this scope's rows (or of a table above), None
        when no table has it."""
        if self.rows is not None:
            v = self.whole().own(name)
            return None if v is None else _Val(v.kind, v.data[self.rows], v.na[self.rows])
        # tables prepared once for a whole run carry a cache of converted columns: a
        # column read by many rules is converted once (arrays read-only, so shared safely)
        memo = getattr(self.tables, "column_values", None)
        if memo is not None and (self.table, name) in memo:
            return memo[(self.table, name)]
        col = self.column(name)
        if col is None:
            return None
        val = _Val.from_series(col)
        if memo is not None:
            val.data.flags.writeable = val.na.flags.writeable = False
            memo[(self.table, name)] = val
        return val

    def lookup(self, name: str, outer: bool, fail) -> _Val:
        if not outer:
            val = self.own(name)
            if val is not None:
                return val
        if self.parent is not None:
            v = self.parent.lookup(name, False, fail)
            idx = self.parent_index
            return _Val(v.kind, v.data[idx], v.na[idx])
        if outer:
            raise fail(f"'outer.{name}' used outside an aggregation")
        raise fail(f"unknown variable {name!r} in table {self.table!r}")

    def child(self, table: str, fail) -> _Scope:
        t = self.tables.get(table)
        if t is None:
            raise fail(f"the survey has no {table!r} table")
        nested = (
            "_parent_table" in t.columns
            and "_key" in self.frame.columns
            and (t["_parent_table"] == self.table).any()
        )
        if nested:  # a repeat nested in this one: its rows of each outer row (link keys)
            mine, theirs = "_key", "_parent_key"
        elif "hhid" not in t.columns or self.column("hhid") is None:
            raise fail(f"cannot link {table!r} to {self.table!r}: no 'hhid' column")
        else:
            mine = theirs = "hhid"
        links = getattr(self.tables, "links", None)
        key = ("child", self.table, table)
        if self.rows is None and links is not None and key in links:
            parent_index, rows = links[key]
        else:
            parent_index, rows = _link(self.column(mine), t[theirs])
            if self.rows is None and links is not None:
                parent_index.flags.writeable = rows.flags.writeable = False
                links[key] = (parent_index, rows)
        return _Scope(self.tables, table, t, self, parent_index, rows)


# --------------------------------------------------------------------------------------
# the evaluator
# --------------------------------------------------------------------------------------
class _Evaluator:
    def __init__(self, rule: Rule, indicator: str | None):
        self.rule, self.indicator = rule, indicator

    def failer(self, node: _Node):
        def fail(problem: str) -> RuleError:
            return _problem(self.rule.text, self.indicator, node.pos, problem)

        return fail

    def ev(self, node: _Node, sc: _Scope) -> _Val:
        fail = self.failer(node)
        n = sc.n
        if isinstance(node, _Const):
            return _Val.const(node.value, n)
        if isinstance(node, _Var):
            return sc.lookup(node.name, node.outer, fail)
        if isinstance(node, _Not):
            v = _as_bool(self.ev(node.operand, sc), fail)
            return _Val("bool", ~v.data & ~v.na, v.na)
        if isinstance(node, _Neg):
            v = _as_num(self.ev(node.operand, sc), fail)
            return _Val("num", -v.data, v.na)
        if isinstance(node, _Arith):
            a = _as_num(self.ev(node.left, sc), fail)
            b = _as_num(self.ev(node.right, sc), fail)
            na = a.na | b.na
            with np.errstate(divide="ignore", invalid="ignore"):
                if node.op == "+":
                    out = a.data + b.data
                elif node.op == "-":
                    out = a.data - b.data
                elif node.op == "*":
                    out = a.data * b.data
                else:
                    na = na | (b.data == 0)
                    out = a.data / np.where(b.data == 0, 1.0, b.data)
            return _Val("num", np.where(na, np.nan, out), na)
        if isinstance(node, _Logic):
            vals = [_as_bool(self.ev(v, sc), self.failer(v)) for v in node.values]
            return _kleene(vals, node.op)
        if isinstance(node, _Compare):
            return self._compare(node, sc, fail)
        if isinstance(node, _In):
            v = self.ev(node.left, sc)
            if v.kind == "str":
                strs = [str(x) if not isinstance(x, float) else _fmt_num(x) for x in node.values]
                # one hash look-up per row (text values are str; no copy as a unicode array)
                hit = pd.Series(v.data, dtype=object, copy=False).isin(strs).to_numpy() & ~v.na
            else:
                nums = [x for x in node.values if isinstance(x, float)]
                nums += [float(x) for x in node.values if isinstance(x, str) and _is_num(x)]
                hit = np.isin(_as_num(v, fail).data, nums) & ~v.na
            if node.negate:
                hit = ~hit & ~v.na
            return _Val("bool", hit, v.na.copy())
        if isinstance(node, _Call):
            return self._call(node, sc, fail)
        raise fail("internal: unknown node")  # pragma: no cover

    def _compare(self, node: _Compare, sc: _Scope, fail) -> _Val:
        a, b = self.ev(node.left, sc), self.ev(node.right, sc)
        if a.kind == "str" and b.kind == "str":
            x, y = a.data, b.data
            if node.op not in ("==", "!="):
                raise fail("text can only be compared with == or !=")
        elif a.kind == "bool" and b.kind == "bool":
            x, y = a.data, b.data
        else:
            x, y = _as_num(a, fail).data, _as_num(b, fail).data
        na = a.na | b.na
        with np.errstate(invalid="ignore"):
            res = {
                "==": lambda: x == y,
                "!=": lambda: x != y,
                "<": lambda: x < y,
                "<=": lambda: x <= y,
                ">": lambda: x > y,
                ">=": lambda: x >= y,
            }[node.op]()
        res = np.asarray(res, dtype=bool)
        return _Val("bool", res & ~na, na)

    def _call(self, node: _Call, sc: _Scope, fail) -> _Val:
        f, args = node.func, node.args
        agg = aggregation(f)
        if agg is not None:
            name, how = agg
            table = resolve_table(name, sc.tables) if f not in AGGREGATIONS else name
            inner = sc.child(table or name, fail)
            v = self.ev(args[0], inner)
            return _aggregate(v, inner.parent_index, sc.n, how, fail)
        if f in ("selected", "has_line"):
            return self._selected(node, sc, fail)
        if f == "sex_of":
            return self._sex_of(self.ev(args[0], sc), sc, fail)
        if f in ("women_in", "men_in"):
            return self._people_in(node, sc, fail, "F" if f == "women_in" else "M")
        vals = [self.ev(a, sc) for a in args]
        if f == "isna":
            return _Val("bool", vals[0].na.copy(), np.zeros(sc.n, bool))
        if f == "notna":
            return _Val("bool", ~vals[0].na, np.zeros(sc.n, bool))
        if f == "coalesce":
            a, b = vals
            if a.kind != b.kind:
                a, b = _as_num(a, fail), _as_num(b, fail)
            data = np.where(a.na, b.data, a.data)
            return _Val(a.kind, data, a.na & b.na)
        if f == "if_else":
            c = _as_bool(vals[0], fail)
            a, b = vals[1], vals[2]
            if a.kind != b.kind:
                a, b = _as_num(a, fail), _as_num(b, fail)
            data = np.where(c.data, a.data, b.data)
            na = c.na | np.where(c.data, a.na, b.na)
            return _Val(a.kind, data, na)
        if f in ("any", "all"):
            return _kleene([_as_bool(v, fail) for v in vals], "or" if f == "any" else "and")
        if f == "count":
            bs = [_as_bool(v, fail) for v in vals]
            data = np.sum([b.data & ~b.na for b in bs], axis=0).astype(float)
            na = np.any([b.na for b in bs], axis=0)
            return _Val("num", np.where(na, np.nan, data), na)
        nums = np.vstack([_as_num(v, fail).data for v in vals])
        na = np.any([v.na for v in vals], axis=0)
        with np.errstate(invalid="ignore"):
            red = {"sum": np.sum, "min": np.min, "max": np.max, "mean": np.mean}[f](nums, axis=0)
        return _Val("num", np.where(na, np.nan, red), na)

    def _selected(self, node: _Call, sc: _Scope, fail) -> _Val:
        q = node.args[0]
        assert isinstance(q, _Var)  # guaranteed by the builder
        code = node.args[1]
        if isinstance(code, _Const) and code.value is not None:
            cv = code.value
            key = _fmt_num(cv) if isinstance(cv, float) else str(cv)
            return _as_bool(sc.lookup(f"{q.name}__{key}", q.outer, fail), fail)
        # code given per row (e.g. the respondent's roster line): pick the matching dummy
        codes = _as_num(self.ev(code, sc), fail)
        prefix = f"{q.name}__"
        cols = _dummy_columns(sc, prefix)
        if not cols:
            raise fail(f"unknown select_multiple {q.name!r}: no columns '{prefix}<code>'")
        data = np.zeros(sc.n, bool)
        na = codes.na.copy()
        matched = np.zeros(sc.n, bool)
        for c in cols:  # one vector op per choice code (≤ 20 roster lines), not per row
            key = c[len(prefix) :]
            if not _is_num(key):
                continue
            v = _as_bool(sc.lookup(c, q.outer, fail), fail)
            rows = (codes.data == float(key)) & ~codes.na
            data |= rows & v.data & ~v.na
            na |= rows & v.na
            matched |= rows
        # a line without its own dummy column was not a choice: not selected
        if not matched.any() and not cols:  # pragma: no cover
            raise fail(f"{q.name!r} has no numeric codes")
        # when the whole question is missing in a row, every dummy is NA → NA
        first = _as_bool(sc.lookup(cols[0], q.outer, fail), fail)
        na |= first.na & ~matched
        return _Val("bool", data & ~na, na)

    def _roster_sex(self, sc: _Scope, fail) -> pd.Series:
        """Sex of every roster member indexed by (hhid as text, line as float)."""
        mem = sc.tables.get("members")
        if mem is None or not {"hhid", "line", "sex"} <= set(mem.columns):
            raise fail("person references need the roster (members with hhid, line, sex)")
        key = pd.MultiIndex.from_arrays(
            [mem["hhid"].astype(str), pd.to_numeric(mem["line"], errors="coerce").astype(float)]
        )
        sex = pd.Series(mem["sex"].astype(object).to_numpy(), index=key)
        return sex[~key.duplicated()]

    def _sex_of(self, line: _Val, sc: _Scope, fail) -> _Val:
        """Sex of the member of the row's household whose roster line is ``line``."""
        roster = self._roster_sex(sc, fail)
        lines = _as_num(line, fail)
        hh = sc.lookup("hhid", False, fail)
        key = pd.MultiIndex.from_arrays([hh.data.astype(str), lines.data.astype(float)])
        sex = roster.reindex(key).to_numpy(dtype=object)
        na = lines.na | hh.na | pd.isna(sex)
        data = np.where(na, None, sex).astype(object)
        return _Val("str", data, na)

    def _people_in(self, node: _Call, sc: _Scope, fail, want: str) -> _Val:
        """How many women (men) are ticked in a select_multiple over roster lines."""
        q = node.args[0]
        prefix = f"{q.name}__"
        cols = [c for c in _dummy_columns(sc, prefix) if _is_num(c[len(prefix) :])]
        if not cols:
            raise fail(f"unknown select_multiple {q.name!r} over roster lines: no '{prefix}<n>'")
        total = np.zeros(sc.n)
        na = np.zeros(sc.n, bool)
        for c in cols:  # one vector op per roster line code, not per row
            ticked = _as_bool(sc.lookup(c, q.outer, fail), fail)
            sex = self._sex_of(_Val.const(float(c[len(prefix) :]), sc.n), sc, fail)
            hit = ticked.data & ~ticked.na & ~sex.na & (sex.data == want)
            total += hit
            na |= ticked.na
        return _Val("num", np.where(na, np.nan, total), na)


def _dummy_columns(sc: _Scope, prefix: str) -> list[str]:
    s: _Scope | None = sc
    while s is not None:
        cols = [c for c in s.frame.columns if isinstance(c, str) and c.startswith(prefix)]
        if not cols:
            for tname, _ in _UPWARD.get(s.table, _UPWARD_OTHER):
                t = s.tables.get(tname)
                if t is not None:
                    cols = [c for c in t.columns if isinstance(c, str) and c.startswith(prefix)]
                    if cols:
                        break
        if cols:
            return cols
        s = s.parent
    return []


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _is_num(x: str) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True


def _kleene(vals: list[_Val], op: str) -> _Val:
    """Three-valued AND / OR (SQL and R semantics)."""
    trues = [_known(v)[0] for v in vals]
    falses = [_known(v)[1] for v in vals]
    if op == "and":
        dec_false = np.any(falses, axis=0)
        all_true = np.all(trues, axis=0)
        na = ~dec_false & ~all_true
        return _Val("bool", all_true, na)
    dec_true = np.any(trues, axis=0)
    all_false = np.all(falses, axis=0)
    na = ~dec_true & ~all_false
    return _Val("bool", dec_true, na)


def _aggregate(v: _Val, idx: np.ndarray, n: int, how: str, fail) -> _Val:
    """Reduce child rows to parent rows with :func:`numpy.bincount` (vectorised)."""
    has_na = np.bincount(idx, weights=v.na.astype(float), minlength=n) > 0
    if how in ("any", "all"):
        b = _as_bool(v, fail)
        t, f = _known(b)
        if how == "any":
            hit = np.bincount(idx, weights=t.astype(float), minlength=n) > 0
            return _Val("bool", hit, ~hit & has_na)
        miss = np.bincount(idx, weights=f.astype(float), minlength=n) > 0
        return _Val("bool", ~miss & ~has_na, ~miss & has_na)
    if how == "count":
        b = _as_bool(v, fail)
        c = np.bincount(idx, weights=(b.data & ~b.na).astype(float), minlength=n)
        return _Val("num", np.where(has_na, np.nan, c), has_na)
    x = _as_num(v, fail)
    if how in ("min", "max"):
        # NA when any child value is NA (as sum) or when there is no child row
        fill = np.inf if how == "min" else -np.inf
        out = np.full(n, fill)
        (np.minimum if how == "min" else np.maximum).at(out, idx, np.where(x.na, fill, x.data))
        na = has_na | (np.bincount(idx, minlength=n) == 0)
        return _Val("num", np.where(na, np.nan, out), na)
    s = np.bincount(idx, weights=np.where(x.na, 0.0, x.data), minlength=n)
    if how == "sum":
        return _Val("num", np.where(has_na, np.nan, s), has_na)
    k = np.bincount(idx, minlength=n).astype(float)
    na = has_na | (k == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _Val("num", np.where(na, np.nan, s / np.where(k == 0, 1, k)), na)


# --------------------------------------------------------------------------------------
# public
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """A parsed rule: the original text and its expression tree.

    Use :func:`parse_rule` to build one; :meth:`evaluate` to compute it on survey tables.
    """

    text: str
    tree: _Node
    indicator: str | None = None

    def variables(self) -> set[str]:
        """Every variable name the rule reads (select_multiple dummies as ``q__code``)."""
        out: set[str] = set()
        _walk_vars(self.tree, out)
        return out

    def functions(self) -> set[str]:
        """Every function the rule calls."""
        out: set[str] = set()
        _walk_funcs(self.tree, out)
        return out

    def evaluate(
        self, tables: Mapping[str, pd.DataFrame], *, unit: str = "respondent"
    ) -> pd.Series:
        """Evaluate the rule on every row of the unit's table.

        Parameters
        ----------
        tables : mapping of str to DataFrame
            Survey tables (``households``, ``members``, ``parcels``, ``respondents``).
        unit : {'respondent', 'member', 'household', 'parcel'}
            Unit of analysis; variables absent from the unit's table are read from the
            tables above it (respondent → member → household; member/parcel → household).

        Returns
        -------
        Series
            Indexed like the unit's table; dtype ``boolean``, ``Float64`` or ``string``
            with ``<NA>`` for missing.
        """
        val = self.evaluate_value(tables, unit=unit)
        return val.to_series(tables[UNIT_TABLES[unit]].index)

    def evaluate_value(self, tables: Mapping[str, pd.DataFrame], *, unit: str = "respondent"):
        """:meth:`evaluate` without building the Series: the value's ``kind`` ('bool',
        'num' or 'str'), ``data`` array and ``na`` mask (read-only use)."""
        table = UNIT_TABLES.get(unit)
        if table is None:
            raise _problem(self.text, self.indicator, None, f"unknown unit {unit!r}")
        if table not in tables:
            raise _problem(self.text, self.indicator, None, f"the survey has no {table!r} table")
        scope = _Scope(tables, table, tables[table])
        return _Evaluator(self, self.indicator).ev(self.tree, scope)

    def evaluate_float(
        self, tables: Mapping[str, pd.DataFrame], *, unit: str = "respondent"
    ) -> np.ndarray:
        """:meth:`evaluate` as floats: 1/0 for conditions, numbers, NaN where missing.

        The same values as ``evaluate(...).astype("Float64")`` (NaN for ``<NA>``), without
        the round trip through object and nullable arrays.
        """
        val = self.evaluate_value(tables, unit=unit)
        if val.kind in ("bool", "num"):
            return np.where(val.na, np.nan, val.data.astype(float))
        s = val.to_series(tables[UNIT_TABLES[unit]].index)
        return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)

    def evaluate_mask(
        self, tables: Mapping[str, pd.DataFrame], *, unit: str = "respondent"
    ) -> np.ndarray:
        """Rows where the rule is true (missing counts as false), as a bool array."""
        val = self.evaluate_value(tables, unit=unit)
        if val.kind == "bool":
            return val.data & ~val.na
        s = val.to_series(tables[UNIT_TABLES[unit]].index)
        return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _walk_vars(node: _Node, out: set[str]) -> None:
    if isinstance(node, _Var):
        out.add(node.name)
    elif isinstance(node, _Call) and node.func in ("women_in", "men_in"):
        out.add(node.args[0].name)
        return
    elif isinstance(node, _Call) and node.func in ("selected", "has_line"):
        q, code = node.args
        if isinstance(code, _Const) and code.value is not None:
            cv = code.value
            out.add(f"{q.name}__{_fmt_num(cv) if isinstance(cv, float) else cv}")
        else:
            out.add(q.name)
            _walk_vars(code, out)
        return
    for child in _children(node):
        _walk_vars(child, out)


def _walk_funcs(node: _Node, out: set[str]) -> None:
    if isinstance(node, _Call):
        out.add(node.func)
    for child in _children(node):
        _walk_funcs(child, out)


def _children(node: _Node) -> tuple[_Node, ...]:
    if isinstance(node, _Not | _Neg):
        return (node.operand,)
    if isinstance(node, _Arith | _Compare):
        return (node.left, node.right)
    if isinstance(node, _Logic):
        return node.values
    if isinstance(node, _In):
        return (node.left,)
    if isinstance(node, _Call):
        return node.args
    return ()


def parse_rule(text: str, *, indicator: str | None = None) -> Rule:
    """Parse a rule without evaluating anything.

    Parameters
    ----------
    text : str
        The rule, e.g. ``"own_land in ['sole', 'joint']"``.
    indicator : str, optional
        Indicator id, named in error messages.

    Returns
    -------
    Rule

    Raises
    ------
    RuleError
        Bad syntax, a forbidden construct (attribute access, subscripts, lambdas, names
        starting with ``_``...), an unknown function or a wrong number of arguments. The
        message names the indicator, the rule text, the 1-based position and the problem.

    Examples
    --------
    >>> sorted(parse_rule("selected(groups, 'producers') or age >= 15").variables())
    ['age', 'groups__producers']
    >>> parse_rule("__import__('os')", indicator="x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gender_diag.errors.RuleError: Indicator 'x': rule "__import__('os')" at position 1: unknown function '__import__' (known: all, ...)
    """
    if not isinstance(text, str):
        raise _problem(
            str(text), indicator, None, f"a rule must be text, got {type(text).__name__}"
        )
    stripped = text.strip()
    if not stripped:
        raise _problem(text, indicator, None, "the rule is empty")
    if len(stripped) > _MAX_RULE_LENGTH:
        raise _problem(text[:60] + "...", indicator, None, "the rule is too long")
    # newlines inside YAML block scalars are harmless: parse the rule as one line
    one_line = " ".join(stripped.split())
    try:
        tree = ast.parse(one_line, mode="eval")
    except SyntaxError as e:
        raise _problem(text, indicator, e.offset, f"bad syntax ({e.msg})") from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise _problem(text, indicator, None, f"bad syntax ({type(e).__name__})") from None
    try:
        built = _Builder(one_line, indicator).build(tree.body)
    except RecursionError:
        raise _problem(text, indicator, None, "expression nested too deeply") from None
    return Rule(one_line, built, indicator)
