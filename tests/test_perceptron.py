"""The perceptron learns AND, OR and NAND, and cannot learn XOR."""
import pytest


def _accuracies(events):
    return [e["metrics"]["accuracy"] for e in events if e["type"] == "eval"]


@pytest.mark.parametrize("gate", ["and", "or", "nand"])
def test_linearly_separable_gates_converge(train, gate):
    summary, _, events = train(f"perceptron-{gate}")
    assert summary["metrics"]["accuracy"] == 1.0
    assert summary["metrics"]["converged"] is True
    assert "converged at epoch" in summary["message"]
    # the rule stops changing the weights once every pattern is right
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert view["kind"] == "separating_line" and len(view["data"]["points"]) == 4


@pytest.mark.parametrize("output", ["step", "sign"])
def test_xor_never_exceeds_75_percent_and_does_not_converge(train, output):
    summary, _, events = train("perceptron-xor", f"output={output}", "epochs=200")
    assert max(_accuracies(events)) <= 0.75
    assert summary["metrics"]["converged"] is False
    assert "not linearly separable" in summary["message"]


def test_perceptron_rule_is_delta_w_eta_t_minus_o_x(train):
    # one update from zero weights on AND with the pattern (1, 1), target 1, output step(0) = 1:
    # no change; the first mistake moves w by eta * (t - o) * x
    from tuidl.runner import prepare
    import torch
    from tuidl.tasks.perceptron import PerceptronTask
    task = PerceptronTask(prepare("perceptron-and", ["lr=0.5"]).config, torch.device("cpu"))
    calls = []
    task.train_step(torch.tensor([0]), lambda name: calls.append(
        (task.model.weight.grad.clone(), task.model.bias.grad.clone())))
    grad_w, grad_b = calls[0]
    # pattern (0, 0), target 0, output step(0) = 1: t - o = -1, so grad = -(t-o)x = (0, 0), bias +1
    assert grad_w.tolist() == [[0.0, 0.0]] and grad_b.tolist() == [1.0]
