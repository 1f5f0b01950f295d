# SPDX-License-Identifier: BSL-1.0
"""Interop peer: PyJWT (Debian's python3-jwt with python3-cryptography).

Reads a job file written by tessera's interop suite, verifies tessera's
tokens (and their tampered twins), signs its own, and prints JSON results.
"""
import json
import sys

import jwt
from jwt.utils import base64url_decode

job = json.load(open(sys.argv[1], encoding="utf-8"))
results = []
for case in job["cases"]:
    alg = case["alg"]
    if alg.startswith("HS"):
        verify_key = sign_key = base64url_decode(case["secret"])
    else:
        verify_key, sign_key = case["public_pem"], case["private_pem"]
    options = dict(algorithms=[alg], audience=job["aud"], issuer=job["iss"], options={"require": ["exp"]})

    verified, error = False, None
    try:
        claims = jwt.decode(case["token"], verify_key, **options)
        verified = claims["sub"] == job["sub"] and claims["role"] == "tessera"
    except Exception as e:  # report every failure by its class name
        error = type(e).__name__
    try:
        jwt.decode(case["tampered"], verify_key, **options)
        tampered_rejected = False
    except jwt.PyJWTError:
        tampered_rejected = True

    token = jwt.encode(
        {"sub": job["sub"], "role": "pyjwt", "iss": job["iss"], "aud": job["aud"],
         "iat": job["now"], "exp": job["now"] + 600, "jti": "pyjwt-" + alg},
        sign_key, algorithm=alg, headers={"typ": "JWT"})
    results.append({"alg": alg, "verified": verified, "error": error,
                    "tampered_rejected": tampered_rejected, "token": token})
print(json.dumps({"peer": "pyjwt", "results": results}))
