"""The explorer's HTTP server and JSON API, in process on port 0: good and bad requests, static files.

Output shapes the API reports are checked against PyTorch's own operators
(and TensorFlow's rule for SAME, from seed 003's worked example); every
malformed, oversized or refused configuration must come back as a JSON error
with status 400 while the server keeps serving.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import torch
import torch.nn.functional as tF
from hypothesis import given
from hypothesis import strategies as st

import convscope.web.api as web_api
from convscope.web import make_server
from convscope.web.params import CAPS, OPERATORS


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    srv = make_server(0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _request(
    server: Any, method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _post(server: Any, path: str, payload: Any) -> tuple[int, dict[str, Any]]:
    status, headers, body = _request(server, "POST", path, json.dumps(payload).encode())
    assert headers["content-type"] == "application/json"
    return status, json.loads(body)


def assert_refused(server: Any, payload: Any, *words: str, path: str = "/api/explore") -> None:
    status, data = _post(server, path, payload)
    assert status == 400, data
    assert data["ok"] is False
    for word in words:
        assert word in data["error"], (word, data["error"])
    assert "Traceback" not in data["error"]


def _torch_output(op: str, sizes: tuple[int, ...], params: dict[str, Any]) -> tuple[int, ...]:
    """What PyTorch's own operator gives for a configuration of the explorer."""
    n = len(sizes)
    x = torch.zeros((1, 4, *sizes))
    get = params.get
    k = get("kernel_size")
    ks = (k,) * n if isinstance(k, int) else tuple(k or ())  # the weight's spatial shape (convolutions)
    if op in ("conv", "dilated"):
        fn = {1: tF.conv1d, 2: tF.conv2d}[n]
        out = fn(
            x,
            torch.zeros((1, 4, *ks)),
            stride=get("stride", 1),
            padding=get("padding", 0),
            dilation=get("dilation", 1),
        )
    elif op == "conv_transpose":
        fn = {1: tF.conv_transpose1d, 2: tF.conv_transpose2d}[n]
        out = fn(
            x,
            torch.zeros((4, 1, *ks)),
            stride=get("stride", 1),
            padding=get("padding", 0),
            output_padding=get("output_padding", 0),
            dilation=get("dilation", 1),
        )
    elif op == "max_pool":
        fn = {1: tF.max_pool1d, 2: tF.max_pool2d}[n]
        out = fn(
            x,
            get("kernel_size"),
            get("stride"),
            get("padding", 0),
            get("dilation", 1),
            ceil_mode=get("ceil_mode", False),
        )
    elif op == "avg_pool":
        fn = {1: tF.avg_pool1d, 2: tF.avg_pool2d}[n]
        out = fn(x, get("kernel_size"), get("stride"), get("padding", 0), ceil_mode=get("ceil_mode", False))
    elif op in ("max_unpool", "avg_unpool"):  # the size max_unpool gives for the default output_size
        fn = {1: tF.max_unpool1d, 2: tF.max_unpool2d}[n]
        out = fn(
            x, torch.zeros_like(x, dtype=torch.int64), get("kernel_size"), get("stride"), get("padding", 0)
        )
    elif op == "upsample_nearest":
        out = tF.interpolate(x, scale_factor=get("scale_factor"), mode="nearest")
    elif op == "upsample_bilinear":
        out = tF.interpolate(x, scale_factor=get("scale_factor"), mode="bilinear", align_corners=True)
    elif op == "pixel_shuffle":
        out = tF.pixel_shuffle(x, get("upscale_factor"))
    else:
        raise AssertionError(op)
    return tuple(out.shape[2:])


def _numbers(fields: dict[str, Any]) -> dict[str, Any]:
    """The page's text fields as Python values, for the torch call."""
    parsed: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("operator", "input", "convention", "values", "output_shape") or value in ("", None):
            continue
        if isinstance(value, bool):
            parsed[key] = value
        elif key == "scale_factor":
            parsed[key] = float(value)
        else:
            items = [int(v) for v in str(value).split(",")]
            parsed[key] = items[0] if len(items) == 1 else tuple(items)
    return parsed


# -- good requests ------------------------------------------------------------------
def test_schema_lists_every_operator_with_defaults(server: Any) -> None:
    status, _, body = _request(server, "GET", "/api/schema")
    data = json.loads(body)
    assert status == 200 and data["ok"] is True
    names = [o["name"] for o in data["operators"]]
    assert names == list(OPERATORS)
    groups = {o["group"] for o in data["operators"]}
    assert groups == {"convolution", "pooling", "unpooling", "up-sampling"}
    assert data["caps"]["input"] == CAPS["input"]
    for op in data["operators"]:
        assert set(op["defaults"]) <= set(data["parameters"]), op["name"]


@pytest.mark.parametrize("name", list(OPERATORS))
def test_every_operator_draws_its_defaults_and_reports_torchs_shape(server: Any, name: str) -> None:
    fields = {"operator": name, **OPERATORS[name].defaults}
    status, data = _post(server, "/api/explore", fields)
    assert status == 200, data
    sizes = tuple(int(v) for v in str(fields["input"]).split(","))
    expected = _torch_output(name, sizes, _numbers(fields))
    assert tuple(data["shape"]["output"]) == expected
    assert all("=" in axis["formula"] for axis in data["shape"]["axes"])
    animation = data["animation"]
    assert animation["count"] >= 1 and animation["frame"] == 0
    assert animation["svg"].lstrip().startswith(("<svg", "<?xml"))
    for panel in ("overlap", "rf"):
        assert ("svg" in data[panel]) != ("note" in data[panel]), (panel, data[panel])
    if name in ("conv", "conv_transpose"):
        assert data["overlap"]["svg"].lstrip().startswith(("<svg", "<?xml"))
        assert data["rf"]["svg"].lstrip().startswith(("<svg", "<?xml"))


def test_frames_step_through_the_animation(server: Any) -> None:
    fields = {"operator": "conv", "input": "4,5", "kernel_size": "3", "padding": "0"}
    status, data = _post(server, "/api/explore", fields)
    assert status == 200
    count = data["animation"]["count"]
    assert count == math.prod(_torch_output("conv", (4, 5), {"kernel_size": 3}))
    pictures = []
    for index in (0, 1, count - 1):
        status, one = _post(server, "/api/frame", {**fields, "frame": index})
        assert status == 200 and one["frame"] == index and one["count"] == count
        assert one["label"] == f"step {index + 1} / {count}" and one["last"] == count - 1
        assert (one["previous"], one["next"]) == ({0: count - 1}.get(index, index - 1), (index + 1) % count)
        pictures.append(one["svg"])
    assert len(set(pictures)) == 3  # each step draws a different footprint
    assert_refused(server, {**fields, "frame": count}, "frame", str(count), path="/api/frame")
    assert_refused(server, {**fields, "frame": "x"}, "frame", path="/api/frame")


def test_query_string_form_of_the_api(server: Any) -> None:
    status, _, body = _request(server, "GET", "/api/explore?operator=max_pool&input=6&kernel_size=2&stride=2")
    data = json.loads(body)
    assert status == 200
    assert tuple(data["shape"]["output"]) == _torch_output("max_pool", (6,), {"kernel_size": 2, "stride": 2})


def test_tensorflow_same_padding_of_seed_003(server: Any) -> None:
    """Seed 003: tf.nn.conv2d on 5x5 with a 2x2 kernel, stride 2, SAME -> 3x3, padding (0, 1) per axis."""
    fields = {
        "operator": "conv",
        "input": "5,5",
        "kernel_size": "2",
        "stride": "2",
        "padding": "same",
        "convention": "tf",
    }
    status, data = _post(server, "/api/explore", fields)
    assert status == 200, data
    assert data["shape"]["output"] == [3, 3]
    assert [axis["padding"] for axis in data["shape"]["axes"]] == [[0, 1], [0, 1]]
    assert data["shape"]["convention"] == "tf"


def test_json_numbers_and_lists_are_read_like_text(server: Any) -> None:
    as_text = {"operator": "conv_transpose", "input": "3,2", "kernel_size": "3,2", "stride": "2"}
    as_json = {"operator": "conv_transpose", "input": [3, 2], "kernel_size": [3, 2], "stride": 2}
    answers = [_post(server, "/api/explore", fields)[1]["shape"]["output"] for fields in (as_text, as_json)]
    assert (
        answers[0]
        == answers[1]
        == list(_torch_output("conv_transpose", (3, 2), {"kernel_size": (3, 2), "stride": 2}))
    )


@given(
    st.sampled_from(["conv", "max_pool", "avg_pool", "conv_transpose"]),
    st.lists(st.integers(1, 9), min_size=1, max_size=2),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2),
)
def test_random_configurations_match_torch_or_are_refused_cleanly(
    server: Any, op: str, sizes: list[int], kernel: int, stride: int, padding: int
) -> None:
    fields = {
        "operator": op,
        "input": ",".join(map(str, sizes)),
        "kernel_size": str(kernel),
        "stride": str(stride),
        "padding": str(padding),
    }
    params = _numbers(fields)
    try:
        expected: tuple[int, ...] | None = _torch_output(op, tuple(sizes), params)
    except RuntimeError:
        expected = None  # torch refuses: so must the explorer
    status, data = _post(server, "/api/explore", fields)
    if expected is None or min(expected) < 1:
        assert status == 400 and data["ok"] is False and data["error"]
    else:
        assert status == 200, (fields, data)
        assert tuple(data["shape"]["output"]) == expected
        assert data["animation"]["count"] >= 1


# -- bad requests -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"operator": "nope", "input": "5"}, ("operator", "nope")),
        ({"operator": "conv", "input": "5,a", "kernel_size": "3"}, ("input", "'a'")),
        ({"operator": "conv", "input": "", "kernel_size": "3"}, ("input",)),
        ({"operator": "conv", "input": "5,5,5", "kernel_size": "3"}, ("input", "1-d or 2-d")),
        ({"operator": "conv", "input": "0,5", "kernel_size": "3"}, ("input", "at least 1")),
        ({"operator": "conv", "input": "999", "kernel_size": "3"}, ("input=999", "too large")),
        ({"operator": "conv", "input": "5", "kernel_size": "99"}, ("kernel_size=99", "too large")),
        ({"operator": "conv", "input": "5", "kernel_size": "3", "bogus": "1"}, ("bogus",)),
        ({"operator": "conv", "input": "5", "kernel_size": "3", "stride": "2", "padding": "same"}, ("same",)),
        ({"operator": "conv", "input": "3", "kernel_size": "5"}, ("kernel",)),
        ({"operator": "conv", "input": "5", "kernel_size": "3", "convention": "keras"}, ("convention",)),
        (
            {
                "operator": "conv_transpose",
                "input": "3",
                "kernel_size": "3",
                "stride": "2",
                "output_padding": "2",
            },
            ("output_padding",),
        ),
        (
            {
                "operator": "conv_transpose",
                "input": "2,2",
                "kernel_size": "2",
                "stride": "2",
                "padding": "same",
                "convention": "tf",
                "output_shape": "9,9",
            },
            ("output_shape",),
        ),
        ({"operator": "upsample_nearest", "input": "3", "scale_factor": "nan"}, ("scale_factor",)),
        (
            {"operator": "upsample_nearest", "input": "3", "scale_factor": "1e9"},
            ("scale_factor", "too large"),
        ),
        ({"operator": "pixel_shuffle", "input": "2,2", "upscale_factor": "2,2"}, ("upscale_factor",)),
        ({"operator": "max_pool", "input": "4", "kernel_size": "2", "ceil_mode": "maybe"}, ("ceil_mode",)),
        ({"operator": "conv", "input": "5", "kernel_size": "3", "padding": "1:x"}, ("padding",)),
        ({"operator": "conv", "input": ["5", {"a": 1}], "kernel_size": "3"}, ("input",)),
    ],
)
def test_bad_parameters_are_json_errors_naming_the_field(
    server: Any, payload: dict[str, Any], words: tuple[str, ...]
) -> None:
    assert_refused(server, payload, *words)


def test_malformed_bodies_and_methods(server: Any) -> None:
    for body, word in ((b"{not json", "not JSON"), (b"[1, 2]", "JSON object"), (b"\xff\xfe", "not JSON")):
        status, _, raw = _request(server, "POST", "/api/explore", body)
        assert status == 400 and word in json.loads(raw)["error"]
    status, _, raw = _request(server, "POST", "/api/explore", b"x" * 100_000)
    assert status == 413 and json.loads(raw)["ok"] is False
    status, _, raw = _request(server, "DELETE", "/api/explore")
    assert status == 405 and json.loads(raw)["ok"] is False
    status, _, raw = _request(server, "GET", "/api/nothing")
    assert status == 404 and json.loads(raw)["ok"] is False


def test_an_unexpected_exception_is_a_400_and_the_server_keeps_serving(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(web_api.viz, "animate", broken)
    monkeypatch.setattr(web_api, "_cache", type(web_api._cache)())
    status, data = _post(server, "/api/explore", {"operator": "conv", "input": "6", "kernel_size": "2"})
    assert status == 400 and "boom" in data["error"]
    monkeypatch.undo()
    status, data = _post(server, "/api/explore", {"operator": "conv", "input": "6", "kernel_size": "2"})
    assert status == 200 and data["shape"]["output"] == [5]


# -- static files -------------------------------------------------------------------
def test_page_and_static_files_are_served_from_the_package(server: Any) -> None:
    status, headers, body = _request(server, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"/static/app.js" in body
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, body = _request(server, "GET", f"/static/{name}")
        assert status == 200 and headers["content-type"].startswith(kind) and body


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/../__init__.py",
        "/static/..%2fserver.py",
        "/static/%2e%2e/api.py",
        "/static/%2e%2e%2fapi.py",
        "/static//etc/passwd",
        "/static/..\\server.py",
        "/../../../../etc/passwd",
        "/static/../../../../../etc/passwd",
        "/static/",
        "/static/missing.js",
        "/server.py",
        "/etc/passwd",
    ],
)
def test_no_path_traversal(server: Any, path: str) -> None:
    status, _, body = _request(server, "GET", path)
    assert status == 404
    assert json.loads(body)["ok"] is False
    assert b"import" not in body and b"root:" not in body


def test_binds_loopback_only(server: Any) -> None:
    assert server.server_address[0] == "127.0.0.1"
    with pytest.raises(ValueError, match="port"):
        make_server(70000)


def test_concurrent_requests(server: Any) -> None:
    results: list[int] = []

    def ask(size: int) -> None:
        status, _ = _post(
            server, "/api/explore", {"operator": "conv", "input": f"{size},{size}", "kernel_size": "3"}
        )
        results.append(status)

    threads = [threading.Thread(target=ask, args=(4 + i % 5,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 8


_FIELD_VALUES = st.one_of(
    st.text(alphabet="0123456789,:-x. samevlidtrufoSAME", max_size=8),
    st.integers(-3, 40),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-1, 20), max_size=3),
)


@given(
    st.sampled_from(list(OPERATORS)),
    st.dictionaries(
        st.sampled_from(["input", "kernel_size", "stride", "padding", "dilation", "output_padding",
                         "ceil_mode", "scale_factor", "align_corners", "upscale_factor", "convention",
                         "output_shape", "values"]),
        _FIELD_VALUES,
    ),
)  # fmt: skip
def test_arbitrary_fields_never_break_the_server(server: Any, name: str, fields: dict[str, Any]) -> None:
    payload = {**OPERATORS[name].defaults, **fields, "operator": name}
    status, data = _post(server, "/api/explore", payload)
    assert status in (200, 400), data
    if status == 400:
        assert data["ok"] is False and data["error"] and "Traceback" not in data["error"]
        assert not data["error"].startswith("cannot draw this (")  # every refusal is a known one
    else:
        assert data["shape"]["output"] and data["animation"]["svg"]
