"""The explorer page end to end, in headless Chromium (Debian's ``chromium``, driven by Selenium).

The page is loaded from an in-process server on port 0; the test changes a
parameter the way a person does (typing into the field), then checks that
the output shape shown is PyTorch's and that the diagram was redrawn, that an
invalid value shows a clear message, and that stepping changes the frame. A
screenshot of the page is kept in ``test-artifacts/`` (git-ignored) as the
test's artifact.

Installed by ``scripts/test.sh`` (``apt-get install chromium chromium-driver``
when run as root; ``selenium`` is in the ``test`` extra); skipped only when
Chromium, its driver or Selenium is truly absent, and never under CI, where
``.ci/run`` sets ``CONVSCOPE_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as tF

from convscope.web import make_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
except ImportError:  # pragma: no cover - scripts/test.sh installs it
    webdriver = None
MISSING = [
    what
    for what, found in (("chromium", CHROMIUM), ("chromedriver", DRIVER), ("selenium", webdriver))
    if found is None
]
#: CI (.ci/run) sets CONVSCOPE_REQUIRE_BROWSER=1: there a missing browser is a failure, not a skip.
REQUIRED = os.environ.get("CONVSCOPE_REQUIRE_BROWSER") == "1"
pytestmark = pytest.mark.skipif(
    bool(MISSING) and not REQUIRED,
    reason=f"{', '.join(MISSING)} not installed "
    "(apt-get install chromium chromium-driver; pip install selenium)",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    assert not MISSING, f"the browser test needs {', '.join(MISSING)} (CONVSCOPE_REQUIRE_BROWSER=1)"
    from selenium.webdriver.chrome.service import Service

    server = make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # the system chromedriver, named explicitly: Selenium Manager (which may download one) never runs
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        driver.get(server.url)
        yield driver
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def _wait(what: Callable[[], Any], timeout: float = 8.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.05)


def _renders(driver: Any) -> int:
    return int(driver.execute_script("return Number(document.body.dataset.renders || 0)"))


def _type(driver: Any, name: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, f"param-{name}")
    field.clear()
    field.send_keys(text)


def _text(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def _diagram(driver: Any) -> str:
    return str(driver.execute_script("return document.getElementById('diagram').innerHTML"))


def test_page_changes_with_a_parameter_and_shows_errors(page: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = page
    _wait(lambda: _renders(driver) >= 1)
    # the default configuration: conv, 5x5 input, 3x3 kernel
    expected = tuple(tF.conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3)).shape[2:])
    assert _text(driver, "shape-output").endswith(" x ".join(map(str, expected)))
    before = _diagram(driver)
    assert "<svg" in before
    assert "<svg" in _diagram(driver) and "<svg" in driver.find_element(By.ID, "overlap").get_attribute(
        "innerHTML"
    )

    # a person changes the input size and the stride
    count = _renders(driver)
    _type(driver, "input", "7,6")
    _type(driver, "stride", "2")
    _wait(
        lambda: (
            _renders(driver) > count
            and driver.execute_script("return document.body.dataset.state") == "ready"
        )
    )
    expected = tuple(tF.conv2d(torch.zeros(1, 1, 7, 6), torch.zeros(1, 1, 3, 3), stride=2).shape[2:])
    _wait(lambda: _text(driver, "shape-output").endswith(" x ".join(map(str, expected))))
    assert "7 x 6" in _text(driver, "shape-output")
    formula = _text(driver, "formula")
    assert "H_out" in formula and f"= {expected[0]}" in formula
    after = _diagram(driver)
    assert "<svg" in after and after != before
    steps = expected[0] * expected[1]
    assert _text(driver, "frame-label") == f"step 1 / {steps}"

    # stepping asks the server for the next frame
    driver.find_element(By.ID, "next").click()
    _wait(lambda: _text(driver, "frame-label") == f"step 2 / {steps}")
    assert _diagram(driver) != after
    # and playing runs through the steps on its own
    driver.find_element(By.ID, "play").click()
    _wait(lambda: _text(driver, "frame-label") == f"step 3 / {steps}")
    driver.find_element(By.ID, "play").click()

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "explorer.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # an invalid value: a clear message on the page, from the server
    _type(driver, "kernel_size", "3,a")
    _wait(lambda: "'a'" in _text(driver, "error"))
    assert driver.find_element(By.ID, "error").is_displayed()
    assert "kernel_size: 'a' is not an integer" in _text(driver, "error")
    assert "bad" in driver.find_element(By.ID, "param-kernel_size").get_attribute("class")
    assert _text(driver, "shape-output") == "—"  # no stale shape beside an error
    _type(driver, "kernel_size", "99")
    _wait(lambda: "too large" in _text(driver, "error"))
    driver.save_screenshot(str(ARTIFACTS / "explorer-error.png"))

    # another operator: the form follows, and so does the picture
    count = _renders(driver)
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "operator")).select_by_value("conv_transpose")
    _wait(lambda: _renders(driver) > count)
    assert not driver.find_element(By.ID, "error").is_displayed()
    expected = tuple(
        tF.conv_transpose2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 3, 3), stride=2).shape[2:]
    )
    assert _text(driver, "shape-output").endswith(" x ".join(map(str, expected)))
    assert driver.find_element(By.ID, "param-output_padding").is_displayed()
