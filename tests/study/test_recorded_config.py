"""The record is always true to what ran (issue 21, item 7): for every shipped study, each
run's recorded configuration rebuilds exactly the run that is trained, and no swept value
is shared between runs."""

from __future__ import annotations

import itertools

import pytest

from bayesgrok.families import make_family
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.nuts_engine import NUTSConfig
from bayesgrok.study.resolve import load_study
from bayesgrok.study.schema import studies_dir
from bayesgrok.study.suite import is_suite, load_suite
from bayesgrok.tasks import task_parameters


def _shipped_studies():
    for path in sorted(studies_dir().glob("*.toml")):
        if is_suite(path):
            yield from ((f"{path.stem}/{m.spec.name}", m) for m in load_suite(path).members)
        else:
            yield path.stem, load_study(path)


STUDIES = dict(_shipped_studies())


def _mutables(value, found):
    if isinstance(value, dict | list):
        found.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _mutables(child, found)
    return found


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_each_recorded_configuration_rebuilds_its_run(name):
    for run in STUDIES[name].runs:
        config = run.config
        model = {k: v for k, v in config["model"].items() if k not in ("card", "family")}
        assert config["model"]["family"] == run.family
        rebuilt = make_family(run.family, **model)
        assert rebuilt.config() == run.build_family().config(), run.run_id
        task = {k: v for k, v in config["task"].items() if k != "name"}
        assert config["task"]["name"] == run.task
        assert task == {**task_parameters(run.task), **run.task_params}, run.run_id
        kind = NUTSConfig if isinstance(run.search, NUTSConfig) else SearchConfig
        assert kind.model_validate(config["search"]) == run.search.model_copy(
            update={"checkpoint_every": None} if kind is SearchConfig else {}), run.run_id
        assert config["seeds"] == run.seeds


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_no_swept_value_is_shared_between_runs(name):
    runs = STUDIES[name].runs
    for a, b in itertools.combinations(runs, 2):
        mine = {id(v) for part in (a.family_params, a.task_params, a.config)
                for v in _mutables(part, [])}
        theirs = {id(v) for part in (b.family_params, b.task_params, b.config)
                  for v in _mutables(part, [])}
        assert not mine & theirs, (a.run_id, b.run_id)
