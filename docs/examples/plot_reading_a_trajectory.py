"""
Reading a trajectory with xarray
================================

Every run is an :class:`xarray.Dataset` with dimensions ``seed`` and ``step`` (a study adds
``run``, with every swept value as a coordinate). Every variable says what it is:
``long_name``, ``units`` and a ``description`` of how this family computed it.
"""

# %%
import tempfile

import xarray as xr

from bayesgrok.study.examples import tiny_study
from bayesgrok.study.runner import run_study

out = run_study(tiny_study(), tempfile.mkdtemp(), figures=False, report=False).out
ds = xr.open_dataset(out / "study.nc")
print(ds)

# %%
# What a variable means for this family:
for name in ("error", "complexity", "objective", "val_accuracy"):
    attrs = ds[name].attrs
    print(f"{name}: {attrs['long_name']} [{attrs['units']}]")
print(ds["error"].attrs["description"])

# %%
# Select by label, never by axis number: one seed, the last logged step.
print(float(ds["val_accuracy"].isel(run=0).sel(seed=1).isel(step=-1)))

# %%
# xarray draws labelled figures on its own; here validation accuracy per seed.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
ds["val_accuracy"].isel(run=0).plot.line(x="step", hue="seed", ax=ax)
ax.set_xscale("log")
