#!/usr/bin/env python3
"""Signs a trust document for the tests, as docs/report-schema.md defines it.

  sign_trustdoc.py KEY.pem IN.json OUT.json

IN is the document without "signature". Unless IN has a "key_id", the
signing key's id is added as the collector does (hex SHA-256 of the public
key's uncompressed point: the last 65 bytes of its DER SubjectPublicKeyInfo).
Its canonical bytes are what
Python's json.dumps writes with sort_keys and compact separators; `openssl
dgst -sha256 -sign KEY` signs them (DER), and OUT gets the document with the
signature in base64, written indented and unsorted, so that a reader must
recompute the canonical bytes rather than cut them from the text.
"""
import base64
import hashlib
import json
import subprocess
import sys


def main():
    key, src, dst = sys.argv[1:4]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    doc.pop("signature", None)
    if "key_id" not in doc:
        spki = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        doc["key_id"] = hashlib.sha256(spki[-65:]).hexdigest()
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
