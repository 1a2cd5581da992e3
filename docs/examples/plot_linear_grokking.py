"""
A linear model groks
====================

REFERENCE A1 (Miller et al., Fig. 1): linear regression on four features, one of which
(``sin 100x``) is spurious, trained on two points with and without its complexity term.
With the term, validation accuracy rises long after training accuracy; without it, it
does not. This is a small study (3 seeds, 3000 epochs) written from Python and run in a
few seconds.
"""

# %%
# Write a study file and run it. ``run_study`` is what ``bayesgrok run`` calls.
import tempfile
from pathlib import Path

from bayesgrok.study.runner import run_study

folder = Path(tempfile.mkdtemp())
(folder / "linear.toml").write_text("""
name = "linear_gallery"
description = "A1 with and without its complexity term"

[task]
name = "linear_sign"
seeding = "published"      # the data stream of the published code

[model]
card = "miller_linear"

[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 3000
log = { every = 10 }

[sweep]
seeds = [0, 1, 2]
grid = { "model.complexity_weight" = [1.0, 0.0] }
""")
result = run_study(folder / "linear.toml", folder / "results", figures=False, report=False)
ds = result.dataset
print(ds["val_accuracy"].dims, ds.sizes["step"], "logged steps")

# %%
# Training and validation accuracy per run, one line per seed; the dashed lines mark the
# onsets over the seeds that crossed (their count is in the label).
from bayesgrok.plots import plot_accuracy

fig = plot_accuracy(ds)

# %%
# Onsets and the grokking gap per run and seed, in epochs.
from bayesgrok.analysis import summary_table

table = summary_table(ds)
print(table.drop(columns=["run", "final_train_mse", "final_val_mse"]).to_string())
