"""``compare_initializers --inits all``: every scheme that can initialize the
network, and LSUV, on a little real data."""

import json

import numpy as np
import pytest

import initializers
from experiments import cli, compare_initializers, datasets


def test_all_is_every_registered_scheme_and_lsuv(capsys):
    args = compare_initializers.parse_args(["--inits", "all"])
    # identity needs layers of equal size, which [784, 30, 10] has not.
    want = [n for n in initializers.names() if n != "identity"] + ["lsuv"]
    assert args.inits == want
    err = capsys.readouterr().err
    assert "--inits all: identity left out: identity: a 30 x 784 weight matrix" in err
    assert cli.init_names("all") == initializers.names()


def test_a_scheme_named_that_cannot_initialize_the_network_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        compare_initializers.parse_args(["--inits", "randn,identity"])
    assert exit_info.value.code == 2
    assert "not square" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ("lsuv,lsuv", "named twice"),
    ("lsuv,nope", "unknown initializer 'nope'"),
    (",", "at least one initializer"),
])
def test_bad_init_lists(text, message, capsys):
    with pytest.raises(SystemExit):
        compare_initializers.parse_args(["--inits", text])
    assert message in capsys.readouterr().err


def test_help_names_all_and_lsuv(capsys):
    with pytest.raises(SystemExit):
        compare_initializers.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "or all" in text and "lsuv" in text and "glorot_standard" in text


def test_lsuv_batch_is_spread_over_the_set():
    X = np.arange(50_000)[:, None]
    batch = compare_initializers.lsuv_batch(X, 1000)
    assert len(batch) == 1000 and batch[0, 0] == 0 and batch[-1, 0] == 49_950
    assert len(compare_initializers.lsuv_batch(X[:300], 1000)) == 300


def test_new_schemes_and_lsuv_train_end_to_end(tmp_path, mnist_dir, capsys):
    out = tmp_path / "out"
    argv = ["--epochs", "1", "--train-size", "500", "--seeds", "1", "--jobs", "1",
            "--inits", "sparse,lsuv", "--data-dir", str(mnist_dir),
            "--out", str(out)]
    assert compare_initializers.main(argv) == 0
    printed = capsys.readouterr().out
    assert "lsuv: layer 1: 1 iteration, Var z " in printed
    records = {p.name.split("-")[0]: json.loads(p.read_text())
               for p in (out / "runs").glob("*.json")}
    assert set(records) == {"sparse", "lsuv"}
    lsuv = records["lsuv"]
    assert lsuv["config"]["lsuv"] == {"batch": 1000, "tol": 0.1, "max_iter": 10}
    assert [layer["layer"] for layer in lsuv["lsuv"]] == [1, 2]
    assert all(abs(layer["variance"] - 1) <= 0.1 for layer in lsuv["lsuv"])
    assert "lsuv" not in records["sparse"]["config"]
    table = (out / "table.md").read_text()
    assert "`lsuv`: an orthogonal start, rescaled by `initializers.lsuv`" in table


def test_eye_wires_the_hidden_layer_to_blank_pixels(mnist_dir):
    # What docs/initializers.md says of `eye` on [784, 30, 10]: hidden unit j starts
    # reading pixel j alone, and pixels 0 to 29 are blank on every validation
    # and test image and on all but 2 of the 50,000 training images.
    training, validation, test = datasets.load("mnist", mnist_dir)
    assert not validation[0][:, :30].any() and not test[0][:, :30].any()
    assert np.count_nonzero(training[0][:, :30].any(axis=1)) == 2
