"""Hypothesis profiles for the property-based and fuzz tests (``tests/test_fuzz_*.py``).

* ``ci`` (the default): derandomized, so every run of the suite draws the same examples and a failure
  seen in CI is seen again on a laptop; few examples per property (the fuzz set must stay within about
  a minute and a half of the suite); no example database (nothing written outside the test's temp dirs).
* ``fuzz``: many more examples from random seeds, failures kept in ``var/hypothesis`` so the next run
  replays them first. ``make fuzz`` selects it with ``HYPOTHESIS_PROFILE=fuzz``.

Both have no deadline: an example's time depends on the server and the machine (two busy cores in CI),
and the HTTP properties bound time themselves with the client's timeout, which is what "never hangs" means.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from graph.settings import ROOT

#: Examples per property in the ``ci`` profile; :func:`examples` scales a property's own count from it.
CI_EXAMPLES = 20
FUZZ_EXAMPLES = 400
#: Slow examples are expected (a real server, validation with the full shapes); none of these is a bug.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "fuzz", max_examples=FUZZ_EXAMPLES, deadline=None, print_blob=True, suppress_health_check=_SLOW_IS_FINE,
    database=DirectoryBasedExampleDatabase(str(ROOT / "var" / "hypothesis")),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(ci: int) -> settings:
    """A property's example count: ``ci`` in the ci profile, as many times more as the loaded profile gives
    (an expensive property asks for fewer than :data:`CI_EXAMPLES`, a cheap in-process one for more)."""
    return settings(max_examples=max(1, ci * settings.default.max_examples // CI_EXAMPLES))
