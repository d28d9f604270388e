"""HiGHS through `highspy`, its own public, versioned Python package (a dependency).

`quiet_highs()` is the one place a solver object is made. HiGHS writes to the C-level
standard output (where `mentorbot match` writes its report) unless `output_flag` is
off: a fresh `highspy.Highs` prints a licence banner the moment its constructor
installs the logging callbacks, before a caller could set any option. So the option is
set first, inside that step; `tests/unit/matching/test_matching_solve.py` checks that
file descriptor 1 stays empty through every kind of solve.
"""

from __future__ import annotations

import highspy

ModelStatus = highspy.HighsModelStatus
VarType = highspy.HighsVarType
FEASIBLE = highspy.kSolutionStatusFeasible  # `getInfo().primal_solution_status`


class _QuietHighs(highspy.Highs):
    def enableCallbacks(self) -> None:
        # Called by highspy.Highs.__init__ before anything is logged.
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()  # type: ignore[no-untyped-call]


def quiet_highs() -> highspy.Highs:
    """A HiGHS object that never writes to standard output or standard error."""
    highs = _QuietHighs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)  # in case a release stops calling the hook
    return highs
