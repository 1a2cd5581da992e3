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


def test_segments_reproduce_the_omnigrok_schedule():
    """REFERENCE B1: every step below 30, every 10 below 150, then every 667; the final
    step as with the other schedules."""
    steps = LogSchedule(segments=[[0, 1], [30, 10], [150, 667]]).steps(100_000)
    omnigrok = [s for s in range(100_000)
                if s < 30 or (s < 150 and s % 10 == 0) or s % 667 == 0]
    assert steps.tolist() == [*omnigrok, 100_000]


def test_segments_count_strides_from_step_zero_and_stop_at_the_end():
    sched = LogSchedule(segments=[[0, 2], [5, 4], [13, 100]])
    assert sched.steps(300).tolist() == [0, 2, 4, 8, 12, 100, 200, 300]
    assert sched.steps(7).tolist() == [0, 2, 4, 7]
    assert LogSchedule(segments=[[0, 3]]).steps(10).tolist() == [0, 3, 6, 9, 10]


@pytest.mark.parametrize(("segments", "message"), [
    ([], "at least one"),
    ([[5, 1]], "start at step 0"),
    ([[0, 1], [30, 10], [30, 5]], "starts must increase"),
    ([[0, 1], [20, 10], [10, 5]], "starts must increase"),
    ([[0, 1], [30, 0]], "must be positive"),
    ([[0, -2]], "must be positive"),
])
def test_bad_segments_are_refused_with_a_clear_message(segments, message):
    with pytest.raises(ValidationError, match=message):
        LogSchedule(segments=segments)


def test_segments_is_one_of_the_exclusive_schedules():
    with pytest.raises(ValidationError, match="segments"):
        LogSchedule(every=2, segments=[[0, 1]])


def test_metrics_log_adds_its_steps_to_the_logged_ones():
    cfg = SearchConfig(steps=100, log={"every": 30}, metrics_log={"every": 40})
    assert cfg.metrics_steps(n_train=10).tolist() == [0, 40, 80, 100]
    assert cfg.logged_steps(n_train=10).tolist() == [0, 30, 40, 60, 80, 90, 100]
    assert SearchConfig(steps=5).metrics_steps(n_train=10).tolist() == []
    assert SearchConfig(steps=5).logged_steps(n_train=10).tolist() == [0, 1, 2, 3, 4, 5]


def test_new_keys_stay_out_of_configurations_that_do_not_use_them():
    """Recorded configurations (and so run ids and finished runs) keep their old form."""
    dumped = SearchConfig(steps=5, log={"every": 2}).model_dump(mode="json")
    assert "metrics_log" not in dumped and "segments" not in dumped["log"]
    used = SearchConfig(steps=5, log={"segments": [[0, 1]]}, metrics_log={"every": 2})
    dumped = used.model_dump(mode="json")
    assert dumped["log"]["segments"] == [[0, 1]] and dumped["metrics_log"]["every"] == 2
    assert SearchConfig(**dumped) == used
