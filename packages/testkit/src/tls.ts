import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOpenssl } from './binaries.js';
import { TlsSetupError } from './errors.js';

/**
 * PEM material of a throw-away test PKI. `ca` is what a client needs (`tls: { ca }`); `cert`/`key` are
 * the server's certificate and key (SAN `IP:127.0.0.1`, `DNS:localhost`, usable for both serverAuth and
 * clientAuth, so they also work as a client certificate when `tls-auth-clients yes` is configured).
 */
export interface TlsMaterial {
  /** CA certificate (PEM). */
  ca: string;
  /** Server certificate signed by `ca` (PEM). */
  cert: string;
  /** Private key of `cert` (PEM). */
  key: string;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = redpool-testkit
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
authorityKeyIdentifier = keyid
`;

function run(openssl: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(openssl, args, { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new TlsSetupError(`openssl ${args[0]} failed: ${String(stderr).trim() || err.message}`));
    });
  });
}

async function generate(): Promise<TlsMaterial> {
  const openssl = requireOpenssl();
  const dir = await mkdtemp(join(tmpdir(), 'redpool-testkit-tls-'));
  try {
    await writeFile(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
    const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    await run(openssl, ['genpkey', ...ec, '-out', 'ca.key'], dir);
    await run(openssl, ['genpkey', ...ec, '-out', 'server.key'], dir);
    const subj = (cn: string): string[] => ['-subj', `/CN=${cn}`];
    await run(
      openssl,
      ['req', '-config', 'openssl.cnf', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '7'].concat(
        subj('redpool-testkit-ca'),
        ['-extensions', 'ca_ext', '-out', 'ca.crt'],
      ),
      dir,
    );
    await run(
      openssl,
      ['req', '-config', 'openssl.cnf', '-new', '-key', 'server.key', '-out', 'server.csr'].concat(
        subj('localhost'),
      ),
      dir,
    );
    const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    await run(
      openssl,
      ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial]
        .concat(['-days', '7', '-sha256', '-extfile', 'openssl.cnf', '-extensions', 'server_ext'])
        .concat(['-out', 'server.crt']),
      dir,
    );
    const [ca, cert, key] = await Promise.all(
      ['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')),
    );
    return { ca: ca!, cert: cert!, key: key! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let cached: Promise<TlsMaterial> | undefined;

/**
 * A throw-away CA plus a server certificate for 127.0.0.1/localhost, generated once per process with
 * the `openssl` CLI (EC P-256, valid 7 days). Throws `OpensslNotInstalledError` when openssl is missing.
 */
export function createTlsMaterial(): Promise<TlsMaterial> {
  if (cached === undefined) {
    cached = generate();
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}
