"""Mutants not worth a run, and the sample of those that are.

cosmic-ray's operators read the source as tokens, so some of their mutants are no program or
change nothing the backend runs: the bare `*` of keyword-only parameters (every service has
one) taken for a multiplication, `UUID | None` in a signature taken for a bitwise or. Each such
mutant would cost a boot of the stack to learn what the interpreter already knows (the module
no longer imports, so every case fails and the mutant counts as killed) or nothing at all (an
annotation the backend never evaluates survives). They are left out, with the reason, before
the run.
"""

from __future__ import annotations

import ast
import random
import warnings
from collections.abc import Hashable, Sequence

NOT_PYTHON = "not Python: the interpreter refuses it before any case runs"
ANNOTATION_ONLY = "changes only a type annotation"
NO_CHANGE = "the same program as the original"
# cosmic-ray's own operator fails on the node (ExceptionReplacer on `except (a.B, a.C)`): its
# exec would only record the traceback
CANNOT_MUTATE = "cosmic-ray cannot make it"
NOT_IN_SAMPLE = "not in the sample"


class _DropAnnotations(ast.NodeTransformer):
    """A tree without its type annotations (a variable's annotated assignment keeps its value)."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.returns = None
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AnnAssign:
        node.annotation = ast.Constant(value=None)
        self.generic_visit(node)
        return node


def _shape(tree: ast.AST) -> str:
    return ast.dump(_DropAnnotations().visit(tree))


def why_not_run(original: str, mutated: str) -> str | None:
    """Why the mutant `mutated` of `original` is not worth a run, or None when it is."""
    try:
        with warnings.catch_warnings():
            # `x is 0` is a program, with a warning the run would print for nothing
            warnings.simplefilter("ignore", SyntaxWarning)
            compile(mutated, "<mutant>", "exec", dont_inherit=True)
    except SyntaxError:
        return NOT_PYTHON
    before, after = ast.parse(original), ast.parse(mutated)
    if ast.dump(before) == ast.dump(after):
        return NO_CHANGE
    if _shape(before) == _shape(after):
        return ANNOTATION_ONLY
    return None


def sample(keys: Sequence[Hashable], limit: int | None, seed: int) -> set[Hashable]:
    """`limit` of `keys` drawn with `seed` (all of them without a limit). The keys name a
    mutation by what it is (operator, occurrence), not by cosmic-ray's random job id, so that a
    seed draws the same mutants of the same source again."""
    ordered = sorted(set(keys), key=repr)
    if limit is None or limit >= len(ordered):
        return set(ordered)
    return set(random.Random(seed).sample(ordered, limit))
