"""Compile the safe rule language (:mod:`gender_diag.indicators.rules`) to SQL expressions.

The rule's own expression tree (already whitelisted by :func:`parse_rule`) is translated
node by node into a SQLGlot expression tree; SQL text is produced only by SQLGlot's
generator for the target dialect (``duckdb`` or ``spark``), which quotes identifiers and
escapes literals. No user text is ever concatenated into SQL.

The translation keeps the pandas evaluator's semantics exactly:

* three-valued logic: SQL ``AND``/``OR``/``NOT`` are Kleene's, as the rules';
* a missing input gives a missing result (SQL NULL propagation), division by zero is NA;
* ``if_else(c, a, b)`` is NA when ``c`` is NA (SQL ``CASE`` would take the ``ELSE``);
* row-wise ``count/sum/min/max/mean`` are NA when any input is NA (SQL ``LEAST`` and
  ``GREATEST`` skip NULLs, so the NA case is spelled out);
* text holding numbers is read as a number where a number is needed; numbers are true when
  non-zero; text is never a condition.

Aggregations over members or parcels (``any_member``...) and ``outer.`` are not compiled:
:class:`NotCompilable` says so, and the engine evaluates those rules another way (in-memory
tables) or refuses with the rule and the function named (files scanned out of core).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlglot.expressions as exp

from gender_diag.errors import RuleError
from gender_diag.indicators import rules as R

__all__ = ["Column", "Lookup", "NotCompilable", "Relation", "compile_rule", "kind_of_type"]


class NotCompilable(RuleError):
    """The rule uses a construct the SQL compiler does not translate."""


@dataclass(frozen=True)
class Column:
    """A column reachable from the unit table: its SQL expression and value kind."""

    expr: exp.Expression
    kind: str  # 'bool' | 'num' | 'str'


def kind_of_type(sql_type: str) -> str:
    """Rule value kind of an engine column type (DuckDB or Spark type name).

    Examples
    --------
    >>> [kind_of_type(t) for t in ("BOOLEAN", "DOUBLE", "bigint", "VARCHAR", "string")]
    ['bool', 'num', 'num', 'str', 'str']
    """
    t = sql_type.upper()
    if t.startswith("BOOL"):
        return "bool"
    numeric = ("INT", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
               "USMALLINT", "UTINYINT", "INTEGER", "DOUBLE", "FLOAT", "REAL", "DECIMAL",
               "LONG", "SHORT", "BYTE")  # fmt: skip
    if t.startswith(numeric):
        return "num"
    return "str"


_DOUBLE = exp.DataType.build("double")
#: Row-wise functions the compiler translates (besides the AGGREGATIONS of rules.py).
_COMPILED = frozenset({"isna", "notna", "coalesce", "if_else", "any", "all", "count", "sum",
                       "min", "max", "mean", "selected", "has_line"})  # fmt: skip


def _lit(value: object) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, float):
        return exp.Literal.number(repr(value) if not value.is_integer() else int(value))
    return exp.Literal.string(str(value))


def _paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e)


def _is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=_paren(e), expression=exp.Null())


def _case(*whens: tuple[exp.Expression, exp.Expression], default=None) -> exp.Expression:
    c = exp.Case()
    for cond, val in whens:
        c = c.when(cond, val, copy=False)
    return c.else_(default if default is not None else exp.Null(), copy=False)


def _or_all(parts: list[exp.Expression]) -> exp.Expression:
    out = parts[0]
    for p in parts[1:]:
        out = exp.Or(this=out, expression=p)
    return _paren(out)


class _Compiler:
    def __init__(self, rule: R.Rule, lookup: Callable[[str], Column | None]):
        self.rule, self.lookup = rule, lookup

    def fail(self, node, problem: str, cls=RuleError) -> RuleError:
        err = R._problem(self.rule.text, self.rule.indicator, node.pos, problem)
        if cls is not RuleError:
            new = cls(str(err))
            new.indicator, new.rule, new.position, new.problem = (
                err.indicator, err.rule, err.position, err.problem)  # fmt: skip
            return new
        return err

    # ------------------------------------------------------------------ conversions
    def num(self, c: Column, node) -> exp.Expression:
        if c.kind == "num":
            return c.expr
        # booleans count 1/0; text holding numbers is read as numbers (as the evaluator)
        return exp.Cast(this=c.expr, to=_DOUBLE)

    def cond(self, c: Column, node) -> exp.Expression:
        if c.kind == "bool":
            return c.expr
        if c.kind == "num":
            return _paren(exp.NEQ(this=c.expr, expression=exp.Literal.number(0)))
        raise self.fail(node, "a text value is used where a condition (true/false) is needed")

    # ------------------------------------------------------------------ nodes
    def ev(self, node) -> Column:
        if isinstance(node, R._Const):
            v = node.value
            kind = "bool" if isinstance(v, bool) else "str" if isinstance(v, str) else "num"
            return Column(_lit(v), kind)
        if isinstance(node, R._Var):
            if node.outer:
                parent = getattr(self.lookup, "parent", None)
                if parent is None:
                    raise self.fail(node, f"'outer.{node.name}' used outside an aggregation")
                col = parent(node.name)
            else:
                col = self.lookup(node.name)
            if col is None:
                raise self.fail(node, f"unknown variable {node.name!r}")
            return col
        if isinstance(node, R._Not):
            return Column(_paren(exp.Not(this=self.cond(self.ev(node.operand), node))), "bool")
        if isinstance(node, R._Neg):
            return Column(_paren(exp.Neg(this=self.num(self.ev(node.operand), node))), "num")
        if isinstance(node, R._Arith):
            a = self.num(self.ev(node.left), node)
            b = self.num(self.ev(node.right), node)
            if node.op == "/":
                zero = exp.EQ(this=b, expression=exp.Literal.number(0))
                return Column(
                    _case((zero, exp.Null()), default=exp.Div(this=a, expression=b)), "num"
                )
            cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op]
            return Column(_paren(cls(this=a, expression=b)), "num")
        if isinstance(node, R._Logic):
            parts = [self.cond(self.ev(v), v) for v in node.values]
            cls = exp.And if node.op == "and" else exp.Or
            out = parts[0]
            for p in parts[1:]:
                out = cls(this=out, expression=p)
            return Column(_paren(out), "bool")
        if isinstance(node, R._Compare):
            return self.compare(node)
        if isinstance(node, R._In):
            return self.isin(node)
        if isinstance(node, R._Call):
            return self.call(node)
        raise self.fail(node, "internal: unknown node")  # pragma: no cover

    def compare(self, node) -> Column:
        a, b = self.ev(node.left), self.ev(node.right)
        if a.kind == "str" and b.kind == "str":
            if node.op not in ("==", "!="):
                raise self.fail(node, "text can only be compared with == or !=")
            x, y = a.expr, b.expr
        elif a.kind == "bool" and b.kind == "bool":
            x, y = a.expr, b.expr
        else:
            x, y = self.num(a, node), self.num(b, node)
        cls = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
               ">=": exp.GTE}[node.op]  # fmt: skip
        return Column(_paren(cls(this=x, expression=y)), "bool")

    def isin(self, node) -> Column:
        v = self.ev(node.left)
        if v.kind == "str":
            vals = [R._fmt_num(x) if isinstance(x, float) else str(x) for x in node.values]
            lits = [exp.Literal.string(s) for s in vals]
            x = v.expr
        else:
            nums = [x for x in node.values if isinstance(x, float)]
            nums += [float(x) for x in node.values if isinstance(x, str) and R._is_num(x)]
            lits = [_lit(x) for x in nums]
            x = self.num(v, node)
        if not lits:  # nothing can match: false where known
            hit = _case((_is_null(x), exp.Null()), default=exp.Boolean(this=False))
        else:
            hit = _paren(exp.In(this=x, expressions=lits))
        if node.negate:
            hit = _paren(exp.Not(this=hit))
        return Column(hit, "bool")

    def call(self, node) -> Column:
        f, args = node.func, node.args
        if f in R.AGGREGATIONS:
            return self.aggregate(node)
        if f not in _COMPILED:  # person references, aggregations over other tables...
            raise self.fail(node, f"{f}() is not compiled to SQL", NotCompilable)
        if f in ("selected", "has_line"):
            return self.selected(node)
        vals = [self.ev(a) for a in args]
        if f == "isna":
            return Column(_is_null(vals[0].expr), "bool")
        if f == "notna":
            return Column(_paren(exp.Not(this=_is_null(vals[0].expr))), "bool")
        if f == "coalesce":
            a, b = vals
            if a.kind != b.kind:
                x, y, kind = self.num(a, node), self.num(b, node), "num"
            else:
                x, y, kind = a.expr, b.expr, a.kind
            return Column(exp.Coalesce(this=x, expressions=[y]), kind)
        if f == "if_else":
            c = self.cond(vals[0], node)
            a, b = vals[1], vals[2]
            if a.kind != b.kind:
                x, y, kind = self.num(a, node), self.num(b, node), "num"
            else:
                x, y, kind = a.expr, b.expr, a.kind
            return Column(_case((_is_null(c), exp.Null()), (c, x), default=y), kind)
        if f in ("any", "all"):
            parts = [self.cond(v, node) for v in vals]
            cls = exp.Or if f == "any" else exp.And
            out = parts[0]
            for p in parts[1:]:
                out = cls(this=out, expression=p)
            return Column(_paren(out), "bool")
        if f == "count":
            conds = [self.cond(v, node) for v in vals]
            ones = [_case((c, exp.Literal.number(1)), default=exp.Literal.number(0)) for c in conds]
            total = ones[0]
            for o in ones[1:]:
                total = exp.Add(this=total, expression=o)
            any_na = _or_all([_is_null(c) for c in conds])
            return Column(
                _case((any_na, exp.Null()), default=exp.Cast(this=_paren(total), to=_DOUBLE)), "num"
            )
        nums = [self.num(v, node) for v in vals]
        any_na = _or_all([_is_null(x) for x in nums])
        if f in ("sum", "mean"):
            total = nums[0]
            for x in nums[1:]:
                total = exp.Add(this=total, expression=x)
            if f == "mean":
                total = exp.Div(this=_paren(total), expression=exp.Literal.number(len(nums)))
            return Column(_case((any_na, exp.Null()), default=_paren(total)), "num")
        if len(nums) == 1:
            return Column(nums[0], "num")
        cls = exp.Least if f == "min" else exp.Greatest
        red = cls(this=nums[0], expressions=nums[1:])
        return Column(_case((any_na, exp.Null()), default=red), "num")

    def aggregate(self, node) -> Column:
        """``any_member(...)`` etc.: a grouped join of the child rows to the unit's rows."""
        rel = getattr(self.lookup, "relation", None)
        f = node.func
        if rel is None or rel.parent is not None:
            raise self.fail(node, f"{f}() is not compiled to SQL here", NotCompilable)
        table, how = R.AGGREGATIONS[f]
        if table not in rel.schemas:
            raise self.fail(node, f"the survey has no {table!r} table")
        if "hhid" not in rel.schemas[table] or rel.lookup("hhid") is None:
            raise self.fail(node, f"cannot link {table!r} to {rel.table!r}: no 'hhid' column")
        if not rel.keys:
            raise self.fail(node, f"{rel.table!r} has no key columns", NotCompilable)
        child = Relation(table, f"c{len(rel.aggregates)}", rel.schemas, parent=rel)
        inner = _Compiler(self.rule, child.lookup).ev(node.args[0])
        return rel.add_aggregate(child, inner, how, self, node)

    def selected(self, node) -> Column:
        q, code = node.args
        if isinstance(code, R._Const) and code.value is not None:
            cv = code.value
            key = R._fmt_num(cv) if isinstance(cv, float) else str(cv)
            col = self.lookup(f"{q.name}__{key}")
            if col is None:
                raise self.fail(node, f"unknown variable {q.name + '__' + key!r}")
            return Column(self.cond(col, node), "bool")
        if q.outer:
            raise self.fail(node, "'outer.' is not compiled to SQL", NotCompilable)
        # the code is given per row (a roster line): pick the dummy of that code
        codes = self.num(self.ev(code), node)
        dummies = self.dummies(q.name)
        if not dummies:
            raise self.fail(
                node, f"unknown select_multiple {q.name!r}: no columns '{q.name}__<code>'"
            )
        whens = [(_is_null(codes), exp.Null())]
        for key, col in dummies:
            if R._is_num(key):
                hit = exp.EQ(this=codes, expression=_lit(float(key)))
                whens.append((hit, self.cond(col, node)))
        first = self.cond(dummies[0][1], node)
        unmatched = _case((_is_null(first), exp.Null()), default=exp.Boolean(this=False))
        return Column(_case(*whens, default=unmatched), "bool")

    def dummies(self, name: str) -> list[tuple[str, Column]]:
        prefix = f"{name}__"
        names = getattr(self.lookup, "names", lambda p: [])(prefix)
        return [(n[len(prefix) :], self.lookup(n)) for n in names]


def compile_rule(rule: R.Rule, lookup: Callable[[str], Column | None]) -> Column:
    """Translate a parsed rule into a SQL expression over the unit's columns.

    Parameters
    ----------
    rule : Rule
        From :func:`gender_diag.indicators.rules.parse_rule`.
    lookup : callable
        ``lookup(name) -> Column | None``: the expression and kind of a variable reachable
        from the unit's row (its own table or a table above it). It may carry a method
        ``names(prefix)`` listing the reachable columns with that prefix, in table order
        (select_multiple dummies).

    Raises
    ------
    NotCompilable
        Aggregations over members or parcels, ``outer.``.
    RuleError
        The same problems the evaluator reports (unknown variable, text used as a condition).

    Examples
    --------
    >>> from gender_diag.indicators.rules import parse_rule
    >>> cols = {"age": Column(exp.column("age", quoted=True), "num"),
    ...         "dni": Column(exp.column("dni", quoted=True), "str")}
    >>> c = compile_rule(parse_rule('age >= 18 and dni == "O\\'Neil"'), cols.get)
    >>> print(c.expr.sql("duckdb"))
    (("age" >= 18) AND ("dni" = 'O''Neil'))
    """
    return _Compiler(rule, lookup).ev(rule.tree)


class Lookup:
    """Variables reachable from a unit table: own columns first, then the tables above.

    ``sources`` maps a table alias to its ``{column: kind}`` schema, in lookup order.
    """

    def __init__(self, sources: Mapping[str, Mapping[str, str]], *, parent=None, relation=None):
        self.sources = {alias: dict(cols) for alias, cols in sources.items()}
        self.used: set[str] = set()
        self.parent = parent  # the enclosing unit's lookup inside an aggregation
        self.relation = relation

    def __call__(self, name: str) -> Column | None:
        for alias, cols in self.sources.items():
            if name in cols:
                self.used.add(alias)
                return Column(exp.column(name, table=alias, quoted=True), cols[name])
        return self.parent(name) if self.parent is not None else None

    def names(self, prefix: str) -> list[str]:
        for cols in self.sources.values():
            found = [c for c in cols if c.startswith(prefix)]
            if found:
                return found
        return self.parent.names(prefix) if self.parent is not None else []


#: Key columns of each survey table (one row per key).
TABLE_KEYS = {
    "respondents": ("hhid", "line"),
    "members": ("hhid", "line"),
    "households": ("hhid",),
    "parcels": ("hhid", "parcel"),
}


def _table(name: str, alias: str) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name, quoted=True),
        alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
    )


def _all_eq(pairs) -> exp.Expression:
    on = None
    for a, b in pairs:
        eq = exp.EQ(this=a, expression=b)
        on = eq if on is None else exp.And(this=on, expression=eq)
    return on


class Relation:
    """A survey table with the tables above it (left joins on their keys), as SQL.

    Variables are looked up in the table, then upward (respondent → member → household),
    then, inside an aggregation, in the enclosing unit (as the evaluator's scopes).
    Aggregations become grouped derived tables left-joined on the unit's keys.
    """

    def __init__(self, table: str, alias: str, schemas: Mapping[str, Mapping[str, str]],
                 *, parent: Relation | None = None):  # fmt: skip
        self.table, self.alias, self.schemas, self.parent = table, alias, schemas, parent
        own = schemas[table]
        sources = {alias: own}
        self.joins: list[tuple[str, str, exp.Expression]] = []
        for k, (up, keys) in enumerate(R._UPWARD.get(table, getattr(R, "_UPWARD_OTHER", ()))):
            if up in schemas and all(c in own and c in schemas[up] for c in keys):
                a = f"{alias}_{k}"
                sources[a] = schemas[up]
                on = _all_eq((exp.column(c, table=alias, quoted=True),
                              exp.column(c, table=a, quoted=True)) for c in keys)  # fmt: skip
                self.joins.append((up, a, on))
        self.keys = [c for c in TABLE_KEYS.get(table, ()) if c in own]
        self.lookup = Lookup(sources, parent=parent.lookup if parent else None, relation=self)
        self.aggregates: list[tuple[exp.Expression, str]] = []

    def from_(self, select: exp.Select, *, aggregates: bool = True) -> exp.Select:
        """``select`` FROM this table, its used upward joins and its aggregations."""
        sel = select.from_(_table(self.table, self.alias), copy=False)
        for up, a, on in self.joins:
            if a in self.lookup.used:
                sel = sel.join(_table(up, a), on=on, join_type="left", copy=False)
        if aggregates:
            for derived, a in self.aggregates:
                on = _all_eq((exp.column(k, table=self.alias, quoted=True),
                              exp.column(k, table=a, quoted=True)) for k in self.keys)  # fmt: skip
                sel = sel.join(derived.subquery(a, copy=False), on=on, join_type="left", copy=False)
        return sel

    def add_aggregate(self, child: Relation, inner: Column, how: str, comp, node) -> Column:
        one, zero = exp.Literal.number(1), exp.Literal.number(0)

        def flag(cond):
            return exp.Max(this=_case((cond, one), default=zero))

        if how in ("any", "all", "count"):
            v = comp.cond(inner, node)
            known_true, known_false = v, exp.Not(this=_paren(v))
        else:
            v = comp.num(inner, node)
        has_na = flag(_is_null(v))
        if how == "any":
            red = _case((exp.EQ(this=flag(known_true), expression=one), exp.Boolean(this=True)),
                        (exp.EQ(this=has_na, expression=one), exp.Null()),
                        default=exp.Boolean(this=False))  # fmt: skip
            kind, empty = "bool", exp.Boolean(this=False)
        elif how == "all":
            red = _case((exp.EQ(this=flag(known_false), expression=one), exp.Boolean(this=False)),
                        (exp.EQ(this=has_na, expression=one), exp.Null()),
                        default=exp.Boolean(this=True))  # fmt: skip
            kind, empty = "bool", exp.Boolean(this=True)
        else:
            if how == "count":
                total = exp.Sum(this=_case((v, one), default=zero))
            else:
                total = exp.Sum(this=v)
            total = exp.Cast(this=total, to=_DOUBLE)
            if how == "mean":
                total = exp.Div(this=total, expression=exp.Cast(this=exp.Count(this=exp.Star()),
                                                                 to=_DOUBLE))  # fmt: skip
            red = _case((exp.EQ(this=has_na, expression=one), exp.Null()), default=total)
            kind = "num"
            empty = exp.Null() if how == "mean" else exp.Literal.number(0)
        a = f"agg{len(self.aggregates)}"
        keys = [exp.column(k, table=self.alias, quoted=True) for k in self.keys]
        sel = exp.select(
            *[exp.alias_(k, k.name, quoted=True) for k in keys],
            exp.alias_(red, "v", quoted=True),
            exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True),
        )
        sel = self.from_(sel, aggregates=False)
        link = exp.EQ(this=exp.column("hhid", table=child.alias, quoted=True),
                      expression=self.lookup("hhid").expr)  # fmt: skip
        sel = sel.join(_table(child.table, child.alias), on=link, join_type="inner", copy=False)
        for up, ca, on in child.joins:
            if ca in child.lookup.used:
                sel = sel.join(_table(up, ca), on=on, join_type="left", copy=False)
        self.aggregates.append((sel.group_by(*keys, copy=False), a))
        value = exp.column("v", table=a, quoted=True)
        missing = _is_null(exp.column("n", table=a, quoted=True))
        return Column(_case((missing, empty), default=value), kind)
