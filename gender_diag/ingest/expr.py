"""A safe, vectorised evaluator for the XLSForm expression subset used in ``relevant`` and
``constraint`` columns.

Never ``eval``: expressions are tokenised and parsed by a small recursive-descent parser into
a tuple tree, then evaluated column-wise on a DataFrame. Supported (XLSForm/XPath 1.0 subset
that real forms use, https://docs.getodk.org/form-operators-functions/):

- ``${field}``, ``.`` (the current field, in constraints), string and number literals,
  ``= != < <= > >=``, ``+ - * div mod``, ``and or``, parentheses;
- logic and choices: ``not()``, ``true()``, ``false()``, ``if(c, a, b)``,
  ``coalesce(a, b)``, ``selected(${x}, 'a')``, ``count-selected(${x})``,
  ``selected-at(${x}, n)``, ``jr:choice-name(value, '${x}')`` (needs the form's labels);
- numbers: ``number()``, ``int()``, ``round()``, ``floor()``, ``ceiling()``, ``abs()``,
  ``pow()``, ``boolean()``, ``string()``;
- text: ``string-length()``, ``concat()``, ``substr(s, start[, end])`` (0-based, end
  excluded), ``contains()``, ``starts-with()``, ``ends-with()``, ``normalize-space()``,
  ``translate()``, ``regex(s, pattern)``;
- dates (as days since 1970-01-01, so that date arithmetic works): ``today()``, ``now()``,
  ``date()``, ``decimal-date-time()``, ``format-date(d, '%Y-%m-%d')``;
- repeats: ``position(..)`` (the row's position in its repeat instance) and
  ``indexed-repeat(${field}, ${repeat}, n)`` — both need the row's context, given by the
  caller (:class:`Context`).

Anything else raises :class:`~gender_diag.errors.RuleError`; ingest then marks the fields the
expression controls as "not checked" (one info line per expression) instead of guessing.

Missing values use three-valued (Kleene) logic: a comparison with a missing answer is
*unknown* (``<NA>``), so a check never accuses a row because an earlier answer is missing.
(XPath itself would compare ``''`` and give ``false``; being conservative avoids false alarms.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gender_diag.errors import RuleError
from gender_diag.ingest.distinct import first_positions, row_codes

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<field>\$\{\s*[A-Za-z_][\w.\-]*\s*\})
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<name>[A-Za-z_][\w\-]*(?::[A-Za-z_][\w\-]*)?)
  | (?P<parent>\.\.)
  | (?P<dot>\.)
    )""",
    re.VERBOSE,
)

FUNCTIONS = {
    "not",
    "selected",
    "count-selected",
    "selected-at",
    "jr:choice-name",
    "string-length",
    "number",
    "int",
    "round",
    "floor",
    "ceiling",
    "abs",
    "pow",
    "boolean",
    "string",
    "true",
    "false",
    "if",
    "coalesce",
    "concat",
    "substr",
    "contains",
    "starts-with",
    "ends-with",
    "normalize-space",
    "translate",
    "regex",
    "today",
    "now",
    "date",
    "decimal-date-time",
    "format-date",
    "position",
    "indexed-repeat",
    "count",
    "sum",
    "max",
    "min",
}


_REPEAT_AGGREGATES = {"count", "sum", "max", "min"}


@dataclass
class Context:
    """What a few functions need beyond the row's own fields (given by the caller).

    Attributes
    ----------
    position : Series, optional
        1-based position of each row in its repeat instance (``position(..)``).
    indexed_repeat : callable, optional
        ``indexed_repeat(field, repeat, index)`` → Series aligned with the frame: the value of
        ``field`` in the ``index``-th instance of ``repeat`` of the row's household.
    choice_label : callable, optional
        ``choice_label(field, codes)`` → Series of labels (``jr:choice-name``).
    repeat_aggregate : callable, optional
        ``repeat_aggregate(how, name)`` → Series aligned with the frame: ``count`` of the
        instances of the repeat ``name``, or ``sum``/``max``/``min`` of the field ``name`` over
        its repeat, in the row's household (``count(${roster})``, ``sum(${plot_area})``).
    today : date
        The date ``today()`` returns (default: the current date).
    """

    position: pd.Series | None = None
    indexed_repeat: Callable | None = None
    choice_label: Callable | None = None
    repeat_aggregate: Callable | None = None
    today: dt.date = field(default_factory=dt.date.today)


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split an expression into (kind, text) tokens.

    Examples
    --------
    >>> tokenize("${age} >= 12")
    [('field', 'age'), ('op', '>='), ('number', '12')]
    """
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise RuleError(f"Cannot read the expression {text!r} at position {pos}.")
        kind = m.lastgroup
        tok = m.group(kind)
        if kind == "field":
            tok = tok[2:-1].strip()
        elif kind == "string":
            tok = tok[1:-1]
        out.append((kind, tok))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, text=None):
        kind, tok = self.peek()
        if kind is None or (text is not None and tok != text):
            raise RuleError(f"Expected {text!r} in expression {self.text!r}.")
        self.i += 1
        return kind, tok

    def parse(self):
        node = self.or_()
        if self.i != len(self.toks):
            raise RuleError(f"Unexpected {self.peek()[1]!r} in expression {self.text!r}.")
        return node

    def or_(self):
        node = self.and_()
        while self.peek() == ("name", "or"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.cmp()
        while self.peek() == ("name", "and"):
            self.take()
            node = ("and", node, self.cmp())
        return node

    def cmp(self):
        node = self.add()
        kind, tok = self.peek()
        if kind == "op" and tok in {"=", "!=", "<", "<=", ">", ">="}:
            self.take()
            node = ("cmp", tok, node, self.add())
        return node

    def add(self):
        node = self.mul()
        while self.peek()[0] == "op" and self.peek()[1] in {"+", "-"}:
            _, tok = self.take()
            node = ("arith", tok, node, self.mul())
        return node

    def mul(self):
        node = self.unary()
        while self.peek() in {("op", "*"), ("name", "div"), ("name", "mod")}:
            _, tok = self.take()
            node = ("arith", tok, node, self.unary())
        return node

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return ("arith", "-", ("num", 0.0), self.unary())
        return self.primary()

    def primary(self):
        kind, tok = self.peek()
        if kind == "number":
            self.take()
            return ("num", float(tok))
        if kind == "string":
            self.take()
            return ("str", tok)
        if kind == "field":
            self.take()
            return ("field", tok)
        if kind == "dot":
            self.take()
            return ("field", ".")
        if kind == "parent":
            self.take()
            return ("parent",)
        if kind == "op" and tok == "(":
            self.take()
            node = self.or_()
            self.take(")")
            return node
        if kind == "name":
            self.take()
            if tok not in FUNCTIONS:
                raise RuleError(f"Function {tok!r} is not supported in expression {self.text!r}.")
            self.take("(")
            args = []
            if self.peek() != ("op", ")"):
                args.append(self.or_())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.or_())
            self.take(")")
            return ("call", tok, args)
        raise RuleError(f"Unexpected {tok!r} in expression {self.text!r}.")


def parse(text: str) -> tuple:
    """Parse an expression into a tuple tree (raises :class:`RuleError` when unsupported).

    Examples
    --------
    >>> parse("selected(${x}, 'a') and not(${y} = 'no')")
    ('and', ('call', 'selected', [('field', 'x'), ('str', 'a')]), ('call', 'not', [('cmp', '=', ('field', 'y'), ('str', 'no'))]))
    """
    return _Parser(text).parse()


def fields(node) -> set[str]:
    """Names of the fields an expression refers to (``.`` excluded).

    Examples
    --------
    >>> sorted(fields(parse("${a} = 'x' or count-selected(${b}) > 1")))
    ['a', 'b']
    """
    if node[0] == "field":
        return set() if node[1] == "." else {node[1]}
    if node[0] == "call" and node[1] == "indexed-repeat":
        # the field and the repeat are read from another table, not from this row
        return set().union(*(fields(a) for a in node[2][2:]))
    if node[0] == "call" and node[1] in _REPEAT_AGGREGATES:
        return set()  # a repeat (or a field of one), read per household by the caller
    out = set()
    for part in node[1:]:
        if isinstance(part, tuple):
            out |= fields(part)
        elif isinstance(part, list):
            for p in part:
                out |= fields(p)
    return out


# -- evaluation ---------------------------------------------------------------------------


_EPOCH = pd.Timestamp("1970-01-01")


def _days(v: pd.Series) -> pd.Series:
    """Dates/datetimes as (fractional) days since 1970-01-01, XPath's date arithmetic."""
    t = pd.to_datetime(v, errors="coerce", utc=False)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_localize(None)
    return ((t - _EPOCH) / pd.Timedelta(days=1)).astype("Float64")


def _is_num(v) -> bool:
    if isinstance(v, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(v):
            return True
        return pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v)
    return isinstance(v, int | float) and not isinstance(v, bool)


def _num(v, index):
    if isinstance(v, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(v):
            return _days(v)
        if pd.api.types.is_bool_dtype(v):
            return v.astype("Float64")
        return pd.to_numeric(v, errors="coerce").astype("Float64")
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return np.nan
    return float(v)


def _str(v, index):
    if isinstance(v, pd.Series):
        if pd.api.types.is_float_dtype(v):
            # 12.0 → "12": form codes are written without decimals
            s = v.astype("Float64")
            txt = s.astype("string")
            return txt.str.replace(r"\.0$", "", regex=True)
        return v.astype("string")
    return pd.Series([str(v)] * len(index), index=index, dtype="string")


def _bool(v, index) -> pd.Series:
    if isinstance(v, pd.Series):
        if pd.api.types.is_bool_dtype(v):
            return v.astype("boolean")
        if pd.api.types.is_numeric_dtype(v):
            return (v != 0).astype("boolean")
        s = v.astype("string")
        return (s.str.len() > 0).astype("boolean")
    return pd.Series([bool(v)] * len(index), index=index, dtype="boolean")


#: Calls whose value depends on where the row is (its repeat, its household), not only on
#: the values of its fields.
_ROW_CALLS = {"position", "indexed-repeat", *_REPEAT_AGGREGATES}


def row_bound(node) -> bool:
    """Whether an expression tree reads more than the row's own field values
    (``position(..)``, ``indexed-repeat()``, ``count()``/``sum()``/``max()``/``min()``).

    >>> row_bound(parse("${a} > 1 and selected(${b}, 'x')")), row_bound(parse("position(..) = 1"))
    (False, True)
    """
    if node[0] == "call" and node[1] in _ROW_CALLS:
        return True
    for part in node[1:]:
        if isinstance(part, tuple) and row_bound(part):
            return True
        if isinstance(part, list) and any(row_bound(p) for p in part):
            return True
    return False


def evaluate(
    node_or_text,
    frame: pd.DataFrame,
    *,
    current: str | None = None,
    context: Context | None = None,
    distinct: bool = True,
    codes: np.ndarray | None = None,
) -> pd.Series:
    """Evaluate an expression on every row of ``frame`` at once.

    Parameters
    ----------
    node_or_text : str or tuple
        The expression or its parsed tree.
    frame : DataFrame
        Columns named as the form's fields. select_multiple fields are the space-separated
        answer strings.
    current : str, optional
        Column that ``.`` refers to (constraints).
    context : Context, optional
        Row positions in their repeat, other repeats' values and choice labels, for
        ``position(..)``, ``indexed-repeat()`` and ``jr:choice-name()``; without it these
        raise :class:`RuleError` (the caller then reports the expression as not checked).
    distinct : bool
        Evaluate once per distinct combination of the frame's values and map the result back
        to the rows (default). Every operation is value by value, so the result is the
        row-by-row one; expressions that read the row's place (:func:`row_bound`) are always
        evaluated row by row. The first row of each combination is kept, in row order, so
        what depends on the first value (the date format ``to_datetime`` infers) is the same.
    codes : array of int, optional
        The frame's row codes (:func:`gender_diag.ingest.distinct.row_codes`), when the caller
        keeps them; computed here otherwise.

    Returns
    -------
    Series
        Nullable ``boolean`` for conditions (``<NA>`` when unknown), else values.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [5, 30, None], "g": ["a b", "c", None]})
    >>> evaluate("${age} >= 12 and not(selected(${g}, 'a'))", df).tolist()
    [False, True, <NA>]
    >>> evaluate("count-selected(${g})", df).tolist()
    [2.0, 1.0, <NA>]
    """
    node = parse(node_or_text) if isinstance(node_or_text, str) else node_or_text
    if distinct and len(frame) > 1 and not row_bound(node):
        codes = row_codes(frame) if codes is None else codes
        first = first_positions(codes)
        # nearly all rows distinct (an id, a phone): the row-by-row pass is as cheap
        if len(first) <= len(frame) // 2:
            out = _evaluate(node, frame.iloc[first], current, context)
            return out.take(codes).set_axis(frame.index)
    return _evaluate(node, frame, current, context)


def _evaluate(node, frame: pd.DataFrame, current, context) -> pd.Series:
    """:func:`evaluate` on every row of ``frame``."""
    index = frame.index
    ctx = context or Context()

    def ev(n):
        op = n[0]
        if op == "num":
            return n[1]
        if op == "str":
            return n[1]
        if op == "field":
            name = current if n[1] == "." else n[1]
            if name is None or name not in frame.columns:
                raise RuleError(f"Unknown field {n[1]!r} in expression.")
            col = frame[name]
            if isinstance(col.dtype, pd.CategoricalDtype):
                # coded answers stored as categories read as the plain column would
                col = col.astype(col.cat.categories.dtype)
            if col.dtype == object or pd.api.types.is_string_dtype(col):
                col = col.astype("string").replace("", pd.NA)
            return col
        if op in {"and", "or"}:
            a, b = _bool(ev(n[1]), index), _bool(ev(n[2]), index)
            return (a & b) if op == "and" else (a | b)
        if op == "cmp":
            a, b = ev(n[2]), ev(n[3])
            if _is_num(a) or _is_num(b):
                a, b = _num(a, index), _num(b, index)
            else:
                a, b = _str(a, index), _str(b, index)
            res = _CMP[n[1]](a, b)
            return _bool(res, index) if isinstance(res, pd.Series) else res
        if op == "arith":
            a, b = _num(ev(n[2]), index), _num(ev(n[3]), index)
            return _ARITH[n[1]](a, b)
        if op == "parent":
            raise RuleError("'..' is supported only as position(..).")
        if op == "call":
            name, args = n[1], n[2]
            if name == "position":
                if ctx.position is None:
                    raise RuleError("position(..) needs the row's repeat (not given).")
                return ctx.position.reindex(index).astype("Float64")
            if name == "indexed-repeat":
                if len(args) < 3 or args[0][0] != "field" or args[1][0] != "field":
                    raise RuleError("indexed-repeat() takes ${field}, ${repeat}, index.")
                if ctx.indexed_repeat is None:
                    raise RuleError("indexed-repeat() needs the other repeats (not given).")
                pos = _num(ev(args[2]), index)
                pos = pos if isinstance(pos, pd.Series) else pd.Series(pos, index=index)
                return ctx.indexed_repeat(args[0][1], args[1][1], pos)
            if name in _REPEAT_AGGREGATES:
                if len(args) != 1 or args[0][0] != "field" or args[0][1] == ".":
                    raise RuleError(f"{name}() takes one ${{repeat}} or ${{field}} of a repeat.")
                if ctx.repeat_aggregate is None:
                    raise RuleError(f"{name}() needs the repeats (not given).")
                return ctx.repeat_aggregate(name, args[0][1]).astype("Float64")
            if name == "jr:choice-name":
                if len(args) != 2 or args[1][0] != "str":
                    raise RuleError("jr:choice-name() takes a value and '${field}'.")
                if ctx.choice_label is None:
                    raise RuleError("jr:choice-name() needs the form's choice labels.")
                ref = re.fullmatch(r"\s*\$\{\s*([\w.\-]+)\s*\}\s*", args[1][1])
                if not ref:
                    raise RuleError("jr:choice-name() takes '${field}' as second argument.")
                return ctx.choice_label(ref.group(1), _str(ev(args[0]), index))
            return _call(name, [ev(a) for a in args], index, ctx)
        raise RuleError(f"Unknown node {op!r}")

    out = ev(node)
    if not isinstance(out, pd.Series):
        out = pd.Series([out] * len(index), index=index)
    return out


_CMP: dict[str, Callable] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ARITH: dict[str, Callable] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "mod": lambda a, b: a % b,
}


def _tokens(v, index) -> pd.Series:
    return _str(v, index).str.strip().str.split()


def _series(v, index) -> pd.Series:
    return v if isinstance(v, pd.Series) else pd.Series([v] * len(index), index=index)


def _arity(name: str, args: list, lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not lo <= len(args) <= hi:
        raise RuleError(f"{name}() takes {lo}{'' if hi == lo else f'-{hi}'} argument(s).")


_NOT_MINE = object()


def _logic_call(name: str, args: list, index, ctx: Context):
    """true(), false(), not(), boolean()."""
    if name == "true":
        return pd.Series(True, index=index, dtype="boolean")
    if name == "false":
        return pd.Series(False, index=index, dtype="boolean")
    if name == "not":
        return ~_bool(args[0], index)
    if name == "boolean":
        return _bool(args[0], index)
    return _NOT_MINE


def _choice_call(name: str, args: list, index, ctx: Context):
    """selected(), count-selected(), selected-at()."""
    if name == "selected":
        s = _str(args[0], index)
        code = str(args[1]) if not isinstance(args[1], pd.Series) else None
        if code is None:
            raise RuleError("selected() needs a literal choice code as second argument.")
        padded = " " + s.str.strip().str.replace(r"\s+", " ", regex=True) + " "
        return padded.str.contains(" " + code + " ", regex=False).astype("boolean")
    if name == "count-selected":
        s = _str(args[0], index)
        return s.str.split().str.len().astype("Float64")
    if name == "selected-at":
        _arity(name, args, 2)
        parts = _str(args[0], index).str.split()
        n = _series(_num(args[1], index), index)
        out = [
            p[int(k)] if isinstance(p, list) and pd.notna(k) and 0 <= int(k) < len(p) else pd.NA
            for p, k in zip(parts, n, strict=True)
        ]
        return pd.Series(out, index=index, dtype="string")
    return _NOT_MINE


def _number_call(name: str, args: list, index, ctx: Context):
    """string-length(), string(), number(), int(), round() ... pow()."""
    if name == "string-length":
        return _str(args[0], index).str.len().astype("Float64")
    if name == "string":
        return _str(args[0], index)
    if name in {"number", "int"}:
        v = _num(args[0], index)
        return np.trunc(v) if name == "int" else v
    if name in {"round", "floor", "ceiling", "abs"}:
        v = _series(_num(args[0], index), index).astype("Float64")
        if name == "round":
            digits = int(args[1]) if len(args) > 1 and not isinstance(args[1], pd.Series) else 0
            # XPath rounds half up, not to even
            scale = 10.0**digits
            return np.floor(v * scale + 0.5) / scale
        return {"floor": np.floor, "ceiling": np.ceil, "abs": np.abs}[name](v)
    if name == "pow":
        _arity(name, args, 2)
        return _series(_num(args[0], index), index).astype("Float64") ** _num(args[1], index)
    return _NOT_MINE


def _condition_call(name: str, args: list, index, ctx: Context):
    """if(), coalesce()."""
    if name == "if":
        _arity(name, args, 3)
        c = _bool(args[0], index)
        a, b = _series(args[1], index), _series(args[2], index)
        return a.where(c.fillna(False), b)
    if name == "coalesce":
        _arity(name, args, 2)
        a, b = _series(args[0], index), _series(args[1], index)
        empty = a.isna() | (a.astype("string").str.len() == 0).fillna(True)
        return a.where(~empty, b)
    return _NOT_MINE


def _text_call(name: str, args: list, index, ctx: Context):
    """concat(), substr(), contains(), ... translate(), regex()."""
    if name == "concat":
        out = pd.Series("", index=index, dtype="string")
        for a in args:  # a missing part is the empty string, as in XPath
            out = out + _str(a, index).fillna("")
        return out
    if name == "substr":
        _arity(name, args, 2, 3)
        s = _str(args[0], index)
        start = int(_num(args[1], index)) if not isinstance(args[1], pd.Series) else None
        end = None
        if len(args) == 3:
            end = int(_num(args[2], index)) if not isinstance(args[2], pd.Series) else None
            if end is None:
                raise RuleError("substr() needs literal start and end positions.")
        if start is None:
            raise RuleError("substr() needs literal start and end positions.")
        return s.str.slice(start, end)
    if name in {"contains", "starts-with", "ends-with"}:
        _arity(name, args, 2)
        s = _str(args[0], index)
        if isinstance(args[1], pd.Series):
            raise RuleError(f"{name}() needs a literal text as second argument.")
        t = str(args[1])
        how = {"contains": "contains", "starts-with": "startswith", "ends-with": "endswith"}
        if name == "contains":
            return s.str.contains(t, regex=False).astype("boolean")
        return getattr(s.str, how[name])(t).astype("boolean")
    if name == "normalize-space":
        return _str(args[0], index).str.strip().str.replace(r"\s+", " ", regex=True)
    if name == "translate":
        _arity(name, args, 3)
        if isinstance(args[1], pd.Series) or isinstance(args[2], pd.Series):
            raise RuleError("translate() needs literal texts.")
        src, dst = str(args[1]), str(args[2])
        table = {ord(c): (dst[i] if i < len(dst) else None) for i, c in enumerate(src)}
        return (
            _str(args[0], index)
            .map(lambda x: x.translate(table) if isinstance(x, str) else x)
            .astype("string")
        )
    if name == "regex":
        _arity(name, args, 2)
        if isinstance(args[1], pd.Series):
            raise RuleError("regex() needs a literal pattern.")
        try:
            pattern = re.compile(str(args[1]))
        except re.error as exc:
            raise RuleError(f"regex() pattern {args[1]!r} cannot be read ({exc}).") from None
        # _str() gives the nullable string dtype: searched value by value, missing stays <NA>
        return _str(args[0], index).str.contains(pattern, regex=True).astype("boolean")
    if name in {"today", "now"}:
        day = (pd.Timestamp(ctx.today) - _EPOCH) / pd.Timedelta(days=1)
        return pd.Series(float(day), index=index, dtype="Float64")
    return _NOT_MINE


def _date_call(name: str, args: list, index, ctx: Context):
    """today(), now(), date(), decimal-date-time(), format-date() (days since 1970)."""
    if name in {"date", "decimal-date-time"}:
        _arity(name, args, 1)
        v = args[0]
        if isinstance(v, pd.Series):
            if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
                return v.astype("Float64")
            return _days(v)
        if isinstance(v, int | float):
            return float(v)
        return float(_days(pd.Series([v])).iloc[0])
    if name == "format-date":
        _arity(name, args, 2)
        if isinstance(args[1], pd.Series):
            raise RuleError("format-date() needs a literal format.")
        days = _series(_num(args[0], index), index).astype("Float64")
        t = _EPOCH + pd.to_timedelta(days.astype(float), unit="D")
        fmt = str(args[1]).replace("%e", "%d").replace("%n", "%m")
        return t.dt.strftime(fmt).astype("string")
    return _NOT_MINE


_CALL_GROUPS = (_logic_call, _choice_call, _number_call, _condition_call, _text_call, _date_call)


def _call(name: str, args: list, index, ctx: Context | None = None):
    """Evaluate one function call of :data:`FUNCTIONS` on already evaluated arguments."""
    ctx = ctx or Context()
    for group in _CALL_GROUPS:
        out = group(name, args, index, ctx)
        if out is not _NOT_MINE:
            return out
    raise RuleError(f"Function {name!r} is not supported.")
