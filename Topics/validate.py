#!/usr/bin/env python3
"""Validates messages against the topic contract with the reference JSON Schema validator.

    python3 Topics/validate.py                      # every topic's examples/*.json
    python3 Topics/validate.py orders FILE.ndjson   # one JSON value per line, as skucast wrote them

Exits 1 and names each invalid message (file, line, error) when any is invalid; 2 when the
validator is missing (pip install jsonschema).
"""
import glob
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator, FormatChecker
except ImportError:
    print("validate.py: the jsonschema package is missing (pip install jsonschema)", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))


def validator(topic):
    definition = json.load(open(os.path.join(HERE, topic, "topic.json")))
    schema_file = definition.get("value", {}).get("schema") or definition["headers"]["schema"]
    schema = json.load(open(os.path.join(HERE, topic, schema_file)))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def main(argv):
    failures = 0
    checked = 0
    if len(argv) == 3:
        v = validator(argv[1])
        with open(argv[2]) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                checked += 1
                for error in v.iter_errors(json.loads(line)):
                    failures += 1
                    print(f"{argv[2]}:{number}: {error.json_path}: {error.message}")
    elif len(argv) == 1:
        for topic_file in sorted(glob.glob(os.path.join(HERE, "*", "topic.json"))):
            topic = os.path.basename(os.path.dirname(topic_file))
            v = validator(topic)
            examples = sorted(glob.glob(os.path.join(HERE, topic, "examples", "*.json")))
            if not examples:
                failures += 1
                print(f"{topic}: no examples")
            for example in examples:
                checked += 1
                for error in v.iter_errors(json.load(open(example))):
                    failures += 1
                    print(f"{example}: {error.json_path}: {error.message}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"validate.py: {checked} messages checked, {failures} errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
