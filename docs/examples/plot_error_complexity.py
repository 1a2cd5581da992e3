"""
The path through error and complexity
=====================================

The general grokking hypothesis says that a search first reaches low error at high
complexity (LEHC) and is then carried by its complexity term, along a path where the error
does not rise, into low error at low complexity (LELC), where it generalises.
:func:`bayesgrok.analysis.regions.regions` places every logged step of every seed in one of
the four regions, and the figures show the paths and when each seed was where.
"""

# %%
import tempfile
from pathlib import Path

from bayesgrok.analysis.regions import regions, regions_table
from bayesgrok.plots import plot_error_complexity, plot_region_paths, plot_region_timeline
from bayesgrok.study.runner import run_study

folder = Path(tempfile.mkdtemp())
(folder / "paths.toml").write_text("""
name = "paths_gallery"

[task]
name = "linear_sign"
seeding = "published"

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
ds = run_study(folder / "paths.toml", folder / "out", figures=False, report=False).dataset

# %%
# Error against complexity along each seed's search; markers at the validation onset.
fig = plot_error_complexity(ds)

# %%
# The four regions, and each seed's path through them. The ablation (complexity weight 0)
# reaches low error but never low complexity.
reg = regions(ds)
fig = plot_region_paths(reg)

# %%
# When each seed was in which region.
fig = plot_region_timeline(reg)

# %%
# Entry into LEHC, exit from it, and whether the seed passed through it before LELC.
print(regions_table(reg)[["run", "seed", "lehc_entry", "lehc_exit", "lehc_dwell",
                          "passed_lehc"]])
