"""polyact.torch: the module's output equals polyact's forward pass, and a noiseless network's activation
coefficients are recovered (with biases in every Linear layer), written back into the modules."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import polyact  # noqa: E402
from polyact.torch import PolyActivation, fit_activations  # noqa: E402


def network(true, bias=True, seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(4, 5, bias=bias),
        PolyActivation(2, true[0]),
        nn.Linear(5, 5, bias=bias),
        PolyActivation(1, true[1]),
        nn.Linear(5, 2, bias=bias),
    ).double()
    return model


TRUE = [[1.0, 0.6, -0.4], [0.3, -0.9]]


@pytest.mark.parametrize("bias", [False, True])
def test_module_output_equals_the_library_forward_pass(bias):
    model = network(TRUE, bias=bias)
    x = torch.rand(30, 4, dtype=torch.float64) * 2 - 1
    weights = [model[i].weight.detach().numpy() for i in (0, 2, 4)]
    biases = [model[i].bias.detach().numpy() for i in (0, 2, 4)] if bias else None
    ours = polyact.forward(weights, [2, 1], TRUE, x.numpy(), biases=biases)
    assert np.allclose(model(x).detach().numpy(), ours, atol=1e-12)
    if bias:
        # The inner bias matters: without it the outputs differ.
        plain = polyact.forward(weights, [2, 1], TRUE, x.numpy())
        assert not np.allclose(model(x).detach().numpy(), plain, atol=1e-3)


@pytest.mark.parametrize("biases", [False, True])
def test_noiseless_coefficients_are_recovered_and_written(biases):
    model = network(TRUE, bias=biases, seed=1)
    x = torch.rand(80, 4, dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        y = model(x)
        model[1].coefficients.copy_(torch.tensor([1.0, 1.0, 0.0]))
        model[3].coefficients.copy_(torch.tensor([0.0, 1.0]))
    r = fit_activations(model, x, y, loss="lsq")
    assert r.certified, r
    assert np.allclose(model[1].coefficients.detach().numpy(), TRUE[0], atol=1e-5)
    assert np.allclose(model[3].coefficients.detach().numpy(), TRUE[1], atol=1e-5)
    assert torch.allclose(model(x), y, atol=1e-5)


def test_unsupported_models_raise():
    with pytest.raises(ValueError, match="ReLU"):
        fit_activations(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)), np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="bias b_2 has 3 entries"):
        polyact.forward(
            [np.eye(2), np.ones((1, 2))], [1], [[0.0, 1.0]], np.zeros((1, 2)), biases=[np.zeros(2), np.zeros(3)]
        )
    with pytest.raises(ValueError, match="bias b_1 entry 1 is NaN"):
        polyact.forward([np.eye(2), np.ones((1, 2))], [1], [[0.0, 1.0]], np.zeros((1, 2)), biases=[[np.nan, 0], [0]])


@pytest.mark.parametrize(
    "layers",
    [
        lambda: [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)],
        lambda: [nn.Conv1d(1, 1, 1), PolyActivation(2), nn.Linear(4, 2)],
        lambda: [nn.Linear(3, 4), PolyActivation(2)],
    ],
)
def test_unsupported_layers_are_refused(layers):
    model = nn.Sequential(*layers())
    with pytest.raises(ValueError, match="Linear"):
        fit_activations(model, np.zeros((5, 3)), np.zeros((5, 2)))
