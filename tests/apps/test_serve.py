"""``foodvision serve``: the page answers over HTTP and in a real (headless) browser."""

import io
import json
import os
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from evaluation.render_report import HEADLESS_FLAGS, browser_path
from harness import tiny_random_cnn, write_image
from PIL import Image

import foodvision as fv
from foodvision.apps.serve import ModelServer

NAMES = ["apple_pie", "ramen", "sushi", "pho"]


@pytest.fixture
def served(tmp_path):
    model = tiny_random_cnn(num_classes=4, size=16)
    path = fv.save_model(model, tmp_path / "model.keras", fv.describe_model(model, NAMES))
    server = ModelServer(path, port=0, top_k=3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, path
    server.shutdown()
    thread.join(timeout=10)


def photo_bytes(seed=0, size=(40, 30)):
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (*size, 3)).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def post(url, data):
    request = urllib.request.Request(url + "predict", data=data, method="POST")
    request.add_header("Content-Type", "application/octet-stream")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_page_predicts_like_predict_files(served, tmp_path):
    server, path = served
    with urllib.request.urlopen(server.url, timeout=30) as response:
        page = response.read().decode()
    assert "Drop a photo" in page and "apple_pie, ramen, sushi, pho" in page
    data = photo_bytes()
    status, answer = post(server.url, data)
    assert status == 200
    (tmp_path / "photo.png").write_bytes(data)
    [expected] = fv.predict_files(path, [tmp_path / "photo.png"], top_k=3)
    assert [
        (row["class"], pytest.approx(row["probability"], abs=1e-5)) for row in answer["top"]
    ] == [(name, pytest.approx(p, abs=1e-5)) for name, p in expected.top]
    assert answer["overlay"].startswith("data:image/png;base64,")
    status, answer = post(server.url, b"this is not a photo")
    assert status == 400 and "not a photo the model can read" in answer["error"]
    with urllib.request.urlopen(server.url + "health", timeout=30) as response:
        assert response.read() == b"ok"


def require_browser():
    """Skip without a browser, unless ``FOODVISION_REQUIRE_BROWSER=1`` (CI) makes it a failure."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install playwright)")
    if not browser_path():
        missing.append("Chromium (e.g. apt-get install chromium)")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if os.environ.get("FOODVISION_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.slow
def test_a_person_drops_a_photo_in_a_real_browser(served, tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    server, path = served
    photo = write_image(tmp_path / "dinner.png", np.asarray(Image.open(io.BytesIO(photo_bytes(3)))))
    [expected] = fv.predict_files(path, [photo], top_k=3)
    with sync_playwright() as playwright:
        flags = [f for f in HEADLESS_FLAGS if f != "--headless"]  # Playwright adds its own
        browser = playwright.chromium.launch(executable_path=browser_path(), args=flags)
        try:
            page = browser.new_page()
            page.goto(server.url)
            page.set_input_files("#file", str(photo))
            page.wait_for_selector(".prediction", timeout=60_000)
            rows = page.locator(".prediction").all_inner_texts()
            overlay = page.get_attribute("#overlay", "src")
            assert page.is_visible("#overlay")
            page.set_input_files("#file", str(write_bad(tmp_path)))
            page.wait_for_function("document.getElementById('error').textContent.length > 0")
            error = page.inner_text("#error")
        finally:
            browser.close()
    names = [row.split()[0] for row in rows]
    assert names == [name for name, _ in expected.top]
    shown = [float(row.split()[1]) for row in rows]
    np.testing.assert_allclose(shown, [100 * p for _, p in expected.top], atol=0.051)
    assert overlay.startswith("data:image/png;base64,")
    assert "not a photo the model can read" in error


def write_bad(folder):
    path = folder / "broken.jpg"
    path.write_bytes(b"\xff\xd8 half a jpeg")
    return path
