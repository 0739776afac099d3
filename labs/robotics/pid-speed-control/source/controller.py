"""Speed controller for the supply rover: a PID controller with anti-windup.

Fill in the three methods of PID, then tune GAINS with sim.py (see the lab notebook).
Only this file is graded.
"""


class PID:
    """A PID controller with derivative on measurement, output limits and anti-windup."""

    def __init__(self, kp, ki, kd, out_min=-1.0, out_max=1.0):
        self.kp = kp
        self.ki = ki
        self.kd = kd
        self.out_min = out_min
        self.out_max = out_max
        self.reset()

    def reset(self):
        """Forget the past: integral back to zero, no previous measurement."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def update(self, setpoint, measurement, dt):
        """Return the motor command for this time step, within [out_min, out_max].

        Raise ValueError when dt is not positive.
        """
        # YOUR CODE HERE
        raise NotImplementedError()


# Tune these three numbers with sim.py.
GAINS = {"kp": 0.0, "ki": 0.0, "kd": 0.0}


def make_speed_controller():
    """The controller the rover uses: a PID with your tuned GAINS."""
    return PID(**GAINS)
