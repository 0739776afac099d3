"""The trusted judge: runs test code against the sandboxed worker; never runs learner code."""
