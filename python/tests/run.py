"""Run the package's unittest suite and print one summary line: "python: N passed, N failed (N skipped)".

    cd python && python3 tests/run.py [-q]
"""

import os
import sys
import unittest


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    sys.path.insert(0, top)
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=top)
    verbosity = 1 if "-q" in sys.argv else 2
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    reasons = sorted({r for _t, r in result.skipped})
    for r in reasons:
        print("skipped: %s" % r)
    print("python: %d passed, %d failed (%d skipped)" % (passed, failed, skipped))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
