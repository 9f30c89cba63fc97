"""A native app's client of the LIFF example's API: it holds the LINE credentials the LINE SDK gave it.

``python examples/liff/client.py http://127.0.0.1:5000 [user]`` (with the emulator standing in for the SDK at
LINE_EMULATOR_URL, default http://127.0.0.1:5005).
"""

from __future__ import annotations

import os
import sys

import requests


def sdk_credentials(emulator: str, user: str) -> dict[str, str]:
    """What the LINE SDK would hold after the user logged in: an access token and an ID token."""
    answer = requests.post(f"{emulator}/_emulator/liff/token", data={"user": user}, timeout=10)
    answer.raise_for_status()
    return dict(answer.json())


def main() -> None:
    """Call the site's API as a native app would, and print who the site says we are."""
    site = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    user = sys.argv[2] if len(sys.argv) > 2 else "Brown"
    credentials = sdk_credentials(os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005"), user)
    answer = requests.get(
        f"{site}/api/profile",
        headers={"Authorization": f"Bearer {credentials['access_token']}", "X-Line-Id-Token": credentials["id_token"]},
        timeout=10,
    )
    print(answer.status_code, answer.json())


if __name__ == "__main__":
    main()
