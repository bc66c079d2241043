"""Streaming answers (server-sent events): hunyuan ChatCompletions with Stream=True.

``call_sse`` sends the request (retried and checked for API errors like any
call) and returns an iterator over the events as they arrive; each event is
a dict with ``data`` (and ``event``/``id``/``retry`` when sent). Closing the
iterator early (or dropping it) closes the connection. The emulator's stand-in model echoes
the prompt back word by word.

Run: python examples/sse_streaming.py
"""

from __future__ import annotations

import json

from _support import credential, emulator_profile, example_endpoint

from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    client = CommonClient(
        "hunyuan", "2023-09-01", credential(), "ap-guangzhou", emulator_profile(endpoint)
    )
    params = {
        "Model": "hunyuan-lite",
        "Messages": [{"Role": "user", "Content": "streams arrive one event at a time"}],
        "Stream": True,
    }
    print("streaming: ", end="", flush=True)
    events = 0
    for event in client.call_sse("ChatCompletions", params):
        chunk = json.loads(event["data"])
        choice = chunk["Choices"][0]
        print(choice["Delta"]["Content"], end="", flush=True)
        events += 1
        if choice.get("FinishReason") == "stop":
            break
    print(f"\n{events} events")

    # Without Stream the same action answers once, as plain JSON.
    answer = client.call_json("ChatCompletions", {**params, "Stream": False})["Response"]
    print("not streaming:", answer["Choices"][0]["Message"]["Content"])

    # Taking only what you need is fine: dropping the iterator closes the connection.
    first = next(iter(client.call_sse("ChatCompletions", params)))
    print("first event only:", json.loads(first["data"])["Choices"][0]["Delta"]["Content"])


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
