import numpy as np
import pytest
import torch

from pathspace import PathspaceError
from pathspace.io import load_trajectories, save_trajectories
from pathspace.simulate import Trajectories


def _walk(n_paths=3, n_steps=50, dim=2, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=(n_paths, n_steps, dim)), axis=1)


def test_npz_roundtrip_with_dt(tmp_path):
    z = _walk()
    path = tmp_path / "a.npz"
    save_trajectories(path, Trajectories(z, dt=0.1))
    traj = load_trajectories(path)
    np.testing.assert_array_equal(traj.z, z)
    assert traj.dt == 0.1


def test_npz_single_path_with_timestamps_and_float32(tmp_path):
    z = _walk(1, 40, 2)[0].astype(np.float32)
    t = np.cumsum(np.random.default_rng(1).uniform(0.05, 0.2, size=40))
    np.savez(tmp_path / "b.npz", z=z, t=t)
    traj = load_trajectories(tmp_path / "b.npz")
    assert traj.z.dtype == np.float64 and traj.z.shape == (1, 40, 2)
    np.testing.assert_allclose(traj.transitions().dt, np.diff(t))


def test_npy_needs_dt(tmp_path):
    np.save(tmp_path / "c.npy", _walk())
    assert load_trajectories(tmp_path / "c.npy", dt=0.5).dt == 0.5
    with pytest.raises(PathspaceError, match="--dt"):
        load_trajectories(tmp_path / "c.npy")


def test_csv_with_paths_of_different_lengths(tmp_path):
    rows = ["path,t,z0,z1"]
    for p, n in [(7, 30), (9, 20)]:
        for k in range(n):
            rows.append(f"{p},{0.1 * k},{np.sin(k + p)},{np.cos(k * p)}")
    (tmp_path / "d.csv").write_text("\n".join(rows))
    traj = load_trajectories(tmp_path / "d.csv")
    assert traj.z.shape == (2, 30, 2)
    assert len(traj.transitions()) == 29 + 19


def test_gaps_are_kept_as_gaps(tmp_path):
    z = _walk(2, 30)
    z[0, 5] = np.nan
    np.savez(tmp_path / "g.npz", z=z, dt=0.1)
    traj = load_trajectories(tmp_path / "g.npz")
    assert len(traj.transitions()) == 2 * 29 - 2


def _save_npy(tmp_path, name):
    path = tmp_path / name
    with open(path, "wb") as f:  # np.save would append .npy to the name
        np.save(f, _walk())
    return path


def _save_npz(tmp_path, name):
    path = tmp_path / name
    with open(path, "wb") as f:  # np.savez would append .npz to the name
        np.savez(f, z=_walk(), dt=0.1)
    return path


def _write(tmp_path, name, **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: p / "missing.npz", "no such file"),
        (lambda p: (p / "x.txt").write_text("1") and p / "x.txt", ".npz, .npy or .csv"),
        (lambda p: _write(p, "n.npz", y=np.zeros((10, 2)), dt=1.0), "named 'z'"),
        (lambda p: _write(p, "t.npz", z=_walk(1, 3, 8)[0], dt=1.0), "transposed"),
        (lambda p: _write(p, "1d.npz", z=np.arange(10.0), dt=1.0), "(n_steps, 1)"),
        (lambda p: _write(p, "dt0.npz", z=_walk(), dt=0.0), "number > 0"),
        (lambda p: _write(p, "dtneg.npz", z=_walk(), dt=-1.0), "number > 0"),
        (lambda p: _write(p, "nodt.npz", z=_walk()), "neither"),
        (
            lambda p: _write(
                p, "tdec.npz", z=_walk(1, 5, 1)[0], t=np.array([0, 1, 2, 2, 3.0])
            ),
            "increasing",
        ),
        (lambda p: _write(p, "still.npz", z=np.ones((2, 20, 2)), dt=0.1), "never move"),
        (
            lambda p: _write(p, "str.npz", z=np.array([["a", "b"]] * 5), dt=0.1),
            "real-valued",
        ),
        (
            lambda p: _write(p, "short.npz", z=np.array([[0.0], [np.nan]]), dt=0.1),
            "at least 2 transitions",
        ),
        (
            lambda p: (p / "bad.npz").write_bytes(b"not a zip") and p / "bad.npz",
            "could not read",
        ),
        (
            lambda p: _write(p, "nan.npz", z=np.full((2, 20, 2), np.nan), dt=0.1),
            "finite states",
        ),
        (lambda p: _write(p, "sdt.npz", z=_walk(), dt="0.1"), "one positive number"),
        (lambda p: (p / "e.npz").write_bytes(b"") or p / "e.npz", "empty"),
        (lambda p: (p / "e.npy").write_bytes(b"") or p / "e.npy", "empty"),
        (lambda p: (p / "x.npy").write_bytes(b"x") and p / "x.npy", "could not read"),
        (lambda p: _write(p, "big.npz", z=_walk(), dt=1e300), "other units"),
        (lambda p: _write(p, "tiny.npz", z=_walk(), dt=1e-300), "other units"),
        (lambda p: _save_npy(p, "npy.npz"), "rename the file to .npy"),
        (lambda p: _save_npz(p, "npz.npy"), "rename the file to .npz"),
        (
            lambda p: _write(
                p, "f32off.npz", z=(0.1 * _walk() + 1e6).astype(np.float32), dt=1.0
            ),
            "rounded to steps of 0.0625",
        ),
        (
            lambda p: _write(
                p,
                "t32.npz",
                z=_walk(1, 50, 2),
                t=(1e5 + 0.01 * np.arange(50)).astype(np.float32),
            ),
            "store t as float64",
        ),
        (
            lambda p: _write(p, "many1d.npz", z=_walk(10, 50, 1)[..., 0], dt=0.1),
            r"z\[\.\.\., None\]",
        ),
    ],
)
def test_refusals_are_one_line(tmp_path, make, fragment):
    path = make(tmp_path)
    with pytest.raises(PathspaceError, match=fragment) as info:
        load_trajectories(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value) or "missing" in str(info.value)


def test_dt_disagreement_is_refused(tmp_path):
    path = _write(tmp_path, "dd.npz", z=_walk(), dt=0.1)
    with pytest.raises(PathspaceError, match="disagree|says dt"):
        load_trajectories(path, dt=0.2)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("a,b\n1,2\n", "z0, z1"),
        ("t,z0\n0,1\n1,x\n", "a number in row 3, column 'z0'"),
        ("t,z0\n0,1\n1\n", "row 3 has 1 cells"),
        ("t,z0,z0\n0,1,2\n1,2,3\n", "repeated columns"),
        ("t,z0,z2\n0,1,2\n1,2,3\n", "without gaps"),
        ("path,t,z0\n0.5,0,1\n0.5,1,2\n", "whole-number path ids"),
        ("t,z0,w\n0,1,2\n1,2,3\n", "unexpected columns"),
        ("t,z0\n0,1\n", "at least 2 samples"),
        ("z0\n1\n2\n3\n", "'t' column or a sampling interval"),
    ],
)
def test_csv_refusals(tmp_path, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PathspaceError, match=fragment):
        load_trajectories(path)


def test_csv_with_byte_order_mark_is_read(tmp_path):
    z = _walk(1, 40, 2)[0]
    lines = ["t,z0,z1"] + [f"{0.1 * k},{a},{b}" for k, (a, b) in enumerate(z)]
    path = tmp_path / "excel.csv"
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    np.testing.assert_allclose(load_trajectories(path).z[0], z)


@pytest.mark.parametrize(
    "time, fragment",
    [
        ({"dt": -1.0}, "number > 0"),
        ({"dt": 0.0}, "number > 0"),
        ({"dt": float("nan")}, "number > 0"),
        ({"dt": "fast"}, "one positive number"),
        ({"t": np.arange(40.0)[::-1]}, "increasing"),
        ({"t": np.zeros(40)}, "increasing"),
        ({"t": np.arange(39.0)}, "shape"),
    ],
)
def test_trajectories_refuse_bad_time_in_memory(time, fragment):
    with pytest.raises(PathspaceError, match=fragment) as info:
        Trajectories(_walk(1, 40, 2)[0], **time)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "z, fragment",
    [
        ([[0.0, 1.0], [1.0]], "rectangular"),
        (np.zeros((0, 5, 2)), "empty"),
        (np.full((30, 2), np.nan), "finite states"),
    ],
)
def test_trajectories_refuse_bad_states_in_memory(z, fragment):
    with pytest.raises(PathspaceError, match=fragment) as info:
        Trajectories(z, dt=0.1)
    assert "\n" not in str(info.value)


def test_trajectories_take_a_tensor_that_requires_grad():
    z = torch.randn(2, 30, 2, dtype=torch.float64, requires_grad=True)
    traj = Trajectories(z, dt=0.1)
    np.testing.assert_array_equal(traj.z, z.detach().numpy())


def test_coarse_storage_is_refused_only_when_it_matters():
    z = _walk(3, 50, 2)
    Trajectories(z.astype(np.float32), dt=0.1)  # near zero: fine
    Trajectories((10 * z).round().astype(np.int32), dt=0.1)  # steps ~10: fine
    with pytest.raises(PathspaceError, match="stored as float32"):
        Trajectories((0.1 * z + 1e6).astype(np.float32), dt=0.1)
    t = (1e3 + 0.1 * np.arange(50)).astype(np.float32)  # rounding 6e-5
    Trajectories(z, t=t)
    with pytest.raises(PathspaceError, match="store t as float64"):
        Trajectories(z, t=(1e5 + 0.01 * np.arange(50)).astype(np.float32))


def test_trajectories_refuse_a_transposed_3d_layout():
    with pytest.raises(PathspaceError, match="looks transposed") as info:
        Trajectories(_walk(4, 50, 3).swapaxes(1, 2), dt=0.1)
    assert "\n" not in str(info.value)
    assert Trajectories(_walk(4, 1, 3), dt=0.1).n_steps == 1  # snapshots pass


def test_csv_and_npz_treat_a_dt_beside_timestamps_alike(tmp_path):
    z = _walk(1, 40, 2)[0]
    lines = ["t,z0,z1"] + [f"{0.1 * k},{a},{b}" for k, (a, b) in enumerate(z)]
    (tmp_path / "t.csv").write_text("\n".join(lines))
    np.savez(tmp_path / "t.npz", z=z, t=0.1 * np.arange(40))
    for name in ("t.csv", "t.npz"):
        assert load_trajectories(tmp_path / name, dt=0.1).n_steps == 40
        with pytest.raises(PathspaceError, match="disagrees with the timestamps"):
            load_trajectories(tmp_path / name, dt=0.2)


def test_trajectories_print_their_shape_not_their_data():
    text = repr(Trajectories(_walk(3, 50, 2), dt=0.1))
    assert text == "Trajectories(n_paths=3, n_steps=50, dim=2, dt=0.1)"
