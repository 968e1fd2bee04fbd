"""Python binding tests of lsar-ffi: the generated `lsar_ffi` module against the host library.

Run by tests/bindings/run.sh: PYTHONPATH holds the generated module (and the .so beside it),
LSAR_TEST_SCENE the folder written by `cargo run -p lsar-ffi --example make_test_scene`.
"""

import json
import math
import os
import threading
from pathlib import Path

import pytest

import lsar_ffi as L

SCENE = Path(os.environ.get("LSAR_TEST_SCENE", "target/bindings/scene"))
META = json.loads((SCENE / "scene.json").read_text())
W, H = META["width"], META["height"]


def frame(fmt=L.PixelFormat.RGBA, rotation=L.Rotation.DEG0):
    return L.FrameInfo(width=W, height=H, format=fmt, rotation=rotation, row_stride=0,
                       uv_row_stride=0, uv_pixel_stride=0)


def priors(gps=None, fov=None):
    g = gps or META["gps"]
    return L.Priors(gps=L.GeoPosition(lat=g["lat"], lon=g["lon"], height=g["height"]),
                    gps_accuracy_m=META["gps_accuracy_m"], heading=None,
                    gravity_down_in_cam=None, fov=fov)


@pytest.fixture(scope="module")
def localizer():
    return L.Localizer.open([str(SCENE / "scene.lsarpack")], L.ModelSource.SIFT())


@pytest.fixture(scope="module")
def rgba():
    return (SCENE / "frame.rgba").read_bytes()


def angle_error(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def check_pose(loc):
    t = META["truth"]
    cam = loc.camera
    assert angle_error(cam.yaw_deg, t["yaw_deg"]) < 0.5, cam
    assert abs(cam.pitch_deg - t["pitch_deg"]) < 0.5, cam
    assert angle_error(cam.roll_deg, t["roll_deg"]) < 0.5, cam
    assert abs(cam.fov_deg - t["hfov_deg"]) < 1.0, cam
    assert len(cam.rotation) == 9 and len(loc.quaternion_wxyz) == 4
    assert loc.inliers >= 50 and 0.0 < loc.confidence <= 1.0


def test_version_and_pack_info():
    assert L.lsar_version() == "0.1.0"
    pack = L.RegionPack.open(str(SCENE / "scene.lsarpack"))
    info = pack.info()
    assert info.model_id == "sift-baseline" and info.descriptor_dim == 128
    assert info.viewpoints == 1 and info.views == 1 and info.keypoints > 100 and info.pois == 1
    b = pack.bounds()
    assert b.south < META["gps"]["lat"] < b.north and b.west < META["gps"]["lon"] < b.east
    pois = pack.pois()
    assert [p.name for p in pois] == [META["poi"]] and pois[0].prominence_m == 300.0


def test_localizes_rgba_frame_and_projects_pois(localizer, rgba):
    loc = localizer.localize(rgba, frame(), priors(), None)
    check_pose(loc)
    assert loc.solver and loc.total_ms > 0
    labels = localizer.project_pois(loc, L.OverlayOptions(max_distance_m=None, include_hidden=True,
                                                          max_labels=None))
    assert [label.name for label in labels] == [META["poi"]]
    assert 0 <= labels[0].x < W and 0 <= labels[0].y < H and len(labels[0].box_ltrb) == 4


def test_localizes_nv21_frame_with_fov_prior(localizer):
    nv21 = (SCENE / "frame.nv21").read_bytes()
    fov = L.FovPrior(hfov_deg=51.0, source=L.FovSource.EXIF)
    check_pose(localizer.localize(nv21, frame(L.PixelFormat.NV21), priors(fov=fov), None))


def test_cancellation_from_another_thread(localizer, rgba):
    token = L.CancelToken()
    token.cancel()
    with pytest.raises(L.ApiError.NotLocalized) as e:
        localizer.localize(rgba, frame(), priors(), token)
    assert e.value.reason.is_cancelled() and e.value.detail == "cancelled"
    # A token cancelled by another thread while calls run: every call ends (cancelled or not).
    token = L.CancelToken()
    results = []

    def work():
        try:
            results.append(localizer.localize(rgba, frame(), priors(), token))
        except L.ApiError.NotLocalized as err:
            results.append(err.reason)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    token.cancel()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 3 and token.is_cancelled()


def test_every_api_error_variant_is_reachable(localizer, rgba):
    with pytest.raises(L.ApiError.PackMissing) as e:
        L.Localizer.open([str(SCENE / "no-such.lsarpack")], L.ModelSource.SIFT())
    assert "no-such" not in str(e.value)  # no paths in messages
    with pytest.raises(L.ApiError.PackInvalid):
        L.RegionPack.open(str(SCENE / "damaged.lsarpack"))
    with pytest.raises(L.ApiError.ModelMismatch):
        L.Localizer.open([str(SCENE / "other-model.lsarpack")], L.ModelSource.SIFT())
    with pytest.raises(L.ApiError.NotLocalized) as e:
        localizer.localize(rgba, frame(), priors(gps={"lat": 10.0, "lon": 10.0, "height": 0.0}),
                           None)
    assert e.value.reason.is_outside_packs()
    assert e.value.detail == "no region pack covers the position"  # lsar-core's message
    assert "10.0" not in str(e.value)  # no coordinates in messages
    with pytest.raises(L.ApiError.InvalidInput):
        localizer.localize(rgba[:100], frame(), priors(), None)
    with pytest.raises(L.ApiError.InvalidInput):
        localizer.localize(rgba, frame(), priors(gps={"lat": math.nan, "lon": 7.9, "height": 0.0}),
                           None)
    with pytest.raises(L.ApiError.InvalidInput):
        L.Localizer.open([], L.ModelSource.SIFT())
    with pytest.raises(L.ApiError.Internal):
        L.test_hook_internal_error()


def test_flat_frame_is_not_localized(localizer):
    grey = bytes([128]) * (W * H)
    with pytest.raises(L.ApiError.NotLocalized) as e:
        localizer.localize(grey, frame(L.PixelFormat.GREY), priors(), None)
    assert e.value.reason.is_too_few_features()


def test_frame_crosses_without_copy(localizer, rgba):
    # CPython keeps a bytes object's data inline, `bytes.__basicsize__ - 1` bytes after the
    # object's address (`id`). The hook returns the address of the bytes Rust reads.
    inline = bytes.__basicsize__ - 1
    assert localizer.test_hook_cross(rgba, frame(), priors(), None) == id(rgba) + inline
    other = bytes(bytearray(rgba))  # equal bytes in another object
    assert localizer.test_hook_cross(other, frame(), priors(), None) == id(other) + inline
    # Only immutable `bytes` are accepted, so the binding never copies a mutable buffer.
    with pytest.raises(TypeError):
        localizer.test_hook_cross(bytearray(rgba), frame(), priors(), None)
    with pytest.raises(L.ApiError.InvalidInput):
        localizer.test_hook_cross(rgba, L.FrameInfo(width=0, height=H, format=L.PixelFormat.RGBA,
                                                    rotation=L.Rotation.DEG0, row_stride=0,
                                                    uv_row_stride=0, uv_pixel_stride=0),
                                  priors(), None)


def test_localization_record_round_trips(localizer, rgba):
    loc = localizer.localize(rgba, frame(), priors(), None)
    assert L.test_hook_echo_localization(loc) == loc
