"""Python binding tests of lsar-ffi's Tracker: sensor frames in, poses and labels out, a fix
from the Localizer on the test scene's frame, a contradicting fix rejected with its reason.

Run by tests/bindings/run.sh (see test_lsar_ffi.py for the environment). The phone holds the
scene's true orientation; its gyro has a bias of 0.002 rad/s, its compass is 7 degrees off.
"""

import math
import os
import threading
import json
from pathlib import Path

import pytest

import lsar_ffi as L

SCENE = Path(os.environ.get("LSAR_TEST_SCENE", "target/bindings/scene"))
META = json.loads((SCENE / "scene.json").read_text())
W, H = META["width"], META["height"]
TRUTH = META["truth"]
COMPASS_BIAS_DEG = 7.0
HZ = 30.0


def angle_error(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def gravity_in_cam(pitch_deg, roll_deg):
    # Down in the camera frame for DESIGN.md's angles: (sin r cos p, cos r cos p, -sin p).
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    return L.Vec3(x=math.sin(r) * math.cos(p), y=math.cos(r) * math.cos(p), z=-math.sin(p))


def sensor_frame(k, gps=True):
    g = META["gps"]
    return L.SensorFrame(
        timestamp_s=k / HZ,
        rotation=L.RotationSample.RATE(rate=L.Vec3(x=0.0, y=0.002, z=0.0)),
        gravity_down_in_cam=gravity_in_cam(TRUTH["pitch_deg"], TRUTH["roll_deg"]),
        compass=L.HeadingPrior(yaw_deg=TRUTH["yaw_deg"] + COMPASS_BIAS_DEG, accuracy_deg=5.0)
        if k % 3 == 0 else None,
        gps=L.GpsSample(position=L.GeoPosition(lat=g["lat"], lon=g["lon"], height=g["height"]),
                        accuracy_m=META["gps_accuracy_m"]) if gps else None,
    )


@pytest.fixture(scope="module")
def localization():
    localizer = L.Localizer.open([str(SCENE / "scene.lsarpack")], L.ModelSource.SIFT())
    g = META["gps"]
    priors = L.Priors(gps=L.GeoPosition(lat=g["lat"], lon=g["lon"], height=g["height"]),
                      gps_accuracy_m=META["gps_accuracy_m"], heading=None,
                      gravity_down_in_cam=None, fov=None)
    info = L.FrameInfo(width=W, height=H, format=L.PixelFormat.RGBA, rotation=L.Rotation.DEG0,
                       row_stride=0, uv_row_stride=0, uv_pixel_stride=0)
    return localizer.localize((SCENE / "frame.rgba").read_bytes(), info, priors, None)


def test_sensor_only_then_visual_fix_then_rejected_fix(localization):
    tracker = L.Tracker(L.tracker_default_settings())
    assert tracker.mode() == L.TrackingMode.UNINITIALISED
    assert tracker.update(L.SensorFrame(timestamp_s=0.0, rotation=L.RotationSample.UNKNOWN(),
                                        gravity_down_in_cam=None, compass=None, gps=None)) is None
    k = 1
    pose = None
    while k < 60:
        pose = tracker.update(sensor_frame(k))
        k += 1
    # Sensor only: heading off by about the compass bias, a large uncertainty.
    assert pose.mode == L.TrackingMode.SENSOR_ONLY and pose.sigma_deg > 5.0
    assert abs(angle_error(pose.yaw_deg, TRUTH["yaw_deg"]) - COMPASS_BIAS_DEG) < 2.0, pose
    assert tracker.needs_fix() == L.FixRequest.NO_FIX_YET()

    # The Localizer's fix of the frame captured now arrives 0.3 s later.
    t_capture = (k - 1) / HZ
    for _ in range(9):
        tracker.update(sensor_frame(k))
        k += 1
    result = tracker.apply_localization(localization, t_capture)
    assert isinstance(result, L.FixResult.ACCEPTED), result
    assert result.correction_deg > 3.0  # the compass bias, corrected
    for _ in range(15):  # the correction is blended in over 0.3 s
        pose = tracker.update(sensor_frame(k))
        k += 1
    assert pose.mode == L.TrackingMode.VISUAL
    assert angle_error(pose.yaw_deg, TRUTH["yaw_deg"]) < 0.5, pose
    assert abs(pose.pitch_deg - TRUTH["pitch_deg"]) < 0.5 and angle_error(
        pose.roll_deg, TRUTH["roll_deg"]) < 0.5, pose
    assert len(pose.quaternion_wxyz) == 4 and len(pose.rotation) == 9
    assert len(pose.camera_center) == 3 and tracker.compass_bias_deg() > 3.0
    bias = tracker.gyro_bias()
    assert bias is not None and bias.sigma_rad_s > 0.0

    # The same fix turned 20 degrees about the vertical contradicts the track.
    q = localization.quaternion_wxyz
    half = math.radians(20.0) / 2.0
    # cam_from_world times a rotation about the world's up at the camera (ECEF):
    # rotate about the camera's "up" instead, which is -y in the camera frame.
    turn = [math.cos(half), 0.0, -math.sin(half), 0.0]
    w1, x1, y1, z1 = turn
    w2, x2, y2, z2 = q
    turned = [w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
              w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2]
    wrong = L.VisualFix(quaternion_wxyz=turned, camera_center=localization.camera.camera_center,
                        timestamp_s=(k - 2) / HZ, confidence=0.9, inliers=200)
    before = tracker.pose()
    result = tracker.apply_fix(wrong)
    assert isinstance(result, L.FixResult.REJECTED), result
    assert isinstance(result.reason, L.FixRejectionReason.CONTRADICTS_TRACK)
    assert abs(result.reason.angle_deg - 20.0) < 1.0 and "deg from the track" in result.message
    assert tracker.pose() == before
    low = L.VisualFix(quaternion_wxyz=q, camera_center=localization.camera.camera_center,
                      timestamp_s=(k - 2) / HZ, confidence=0.01, inliers=200)
    assert isinstance(tracker.apply_fix(low).reason, L.FixRejectionReason.LOW_CONFIDENCE)


def test_labels_and_errors(localization):
    tracker = L.Tracker(L.tracker_default_settings())
    assert tracker.labels(W, H, TRUTH["hfov_deg"]) == []  # uninitialised, no pack
    tracker.set_overlay_pack(str(SCENE / "scene.lsarpack"))
    for k in range(10):
        tracker.update(sensor_frame(k))
    tracker.apply_localization(localization, 9 / HZ)
    labels = []
    for k in range(10, 40):
        tracker.update(sensor_frame(k))
        labels = tracker.labels(W, H, TRUTH["hfov_deg"])
    assert [label.name for label in labels] == [META["poi"]]
    assert 0 <= labels[0].x < W and 0 <= labels[0].y < H

    # Label settings: the record's defaults are lsar-core's; a distance limit nearer than
    # the peak removes its label, the defaults bring it back once it is clear for
    # show_after_frames frames.
    assert L.LabelSettings() == L.label_default_settings() == tracker.label_settings()
    near = L.LabelSettings(max_distance_m=1.0)
    tracker.set_label_settings(near)
    assert tracker.label_settings() == near
    tracker.update(sensor_frame(40))
    assert tracker.labels(W, H, TRUTH["hfov_deg"]) == []
    tracker.set_label_settings(L.LabelSettings())
    shown = []
    for k in range(41, 41 + L.LabelSettings().show_after_frames):
        tracker.update(sensor_frame(k))
        shown.append(len(tracker.labels(W, H, TRUTH["hfov_deg"])))
    assert shown == [0] * (len(shown) - 1) + [1], shown
    with pytest.raises(L.ApiError.InvalidInput):
        tracker.set_label_settings(L.LabelSettings(min_cutoff_hz=0.0))
    assert tracker.label_settings() == L.LabelSettings()

    with pytest.raises(L.ApiError.InvalidInput):
        tracker.update(sensor_frame(5))  # time going backwards
    bad = sensor_frame(50)
    bad.rotation = L.RotationSample.DELTA(quaternion_wxyz=[1.0, 0.0, 0.0])
    with pytest.raises(L.ApiError.InvalidInput):
        tracker.update(bad)
    with pytest.raises(L.ApiError.InvalidInput):
        tracker.labels(0, H, 60.0)
    with pytest.raises(L.ApiError.PackMissing):
        tracker.set_overlay_pack(str(SCENE / "no-such.lsarpack"))
    settings = L.tracker_default_settings()
    settings.drift_budget_deg = -1.0
    with pytest.raises(L.ApiError.InvalidInput):
        L.Tracker(settings)


def test_shared_between_threads():
    tracker = L.Tracker(L.tracker_default_settings())
    seen = []

    def reader():
        for _ in range(200):
            seen.append((tracker.pose(), tracker.needs_fix(), tracker.predicted_error_deg()))

    thread = threading.Thread(target=reader)
    thread.start()
    for k in range(200):
        tracker.update(sensor_frame(k))
    thread.join(timeout=60)
    assert len(seen) == 200 and tracker.pose().mode == L.TrackingMode.SENSOR_ONLY
