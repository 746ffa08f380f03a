#!/usr/bin/env python3
"""Signs a trust document for the tests, as docs/report-schema.md defines it.

  sign_trustdoc.py KEY.pem IN.json OUT.json

IN is the document without "signature". Its canonical bytes are what
Python's json.dumps writes with sort_keys and compact separators; `openssl
dgst -sha256 -sign KEY` signs them (DER), and OUT gets the document with the
signature in base64, written indented and unsorted, so that a reader must
recompute the canonical bytes rather than cut them from the text.
"""
import base64
import json
import subprocess
import sys


def main():
    key, src, dst = sys.argv[1:4]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    doc.pop("signature", None)
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=canon,
                         stdout=subprocess.PIPE, check=True).stdout
    signed = {"signature": base64.b64encode(sig).decode()}
    signed.update(reversed(list(doc.items())))
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(signed, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
