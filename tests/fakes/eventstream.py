"""A minimal application/vnd.amazon.eventstream encoder (botocore ships only the decoder).

Frame: total length, headers length, prelude CRC32, headers (string values), payload, and
the CRC32 of everything before it; all big-endian. https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html
"""

import json
import struct
from binascii import crc32


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    encoded = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded += struct.pack(">B", len(raw_name)) + raw_name
        encoded += struct.pack(">BH", 7, len(raw_value)) + raw_value  # 7: string
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack(">I", crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", crc32(message))


def event(name: str, data: dict) -> bytes:
    headers = {":event-type": name, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, json.dumps(data).encode())


def exception(name: str, message: str) -> bytes:
    headers = {":exception-type": name, ":content-type": "application/json"}
    headers[":message-type"] = "exception"
    return frame(headers, json.dumps({"message": message}).encode())


def corrupt(data: bytes) -> bytes:
    """The frame with one payload byte flipped: its message CRC no longer matches."""
    at = len(data) - 5
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
