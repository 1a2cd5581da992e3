import pytest
from pydantic import ValidationError

from bayesgrok.search.config import LogSchedule, SearchConfig
from bayesgrok.search.optimizers import OptimizerError, make_optimizer


def test_every_includes_start_and_end():
    assert LogSchedule(every=3).steps(10).tolist() == [0, 3, 6, 9, 10]


def test_log_spaced_is_increasing_unique_and_bounded():
    steps = LogSchedule(log_spaced=50).steps(1000)
    assert steps[0] == 0 and steps[-1] == 1000
    assert (steps[1:] > steps[:-1]).all()
    assert len(steps) <= 51


def test_explicit_steps_beyond_the_end_are_dropped():
    assert LogSchedule(at=[7, 2, 500]).steps(100).tolist() == [0, 2, 7, 100]


def test_default_schedule_logs_every_step():
    assert LogSchedule().steps(3).tolist() == [0, 1, 2, 3]


def test_two_schedules_at_once_are_rejected():
    with pytest.raises(ValidationError, match="one of every"):
        LogSchedule(every=2, at=[1])


def test_exactly_one_length():
    with pytest.raises(ValidationError):
        SearchConfig(steps=10, epochs=10)
    with pytest.raises(ValidationError):
        SearchConfig()


def test_epochs_to_steps_full_and_minibatch():
    assert SearchConfig(epochs=7).total_steps(n_train=50) == 7
    assert SearchConfig(epochs=2, batch_size=32).total_steps(n_train=1000) == 63
    assert SearchConfig(epochs=1, batch_size=500).batch(n_train=100) == 100


def test_unknown_search_key_rejected():
    with pytest.raises(ValidationError, match="extra"):
        SearchConfig(steps=1, learning_rate=0.1)


def test_optimizer_by_name_and_bad_arguments():
    assert make_optimizer("adamw", {"learning_rate": 1e-3, "weight_decay": 0.1})
    with pytest.raises(OptimizerError) as info:
        make_optimizer("sgd", {"learning_rat": 0.1})
    assert info.value.key == "optimizer_args.learning_rat"
    with pytest.raises(OptimizerError) as info:
        make_optimizer("no_such_optimizer")
    assert info.value.key == "optimizer"
