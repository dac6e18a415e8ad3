"""``foodvision serve``: a local web page where a person drops a photo and sees the answer.

The page shows the model's top classes with their probabilities and the Grad-CAM overlay
of the top class (what the model looked at). It is served by Python's own
``http.server`` (no web framework to install): ``GET /`` is the page, ``POST /predict``
takes the photo's bytes and answers JSON, ``GET /health`` answers ``ok``. It listens on
``127.0.0.1`` unless told otherwise: it is a demo for one person, not a production server
(export the model for that, see :func:`foodvision.export`).

Example:
    >>> server = ModelServer("runs/vgg/model.keras", port=0)  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:43817/'
    >>> server.serve_forever()  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.base.log import get_logger

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest photo the page accepts."""


class ModelServer:
    """Serve one saved model on a small web page.

    Args:
        model: The ``.keras`` file (saved by foodvision, so it knows its class names).
        host: Address to listen on (``127.0.0.1``: this machine only).
        port: Port; 0 picks a free one (see :attr:`url`).
        top_k: Classes shown per photo.
        tta: Test-time augmentation of the prediction (see :func:`foodvision.predict_files`).
        grad_cam: Show the Grad-CAM overlay of the top class.

    Raises:
        FileNotFoundError: No model file at ``model``.
    """

    def __init__(
        self,
        model: str | os.PathLike,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        top_k: int = 5,
        tta: Any = False,
        grad_cam: bool = True,
    ) -> None:
        from foodvision.base.shapes import model_image_size, model_num_classes
        from foodvision.interpret import default_target_layer
        from foodvision.models import load_model, model_facts
        from foodvision.models.tta import resolve_tta
        from foodvision.predict import class_names_of

        self.model_path = Path(model)
        self.model = load_model(self.model_path, safe_mode=True, compile=False)
        outputs = model_num_classes(self.model)
        size = model_image_size(self.model)
        if outputs is None or size is None:
            raise ValueError(
                "the model needs one image input of a fixed size and one (batch, classes) "
                "output to be served"
            )
        facts = model_facts(self.model)
        self.class_names = class_names_of(self.model, self.model_path, outputs)
        self.resize = facts.resize if facts is not None else "stretch"
        self.image_size = size
        self.top_k = max(1, min(int(top_k), outputs))
        self.views = resolve_tta(tta)
        self.grad_cam = grad_cam
        if grad_cam:
            try:
                default_target_layer(self.model)
            except ValueError as err:  # no convolution to look into: serve without it
                get_logger(__name__).warning("no Grad-CAM overlay: %s", err)
                self.grad_cam = False
        self._lock = threading.Lock()  # one prediction at a time on the model
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))

    @property
    def url(self) -> str:
        """The page's address."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown` (or Ctrl-C)."""
        self._server.serve_forever()

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def predict_bytes(self, data: bytes) -> dict[str, Any]:
        """The answer for one photo's bytes: ``{"top": [...], "overlay": "data:..."}``.

        Raises:
            ValueError: The bytes are not a readable image (the reason says why).
        """
        from foodvision.data.array_store import decode_file
        from foodvision.data.checks import check_images
        from foodvision.models.tta import predict_tta

        handle, name = tempfile.mkstemp(suffix=".upload")  # closed before it is read again
        try:
            with os.fdopen(handle, "wb") as upload:
                upload.write(data)
            [checked], skipped = check_images([name], decode=False)
            if checked is None:
                reason = skipped[0][1]
                raise ValueError(f"this file is not a photo the model can read: {reason}")
            try:
                image = decode_file(checked, self.image_size, self.resize)
            except OSError as err:
                raise ValueError(f"this photo cannot be decoded: {err}") from err
        finally:
            os.remove(name)
        batch = image[None].astype(np.float32)
        with self._lock:
            row = predict_tta(self.model, batch, self.views)[0]
            order = np.argsort(row)[::-1][: self.top_k]
            answer: dict[str, Any] = {
                "top": [{"class": self.class_names[i], "probability": float(row[i])} for i in order]
            }
            if self.grad_cam:
                answer["overlay"] = self._overlay(batch, int(order[0]))
        return answer

    def _overlay(self, batch: np.ndarray, class_index: int) -> str:
        from PIL import Image

        from foodvision.interpret import grad_cam, overlay_heatmap

        heatmap = grad_cam(self.model, batch, class_index=class_index)[0]
        blended = overlay_heatmap(batch[0].astype(np.uint8), heatmap)
        buffer = io.BytesIO()
        Image.fromarray(blended).save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

    def page(self) -> str:
        """The HTML of the page."""
        return PAGE.replace("{{TITLE}}", html.escape(self.model_path.name)).replace(
            "{{CLASSES}}", html.escape(", ".join(self.class_names))
        )


def _handler_for(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "foodvision"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            if self.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, "text/html; charset=utf-8", server.page().encode())
            elif self.path == "/health":
                self._send(HTTPStatus.OK, "text/plain", b"ok")
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/predict":
                self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if length <= 0:
                self._json(HTTPStatus.BAD_REQUEST, {"error": "no photo was sent"})
                return
            if length > MAX_UPLOAD_BYTES:
                self._json(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    {"error": f"the photo is over {MAX_UPLOAD_BYTES // 2**20} MB"},
                )
                return
            data = self.rfile.read(length)
            try:
                self._json(HTTPStatus.OK, server.predict_bytes(data))
            except ValueError as err:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(err)})
            except Exception as err:  # noqa: BLE001 - the page must get an answer
                get_logger(__name__).exception("prediction failed")
                message = f"the prediction failed: {type(err).__name__}: {err}"
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": message})

        def _json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            self._send(status, "application/json", json.dumps(body).encode())

        def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            get_logger(__name__).debug("%s " + format, self.address_string(), *args)

    return Handler


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>foodvision: {{TITLE}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;padding:0 1em;color:#222}
#drop{border:2px dashed #888;border-radius:10px;padding:2em;text-align:center;cursor:pointer}
#drop.over{background:#eef6ff;border-color:#36c}
.row{display:flex;align-items:center;gap:.6em;margin:.3em 0}
.name{width:12em}.bar{background:#36c;height:1em;border-radius:3px}
.pct{width:4em;text-align:right;font-variant-numeric:tabular-nums}
#images{display:flex;gap:1em;flex-wrap:wrap;margin-top:1em}
#images img{max-width:340px;border-radius:6px}
#error{color:#b00}
</style></head>
<body>
<h1>What food is this?</h1>
<p>Model <code>{{TITLE}}</code>, classes: {{CLASSES}}.</p>
<label id="drop">Drop a photo here, or click to choose one
<input id="file" type="file" accept="image/*,.heic,.heif,.avif" hidden></label>
<p id="status"></p><p id="error"></p>
<div id="result"></div>
<div id="images"><img id="photo" alt="" hidden><img id="overlay" alt="Grad-CAM" hidden></div>
<script>
const drop = document.getElementById("drop"), input = document.getElementById("file");
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", e => {
  e.preventDefault(); drop.classList.remove("over");
  if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
});
input.addEventListener("change", () => { if (input.files.length) send(input.files[0]); });
async function send(file) {
  const status = document.getElementById("status"), error = document.getElementById("error");
  const result = document.getElementById("result");
  status.textContent = "Looking at " + file.name + "..."; error.textContent = "";
  result.innerHTML = "";
  const photo = document.getElementById("photo");
  photo.src = URL.createObjectURL(file); photo.hidden = false;
  document.getElementById("overlay").hidden = true;
  try {
    const response = await fetch("predict", {method: "POST", body: file,
      headers: {"Content-Type": "application/octet-stream"}});
    const answer = await response.json();
    status.textContent = "";
    if (!response.ok) { error.textContent = answer.error; return; }
    for (const item of answer.top) {
      const row = document.createElement("div"); row.className = "row prediction";
      const name = document.createElement("span"); name.className = "name";
      name.textContent = item.class;
      const pct = document.createElement("span"); pct.className = "pct";
      pct.textContent = (100 * item.probability).toFixed(1) + " %";
      const bar = document.createElement("span"); bar.className = "bar";
      bar.style.width = Math.max(1, 300 * item.probability) + "px";
      row.append(name, pct, bar); result.append(row);
    }
    if (answer.overlay) {
      const overlay = document.getElementById("overlay");
      overlay.src = answer.overlay; overlay.hidden = false;
    }
  } catch (err) { status.textContent = ""; error.textContent = String(err); }
}
</script>
</body></html>
"""
