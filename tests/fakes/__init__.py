"""Fake native providers on 127.0.0.1 that check requests as the real APIs do.

anthropic.FakeAnthropic, google.FakeGemini, bedrock.FakeBedrock, cohere.FakeCohere; the shared
server (start/stop, .url, .requests, .queue(Reply)) is in server.py. Each module also has
builders for canned answers (`message`/`answer`) and the stream events of one (`events`).
"""
