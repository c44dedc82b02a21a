"""A safe, vectorised evaluator for the XLSForm expression subset used in ``relevant`` and
``constraint`` columns.

Never ``eval``: expressions are tokenised and parsed by a small recursive-descent parser into
a tuple tree, then evaluated column-wise on a DataFrame. Supported (XLSForm/XPath 1.0 subset):
``${field}``, ``.`` (the current field, in constraints), string and number literals,
``= != < <= > >=``, ``+ - * div mod``, ``and or``, parentheses and the functions
``not()``, ``selected(${x}, 'a')``, ``count-selected(${x})``, ``string-length()``,
``number()``, ``int()``, ``true()``, ``false()``, ``if(c, a, b)``.

Missing values use three-valued (Kleene) logic: a comparison with a missing answer is
*unknown* (``<NA>``), so a check never accuses a row because an earlier answer is missing.
(XPath itself would compare ``''`` and give ``false``; being conservative avoids false alarms.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from gender_diag.errors import RuleError

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<field>\$\{\s*[A-Za-z_][\w.\-]*\s*\})
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<name>[A-Za-z_][\w\-]*)
  | (?P<dot>\.)
    )""",
    re.VERBOSE,
)

FUNCTIONS = {
    "not",
    "selected",
    "count-selected",
    "string-length",
    "number",
    "int",
    "true",
    "false",
    "if",
}


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
    out = set()
    for part in node[1:]:
        if isinstance(part, tuple):
            out |= fields(part)
        elif isinstance(part, list):
            for p in part:
                out |= fields(p)
    return out


# -- evaluation ---------------------------------------------------------------------------


def _is_num(v) -> bool:
    if isinstance(v, pd.Series):
        return pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v)
    return isinstance(v, int | float) and not isinstance(v, bool)


def _num(v, index):
    if isinstance(v, pd.Series):
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


def evaluate(node_or_text, frame: pd.DataFrame, *, current: str | None = None) -> pd.Series:
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
    index = frame.index

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
        if op == "call":
            return _call(n[1], [ev(a) for a in n[2]], index)
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


def _call(name: str, args: list, index):
    if name == "true":
        return pd.Series(True, index=index, dtype="boolean")
    if name == "false":
        return pd.Series(False, index=index, dtype="boolean")
    if name == "not":
        return ~_bool(args[0], index)
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
    if name == "string-length":
        return _str(args[0], index).str.len().astype("Float64")
    if name in {"number", "int"}:
        v = _num(args[0], index)
        return np.trunc(v) if name == "int" else v
    if name == "if":
        c = _bool(args[0], index)
        a, b = args[1], args[2]
        a = a if isinstance(a, pd.Series) else pd.Series([a] * len(index), index=index)
        b = b if isinstance(b, pd.Series) else pd.Series([b] * len(index), index=index)
        return a.where(c.fillna(False), b)
    raise RuleError(f"Function {name!r} is not supported.")
