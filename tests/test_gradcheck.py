"""Central differences on functions whose gradients we know in closed form."""
import numpy as np

from grader.judge import gradcheck


def test_gradient_of_a_smooth_function():
    W = np.array([[0.3], [-1.2], [2.0]])
    f = lambda inputs: float(np.sum(np.sin(inputs["W"]) * inputs["s"]))
    numeric, rounding = gradcheck.numeric_gradient(f, {"W": W, "s": 1.5}, "W")
    assert numeric.shape == W.shape
    np.testing.assert_allclose(numeric, 1.5 * np.cos(W), rtol=1e-8, atol=1e-9)
    assert np.all(rounding < 1e-8)


def test_scalar_input_stays_a_float():
    points = gradcheck.points({"x": 2.0, "y": np.zeros(2)}, "x")
    assert [type(p["x"]) for p in points] == [float, float]
    assert points[0]["x"] > 2.0 > points[1]["x"]
    numeric, _ = gradcheck.numeric_gradient(lambda i: i["x"] ** 3, {"x": 2.0}, "x")
    assert abs(float(numeric) - 12.0) < 1e-6


def test_rounding_allowance_grows_with_the_objective():
    _, small = gradcheck.numeric_gradient(lambda i: float(i["w"][0]), {"w": np.ones(1)}, "w")
    _, large = gradcheck.numeric_gradient(lambda i: 1e6 * float(i["w"][0]), {"w": np.ones(1)}, "w")
    assert large[0] > 1e5 * small[0]


def test_a_kink_between_the_points_is_seen():
    # |w| at w = 0 has no derivative: central differences give 0, which is neither side's slope
    numeric, _ = gradcheck.numeric_gradient(lambda i: abs(float(i["w"][0])), {"w": np.zeros(1)}, "w")
    assert numeric[0] == 0.0


def test_noise_between_points_tells_float32_from_float64():
    """A smooth function in float64 has second differences of h^2 f'' (here h = 2e-6 at w = 2); the
    same function computed in float32 jumps by its rounding between points a step apart."""
    inputs = {"w": np.array([0.3, -1.2, 2.0, 0.7])}
    f64 = lambda w: float(np.sum(np.sin(w)) + 1.5)
    f32 = lambda w: float(np.sum(np.sin(w.astype(np.float32))) + np.float32(1.5))
    for f, low, high in ((f64, 0.0, 1e-11), (f32, 1e-9, 1e-5)):
        values = [f(inputs["w"])] + [f(p["w"]) for p in gradcheck.points(inputs, "w")]
        assert low < gradcheck.noise(values) < high
    # a straight line (a ReLU network off its kinks) has none at all, whatever its size
    line = [1e6 * v for v in (1.0, 1.0 + 1e-6, 1.0 - 1e-6)]
    assert gradcheck.noise(line) < 1e-15
