"""northlab's tests: a package, so that tests/hub/ is tests.hub and never shadows hub/."""
