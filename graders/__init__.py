"""northlab grading engine: lab -> release -> submission -> sandboxed grade -> result."""
