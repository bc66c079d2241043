"""Stream and file logging of requests and answers, with secrets masked.

``set_stream_logger`` and ``set_file_logger`` attach handlers to the client's
own logger (a child of ``tcfunc``); ``set_default_logger`` removes them. The
library never configures your application's loggers. Debug lines show the
request and the answer with the signature, secret id and tokens replaced by
``***``.

Run: python examples/logging_example.py
"""

from __future__ import annotations

import io
import logging
import os
import tempfile

from _support import credential, emulator_profile, example_endpoint

from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    client = CommonClient(
        "cvm", "2017-03-12", credential(), "ap-guangzhou", emulator_profile(endpoint)
    )

    stream = io.StringIO()
    client.set_stream_logger(stream, logging.DEBUG, "%(levelname)s %(message)s")
    with tempfile.TemporaryDirectory() as folder:
        log_file = os.path.join(folder, "tcfunc.log")
        client.set_file_logger(log_file, logging.DEBUG)
        client.call_json("DescribeZones", {})
        client.set_default_logger()  # detach (and close) both handlers
        with open(log_file, encoding="utf-8") as handle:
            file_text = handle.read()

    text = stream.getvalue()
    print("the stream got:")
    for line in text.splitlines()[:14]:
        print(f"  | {line[:110]}")
    print(f"the file got {len(file_text.splitlines())} lines, like the stream")
    secret = credential().secret_key
    for name, logged in (("stream", text), ("file", file_text)):
        if secret in logged or credential().secret_id in logged:
            raise SystemExit(f"a secret reached the {name} log")
    print("neither log contains the secret id or key")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
