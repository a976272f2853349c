#!/usr/bin/env python3
"""Decodes Protocol Buffers values of a topic with the reference protobuf library, as a
consumer in another language would: compiles the topic's value.proto with protoc (from
grpcio-tools) and prints each message as one JSON line (proto field names).

    python3 Topics/decode_protobuf.py forecasts FILE       # FILE: varint-length-delimited values
    python3 Topics/decode_protobuf.py restock-alerts FILE

Exits 2 when the libraries are missing (pip install protobuf grpcio-tools).
"""
import importlib.util
import os
import sys
import tempfile

try:
    from google.protobuf import json_format
    from google.protobuf.internal.decoder import _DecodeVarint32
    from grpc_tools import protoc
except ImportError:
    print("decode_protobuf.py: protobuf and grpcio-tools are missing (pip install protobuf grpcio-tools)", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGES = {"forecasts": "Forecast", "restock-alerts": "RestockAlert"}


def message_class(topic):
    """The topic's value message, compiled from its value.proto."""
    out = tempfile.mkdtemp()
    folder = os.path.join(HERE, topic)
    if protoc.main(["protoc", f"-I{folder}", f"--python_out={out}", os.path.join(folder, "value.proto")]) != 0:
        sys.exit(f"decode_protobuf.py: protoc rejected {topic}/value.proto")
    spec = importlib.util.spec_from_file_location("value_pb2", os.path.join(out, "value_pb2.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, MESSAGES[topic])


def main(argv):
    if len(argv) != 3 or argv[1] not in MESSAGES:
        print(__doc__, file=sys.stderr)
        return 2
    cls = message_class(argv[1])
    data = open(argv[2], "rb").read()
    position = 0
    while position < len(data):
        size, position = _DecodeVarint32(data, position)
        message = cls()
        message.ParseFromString(data[position : position + size])
        position += size
        print(json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
