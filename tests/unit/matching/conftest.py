"""Under mutation testing (mutmut sets MUTANT_UNDER_TEST), a property test that fails
has killed its mutant: Hypothesis need not shrink the example, which can take minutes
per mutant. Elsewhere the default profile runs, shrinking included."""

from __future__ import annotations

import os

from hypothesis import Phase, settings

settings.register_profile(
    "mutants", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None
)
if os.environ.get("MUTANT_UNDER_TEST"):
    settings.load_profile("mutants")
