// SPDX-License-Identifier: BSL-1.0
// Interop peer: panva's jose. Reads a job file written by tessera's interop
// suite, verifies tessera's tokens (and their tampered twins), signs its own,
// and prints the results as JSON.
import * as jose from 'jose';
import { readFileSync } from 'node:fs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const c of job.cases) {
  let verifyKey;
  let signKey;
  if (c.alg.startsWith('HS')) {
    verifyKey = signKey = jose.base64url.decode(c.secret);
  } else {
    verifyKey = await jose.importSPKI(c.public_pem, c.alg);
    signKey = await jose.importPKCS8(c.private_pem, c.alg);
  }
  const options = { algorithms: [c.alg], issuer: job.iss, audience: job.aud, requiredClaims: ['exp'] };

  let verified = false;
  let error = null;
  try {
    const { payload } = await jose.jwtVerify(c.token, verifyKey, options);
    verified = payload.sub === job.sub && payload.role === 'tessera';
  } catch (e) {
    error = e.code ?? String(e);
  }
  let tamperedRejected = false;
  try {
    await jose.jwtVerify(c.tampered, verifyKey, options);
  } catch {
    tamperedRejected = true;
  }
  const token = await new jose.SignJWT({ sub: job.sub, role: 'jose' })
    .setProtectedHeader({ alg: c.alg, typ: 'JWT' })
    .setIssuer(job.iss)
    .setAudience(job.aud)
    .setIssuedAt(job.now)
    .setExpirationTime(job.now + 600)
    .setJti(`jose-${c.alg}`)
    .sign(signKey);
  results.push({ alg: c.alg, verified, error, tampered_rejected: tamperedRejected, token });
}
process.stdout.write(JSON.stringify({ peer: 'jose', results }));
