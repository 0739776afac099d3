"""Speed controller for the supply rover: a PID controller with anti-windup.

Instructor solution of the pid-speed-control lab.
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
        self.integral = 0.0
        self.last_measurement = None

    def update(self, setpoint, measurement, dt):
        """Return the motor command for this time step, within [out_min, out_max]."""
        if dt <= 0:
            raise ValueError("dt must be positive")
        error = setpoint - measurement
        if self.last_measurement is None:
            derivative = 0.0
        else:
            derivative = -(measurement - self.last_measurement) / dt
        self.last_measurement = measurement

        integral = self.integral + error * dt
        output = self.kp * error + self.ki * integral + self.kd * derivative
        saturated_high = output > self.out_max and error > 0
        saturated_low = output < self.out_min and error < 0
        if not (saturated_high or saturated_low):
            self.integral = integral
        output = self.kp * error + self.ki * self.integral + self.kd * derivative
        return min(self.out_max, max(self.out_min, output))


# Tuned on the scenarios of sim.py (see the lab notebook).
GAINS = {"kp": 1.5, "ki": 0.6, "kd": 0.1}


def make_speed_controller():
    """The controller the rover uses: a PID with your tuned GAINS."""
    return PID(**GAINS)
