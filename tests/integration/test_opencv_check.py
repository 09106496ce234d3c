"""An OpenCV without the detectors' features (OpenCV 5, or a second wheel over ours) is a clear
DependencyError naming the repair, at detector construction; the CLI exits 3 and stores nothing.

The real cv2 is used throughout; "OpenCV 5" is the real module with the dropped attribute removed
for the test (monkeypatch restores it), since installing OpenCV 5 here would break the venv.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from avas.errors import DependencyError
from avas.perception.detect_faces_haar import HaarFaceDetector
from avas.perception.detect_people_hog import HogPeopleDetector
from avas.perception.opencv_check import OPENCV_SPEC, require_opencv


def test_the_installed_opencv_has_what_the_detectors_need() -> None:
    assert require_opencv("HOGDescriptor", "CascadeClassifier") is cv2
    assert int(cv2.__version__.split(".")[0]) < 5
    HogPeopleDetector()
    HaarFaceDetector()


def test_people_detector_without_hog_names_the_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(cv2, "HOGDescriptor")
    with pytest.raises(DependencyError) as caught:
        HogPeopleDetector()
    message = str(caught.value)
    assert "HOGDescriptor" in message and OPENCV_SPEC in message and "--force-reinstall" in message
    assert caught.value.exit_code == 3


def test_face_detector_without_cascades_names_the_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(cv2, "CascadeClassifier")
    with pytest.raises(DependencyError, match=r"CascadeClassifier.*opencv-python>=4\.9,<5"):
        HaarFaceDetector()


def test_cli_ingest_exits_3_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    video = tmp_path / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=10:duration=2",
            "-pix_fmt",
            "yuv420p",
            str(video),
        ],
        check=True,
    )
    home = tmp_path / "home"
    monkeypatch.setenv("AVAS_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delattr(cv2, "HOGDescriptor")
    from avas.interfaces.cli import main

    monkeypatch.setattr(sys, "argv", ["avas", "ingest", str(video)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "HOGDescriptor" in err and "pip install --force-reinstall" in err

    monkeypatch.undo()  # the real cv2 back: the store must be readable and empty
    monkeypatch.setenv("AVAS_HOME", str(home))
    monkeypatch.setattr(sys, "argv", ["avas", "videos", "--json"])
    main()
    assert json.loads(capsys.readouterr().out) == []
