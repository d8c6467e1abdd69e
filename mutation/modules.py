"""Which of the reference's modules are mutated, and which suites are the test command of each.

The modules are found by glob when a run starts, so that an app whose `services.py` becomes a
package (`services/`) is still mutated, one module of the package at a time. A module is
tested by the suites of its app: the folder of `suites/` named after the app, the folders
`EXTRA_SUITES` adds where the names differ, and the scenarios of the tiers that cut across
apps (`suites/security`, `suites/resilience`) whose file names speak of the app's subject
(`WORDS_BY_APP`): scenario files are named as user stories, so the name says what they exercise.
"""

from __future__ import annotations

from pathlib import Path

MODULE_GLOBS = (
    "reference/*/services.py",
    "reference/*/services/*.py",
    "reference/*/selectors.py",
    "reference/*/selectors/*.py",
)
SUITES = "suites"
# suites beyond the app's own folder: flows named in the customer's words, not the app's, and
# the flows of other apps that call into it
EXTRA_SUITES: dict[str, tuple[str, ...]] = {
    "accounts": ("auth", "addresses"),
    "payments": ("wallet",),
    "mobile": ("orders",),  # the dashboard and the app config are read in the order flows
    # a status change moves money (a refund on cancel, the cash taken on delivery: payments),
    # and the orders app rules on a photo uploaded onto an order (uploads)
    "orders": ("payments", "uploads"),
    "uploads": ("orders",),  # photos are attached to the order that is placed with them
}
CROSS_TIERS = ("security", "resilience")
WORDS_BY_APP: dict[str, tuple[str, ...]] = {
    "accounts": ("login", "otp", "sms", "token", "password"),
    "payments": ("payment", "wallet", "webhook", "verify", "checkout", "gateway", "refund",
                 "balance"),
    "orders": ("order",),
    "uploads": ("upload", "jpeg", "photo", "image"),
    "chat": ("chat", "socket", "frame"),
    "notifications": ("push", "notification"),
}


class NoSuites(LookupError):
    """A module whose app no suite exercises: mutating it would prove nothing."""


def discover(root: Path) -> list[str]:
    """Every module to mutate, as a path from `root` with forward slashes, in a stable order."""
    found = {path.relative_to(root).as_posix()
             for pattern in MODULE_GLOBS for path in root.glob(pattern) if path.is_file()}
    return sorted(found)


def select(found: list[str], wanted: list[str]) -> list[str]:
    """The modules of `wanted` (paths as given, `./` or a trailing package slash allowed), or
    all of `found` when none is wanted; a wanted path that is no module to mutate is refused."""
    if not wanted:
        return found
    chosen: list[str] = []
    for given in wanted:
        path = Path(given).as_posix().removeprefix("./")
        matches = [module for module in found
                   if module == path or module.startswith(path.rstrip("/") + "/")]
        if not matches:
            raise ValueError(f"{given} is not one of the modules to mutate ({', '.join(found)})")
        chosen.extend(module for module in matches if module not in chosen)
    return chosen


def app_of(module: str) -> str:
    """`reference/<app>/...` -> `<app>`."""
    parts = module.split("/")
    if len(parts) < 3 or parts[0] != "reference":
        raise ValueError(f"{module} is not a module of a reference app")
    return parts[1]


def suites_for(module: str, root: Path) -> list[str]:
    """The suites (folders and scenario files, from `root`) that exercise `module`."""
    app = app_of(module)
    folders = (app, *EXTRA_SUITES.get(app, ()))
    chosen = [f"{SUITES}/{name}" for name in folders if (root / SUITES / name).is_dir()]
    words = WORDS_BY_APP.get(app, ())
    for tier in CROSS_TIERS:
        for scenario in sorted((root / SUITES / tier).glob("test_*.py")):
            if any(word in scenario.stem for word in words):
                chosen.append(scenario.relative_to(root).as_posix())
    if not chosen:
        raise NoSuites(f"no suite exercises {module}: name the suites of the app {app!r} in "
                       f"mutation/modules.py (EXTRA_SUITES, WORDS_BY_APP)")
    return chosen


def slug(module: str) -> str:
    """A file name for a module's session: `reference/orders/services.py` -> `orders.services`."""
    return ".".join(Path(module).with_suffix("").parts[1:])
