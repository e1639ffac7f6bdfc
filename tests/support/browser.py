"""A real browser for the page's tests: Debian's chromium, driven through Debian's
chromedriver with Selenium (no browser is downloaded)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium(workdir: Path) -> Iterator[WebDriver]:
    """A headless chromium with a profile of its own; quit on exit."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(binary) is None:
            raise AssertionError(f"{binary} is missing: scripts/bootstrap.sh installs Debian's "
                                 "chromium and chromium-driver")
    workdir.mkdir(parents=True, exist_ok=True)
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", f"--user-data-dir={workdir / 'profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(
        CHROMEDRIVER, log_output=str(workdir / "chromedriver.log")))
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: WebDriver, url: str, user: str, password: str) -> None:
    """Sign in through the login form as a person would (any earlier session ended)."""
    driver.delete_all_cookies()
    # Then leave the page: its live refresh, sent to /login now, ends with it.
    driver.get("about:blank")
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
