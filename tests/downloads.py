"""What a page's download buttons would hand the browser, for AppTest.

AppTest 1.67 exposes `at.download_button` (label, key), but a button whose data is a function
(built only when clicked: `on_click="ignore"`) keeps that function in the run's media file
manager, which AppTest discards after the run. `record_downloads` keeps each registered
function by its deferred file id, so that a test can build the file and check it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

Maker = Callable[[], object]


def record_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str | None, Maker]]:
    """deferred file id -> (file name, the function that builds the file)."""
    seen: dict[str, tuple[str | None, Maker]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        seen[file_id] = (file_name, data_callable)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return seen


def download(
    at: AppTest, seen: dict[str, tuple[str | None, Maker]], label: str
) -> tuple[str | None, bytes]:
    """The file name and the bytes behind the download button labelled `label`."""
    button = next(b for b in at.download_button if b.label == label)
    file_id = button.proto.deferred_file_id
    assert file_id in seen, f"{label}: not a deferred download"
    name, make = seen[file_id]
    data = make()
    assert isinstance(data, bytes), type(data)
    return name, data
