import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import tls from 'node:tls';
import { test } from 'node:test';
import WebSocket from 'ws';
import { FragcastError } from '../errors.ts';
import { startConfiguredServer } from '../../test/helpers/config.ts';
import { request } from '../../test/helpers/http.ts';
import { addLoopStream, streamReady, waitFor } from '../../test/helpers/server.ts';

/** A test CA and two certificates for 127.0.0.1 signed by it, made by openssl. */
function makeCertificates(dir: string): { ca: string; first: string; second: string } {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fragcast test CA');
  writeFileSync(`${dir}/san.ext`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['first', 'second']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'san.ext');
  }
  return { ca: readFileSync(`${dir}/ca.pem`, 'utf8'), first: 'first', second: 'second' };
}

/** The common name of the certificate the server presents to a new connection. */
function presentedName(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const name = socket.getPeerCertificate().subject.CN;
      socket.destroy();
      resolve(String(Array.isArray(name) ? name[0] : name));
    });
    socket.on('error', reject);
  });
}

// With fan-out threads too: there each thread makes its new app, and the reload waits for all of them.
for (const fanoutThreads of [0, 1]) {
  test(`listen.tls serves HTTPS and WSS; SIGHUP-style reload swaps the certificate for new connections, keeps open ones, and survives a bad file (fanout_threads ${fanoutThreads})`, async (t) => {
    const dir = mkdtempSync(`${tmpdir()}/fragcast-tls-`);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { ca } = makeCertificates(dir);
    copyFileSync(`${dir}/first.pem`, `${dir}/cert.pem`);
    copyFileSync(`${dir}/first.key`, `${dir}/key.pem`);
    const server = await startConfiguredServer(t, `listen: { tls: { cert: ${dir}/cert.pem, key: ${dir}/key.pem }, fanout_threads: ${fanoutThreads} }\nstreams: {}\n`);
    assert.equal(server.secure, true);
    const base = `https://127.0.0.1:${server.port}`;
    const health = await request(`${base}/healthz`, { ca });
    assert.equal(health.status, 200);
    await assert.rejects(request(`${base}/healthz`), /self-signed|unable to verify|certificate/i, 'a client without the CA refuses the certificate');
    assert.equal(await presentedName(server.port, ca), 'first');

    const stream = addLoopStream(server, 'cam');
    await streamReady(stream);
    const viewer = new WebSocket(`wss://127.0.0.1:${server.port}/streams/cam/ws`, { ca });
    let binaries = 0;
    viewer.on('message', (_data, isBinary) => void (isBinary && binaries++));
    await waitFor('fragments over WSS', () => binaries > 3);

    copyFileSync(`${dir}/second.pem`, `${dir}/cert.pem`);
    copyFileSync(`${dir}/second.key`, `${dir}/key.pem`);
    await server.reloadCertificates();
    assert.equal(await presentedName(server.port, ca), 'second');
    assert.equal((await request(`${base}/healthz`, { ca })).status, 200);
    const before = binaries;
    await waitFor('the open WSS viewer to keep receiving', () => binaries > before + 5);

    writeFileSync(`${dir}/cert.pem`, 'not a certificate');
    await assert.rejects(server.reloadCertificates(), (error: unknown) => error instanceof FragcastError && error.code === 'TLS_UNAVAILABLE');
    assert.equal(await presentedName(server.port, ca), 'second', 'a bad file changes nothing');
    viewer.close();
  });
}

test('fragcast does not start with TLS files it cannot use', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-tls-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCertificates(dir);
  const start = (cert: string, key: string): Promise<unknown> => startConfiguredServer(t, `listen: { tls: { cert: ${cert}, key: ${key} } }\nstreams: {}\n`);
  const refused = (pattern: RegExp) => (error: unknown) => error instanceof FragcastError && error.code === 'TLS_UNAVAILABLE' && pattern.test(error.message);
  await assert.rejects(start(`${dir}/missing.pem`, `${dir}/first.key`), refused(/ENOENT/));
  await assert.rejects(start(`${dir}/first.pem`, `${dir}/second.key`), refused(/key values mismatch/i));
});
