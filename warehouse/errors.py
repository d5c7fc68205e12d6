"""Errors a user can act on. The CLI prints their message as one line and exits 2."""


class HeimdallError(Exception):
    """Bad input or an unusable warehouse: one clear line for the user, exit code 2."""


class BuildFailed(Exception):
    """A build whose data tests failed; the previous warehouse was left untouched."""

    def __init__(self, results):
        self.results = results
        failed = sum(1 for r in results if not r.passed and r.test.severity == "error")
        super().__init__(f"{failed} data test(s) failed")
