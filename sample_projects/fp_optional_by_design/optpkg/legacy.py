"""The requests-based fetcher of the `legacy` extra; urllib3 comes with requests."""

import urllib3
import requests


def fetch(url: str) -> bytes:
    return requests.get(url, timeout=urllib3.Timeout(10)).content
