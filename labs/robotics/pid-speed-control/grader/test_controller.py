"""Grader of pid-speed-control: the PID's arithmetic, then closed-loop runs of the rover.

The rover model is the lab's own source/sim.py (read from the lab folder, never from the
submission); the learner's controller runs in the sandbox and is called once per step.
"""

import importlib.util
from itertools import pairwise
from pathlib import Path

import pytest

SIM_PATH = Path(__file__).resolve().parent.parent / "source" / "sim.py"
_spec = importlib.util.spec_from_file_location("rover_sim", SIM_PATH)
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)

HILL = {"load_kg": 250, "seconds": 40, "targets": [(0, 2.0)],
        "slopes": [(0, 0.0), (12, 0.0), (15, 8.0), (26, 8.0), (29, -4.0)]}
HEAVY = {"load_kg": 400, "seconds": 30, "slopes": [(0, 5.0)], "targets": [(0, 2.5)]}
CHANGE = {"load_kg": 150, "seconds": 40, "slopes": [(0, 3.0)], "targets": [(0, 2.0), (20, 3.0)]}
NOISY = {"load_kg": 300, "seconds": 30, "slopes": [(0, 4.0)], "targets": [(0, 2.0)],
         "noise": 0.05}
NOISY_STEADY_ERROR = 0.08  # a noisy sensor cannot be followed as closely


def run(learner, scenario):
    controller = learner.module("controller").make_speed_controller()
    log = sim.simulate(controller.update, scenario, noise_seed=7)
    return log, sim.judge(log, scenario)


def check_segments(report, steady=sim.STEADY_ERROR):
    for segment in report:
        assert segment["settling_s"] <= sim.SETTLE_SECONDS, segment
        assert segment["overshoot"] <= sim.MAX_OVERSHOOT, segment
        assert segment["steady_error"] <= steady, segment


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="With only kp set, update should return kp * (setpoint - measurement).",
    fr="Avec seulement kp, update doit renvoyer kp * (consigne - mesure).")
def test_proportional(learner):
    pid = learner.module("controller").PID(2.0, 0.0, 0.0, -10.0, 10.0)
    assert pid.update(3.0, 1.0, 0.1) == pytest.approx(4.0)
    assert pid.update(1.0, 1.5, 0.1) == pytest.approx(-1.0)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="The integral should add error * dt at every call (before computing the output), "
       "and the I term is ki times that integral.",
    fr="L'intégrale doit ajouter erreur * dt à chaque appel (avant de calculer la sortie), "
       "et le terme I vaut ki fois cette intégrale.")
def test_integral(learner):
    pid = learner.module("controller").PID(0.0, 1.0, 0.0, -10.0, 10.0)
    assert pid.update(1.0, 0.0, 0.5) == pytest.approx(0.5)
    assert pid.update(1.0, 0.0, 0.5) == pytest.approx(1.0)
    assert pid.update(0.0, 2.0, 0.25) == pytest.approx(0.5)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="The D term should use the change of the measurement, -(measurement - previous) / dt, "
       "be 0 on the first call, and not jump when the setpoint changes.",
    fr="Le terme D doit utiliser la variation de la mesure, -(mesure - précédente) / dt, "
       "valoir 0 au premier appel, et ne pas sauter quand la consigne change.")
def test_derivative_on_measurement(learner):
    pid = learner.module("controller").PID(0.0, 0.0, 1.0, -10.0, 10.0)
    assert pid.update(0.0, 0.0, 0.1) == pytest.approx(0.0)
    assert pid.update(0.0, 0.5, 0.1) == pytest.approx(-5.0)
    assert pid.update(5.0, 0.5, 0.1) == pytest.approx(0.0)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="The output must always stay between out_min and out_max (default -1 and 1).",
    fr="La sortie doit toujours rester entre out_min et out_max (par défaut -1 et 1).")
def test_output_limits(learner):
    controller = learner.module("controller")
    pid = controller.PID(10.0, 0.0, 0.0)
    assert pid.update(1.0, 0.0, 0.1) == pytest.approx(1.0)
    assert pid.update(-1.0, 0.0, 0.1) == pytest.approx(-1.0)
    pid = controller.PID(10.0, 0.0, 0.0, 0.0, 0.5)
    assert pid.update(-1.0, 0.0, 0.1) == pytest.approx(0.0)
    assert pid.update(0.02, 0.0, 0.1) == pytest.approx(0.2)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="A large positive error should drive the output up to out_max; after a long time "
       "there, the output should leave saturation at once and go down steadily, below zero within "
       "a couple of seconds, when the error changes sign: stop the integral from growing "
       "while the output is saturated (anti-windup).",
    fr="Une grande erreur positive doit pousser la sortie jusqu'à out_max ; après un long moment à "
       "ce niveau, la sortie doit quitter la saturation aussitôt et descendre régulièrement, "
       "sous zéro en quelques secondes, quand l'erreur change de signe : empêchez "
       "l'intégrale de grossir tant que la sortie est saturée (anti-windup).")
def test_anti_windup(learner):
    pid = learner.module("controller").PID(0.5, 2.0, 0.0)
    update = pid.update
    saturated = [update(1.0, 0.0, 0.1) for _ in range(100)]
    assert 0.5 - 1e-9 <= saturated[-1] <= 1.0 + 1e-9  # at least the P term, kp * error
    assert all(output <= 1.0 + 1e-9 for output in saturated)
    outputs = [update(0.0, 0.5, 0.1) for _ in range(20)]
    assert -1.0 < outputs[0] < 1.0
    assert all(later <= earlier + 1e-9 for earlier, later in pairwise(outputs))
    assert min(outputs) < 0.0


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="reset() should clear the integral and the previous measurement, and update() should "
       "raise ValueError when dt is not positive.",
    fr="reset() doit remettre à zéro l'intégrale et oublier la mesure précédente, et update() "
       "doit lever ValueError quand dt n'est pas positif.")
def test_reset_and_bad_dt(learner):
    pid = learner.module("controller").PID(1.0, 1.0, 1.0, -10.0, 10.0)
    for measurement in (0.0, 0.3, 0.9, 1.4):
        pid.update(2.0, measurement, 0.1)
    pid.reset()
    assert pid.update(1.0, 0.0, 0.1) == pytest.approx(1.1)
    with pytest.raises(ValueError):
        pid.update(1.0, 0.0, 0.0)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="On flat ground the rover should reach its target speed within the settling time, "
       "without too much overshoot, and hold it. Tune GAINS with sim.py.",
    fr="Sur terrain plat, le rover doit atteindre sa vitesse cible dans le temps imparti, "
       "sans trop la dépasser, puis la maintenir. Réglez GAINS avec sim.py.")
def test_flat(learner):
    check_segments(run(learner, sim.PRACTICE["flat"])[1])


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Uphill the rover should still settle at its target speed: the integral term must "
       "make up for gravity.",
    fr="En montée, le rover doit quand même se stabiliser à sa vitesse cible : le terme "
       "intégral doit compenser la gravité.")
def test_uphill(learner):
    check_segments(run(learner, sim.PRACTICE["uphill"])[1])


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Over a hill (climb, then descent) the speed should stay close to the target and "
       "come back to it a few seconds after each change of slope.",
    fr="Sur une colline (montée puis descente), la vitesse doit rester proche de la cible "
       "et y revenir quelques secondes après chaque changement de pente.")
def test_hill(learner):
    log, report = run(learner, HILL)
    errors = [(t, abs(v - 2.0)) for t, v in zip(log["t"], log["speed"], strict=True)]
    assert max(e for t, e in errors if t >= 10.0) <= 0.4
    for start, end in ((21.0, 26.0), (35.0, 40.0)):
        assert max(e for t, e in errors if start <= t < end) <= sim.SETTLE_BAND
    assert report[0]["steady_error"] <= sim.STEADY_ERROR


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="With a heavy sled on a slope the motor saturates at first; the rover should still "
       "settle without a large overshoot (check your anti-windup).",
    fr="Avec un traîneau lourd en pente, le moteur sature au début ; le rover doit quand "
       "même se stabiliser sans grand dépassement (vérifiez votre anti-windup).")
def test_heavy_load(learner):
    check_segments(run(learner, HEAVY)[1])


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="When the target speed changes during the run, the rover should settle at the new "
       "target too.",
    fr="Quand la vitesse cible change en cours de route, le rover doit aussi se stabiliser "
       "à la nouvelle cible.")
def test_target_change(learner):
    check_segments(run(learner, CHANGE)[1])


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="With a noisy speed sensor the rover should still hold its speed; a large kd "
       "amplifies noise.",
    fr="Avec un capteur de vitesse bruité, le rover doit quand même tenir sa vitesse ; un "
       "grand kd amplifie le bruit.")
def test_noisy_sensor(learner):
    check_segments(run(learner, NOISY)[1], steady=NOISY_STEADY_ERROR)
