import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { connect, type SecureVersion } from 'node:tls'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setAgentSettings } from '../../appliance/src/agent/agent-settings.ts'
import { startCollectionEndpoint } from '../../appliance/src/agent/collection-endpoint.ts'
import { generateCsr } from '../../appliance/src/tls/generate-csr.ts'
import { installCertificate, validateCertificate } from '../../appliance/src/tls/install-certificate.ts'
import { registerTlsServer, tlsServerOptions } from '../../appliance/src/tls/tls-context.ts'
import { describeCertificate } from '../../appliance/src/tls/tls-files.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'

type Issued = { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; pem: string; keyPem: string }
const rsa = () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString()
  return { pem, key: forge.pki.privateKeyFromPem(pem) }
}
/** A test PKI: issue(subject, issuer, options) with forge. */
const issue = (
  cn: string,
  issuer: Issued | undefined,
  o: { ca?: boolean; sans?: string[]; days?: [number, number]; publicKeyFrom?: forge.pki.rsa.PrivateKey } = {},
): Issued => {
  const { pem: keyPem, key } = rsa()
  const pub = o.publicKeyFrom ?? key
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(pub.n, pub.e)
  cert.serialNumber = `0${Math.floor(Math.random() * 1e9)}`
  const [from, to] = o.days ?? [-1, 365]
  cert.validity.notBefore = new Date(Date.now() + from * 86400_000)
  cert.validity.notAfter = new Date(Date.now() + to * 86400_000)
  cert.setSubject([{ name: 'commonName', value: cn }])
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: cn }])
  cert.setExtensions([
    { name: 'basicConstraints', cA: !!o.ca },
    ...(o.sans ? [{ name: 'subjectAltName', altNames: o.sans.map((value) => ({ type: 2, value })) }] : []),
  ])
  cert.sign(issuer?.key ?? key, forge.md.sha256.create())
  return { cert, key, pem: forge.pki.certificateToPem(cert), keyPem }
}

/** Connects with a pinned TLS version; resolves to the negotiated protocol or the error code. */
const tryTls = (port: number, version: SecureVersion) =>
  new Promise<string>((resolve) => {
    const s = connect(
      {
        host: '127.0.0.1',
        port,
        minVersion: version,
        maxVersion: version,
        rejectUnauthorized: false,
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      () => {
        const p = s.getProtocol() ?? '?'
        s.write('{"scan":"ok"}\n')
        s.once('data', (d) => {
          s.end()
          resolve(JSON.parse(String(d)).ok ? p : 'no-ack')
        })
      },
    )
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`refused:${e.code ?? e.message}`))
  })

const opensslTls11 = (port: number) =>
  new Promise<string>((resolve) => {
    // s_client prints `New, TLSv1.0, Cipher is X` for a 1.1 session; a refused one says `Cipher is (NONE)`
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'],
      { timeout: 10_000 },
      (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    )
    child.stdin?.end('')
  }).then((out) => /Cipher is [A-Z]/.test(out) && /Protocol\s*: TLSv1\.1/.test(out))

describe('TLS', () => {
  let app: TestApp
  const root = issue('Test Root CA', undefined, { ca: true, days: [-10, 3650] })
  const inter = issue('Test Intermediate', root, { ca: true, days: [-10, 1000] })
  const leaf = issue('clawback.example.test', inter, { sans: ['clawback.example.test'] })

  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('accepts a well-formed certificate, key and chain', () => {
    const ok = validateCertificate(app.dataDir, {
      certificate: leaf.pem,
      chain: inter.pem + root.pem,
      privateKey: leaf.keyPem,
      hostname: 'clawback.example.test',
    })
    expect(ok.leaf.subject).toContain('clawback.example.test')
  })

  it.each([
    [
      'a key that does not match',
      () => ({ certificate: leaf.pem, chain: inter.pem, privateKey: inter.keyPem, hostname: 'clawback.example.test' }),
      /privateKey: the private key does not match/,
    ],
    [
      'a chain out of order',
      () => ({
        certificate: leaf.pem,
        chain: root.pem + inter.pem,
        privateKey: leaf.keyPem,
        hostname: 'clawback.example.test',
      }),
      /chain: certificate 2 did not issue/,
    ],
    [
      'an expired certificate',
      () => {
        const old = issue('clawback.example.test', inter, { sans: ['clawback.example.test'], days: [-400, -5] })
        return { certificate: old.pem, chain: inter.pem, privateKey: old.keyPem, hostname: 'clawback.example.test' }
      },
      /certificate: certificate 1 expired/,
    ],
    [
      'a certificate for another host',
      () => ({ certificate: leaf.pem, chain: inter.pem, privateKey: leaf.keyPem, hostname: 'other.example.test' }),
      /hostname: the certificate does not cover other.example.test/,
    ],
    [
      'a CA certificate as the server certificate',
      () => ({ certificate: inter.pem, chain: root.pem, privateKey: inter.keyPem, hostname: 'clawback.example.test' }),
      /is a CA certificate/,
    ],
    [
      'text that is not PEM',
      () => ({ certificate: 'hello', privateKey: leaf.keyPem, hostname: 'x' }),
      /no PEM certificate/,
    ],
  ])('refuses %s', (_name, input, message) => {
    expect(() => validateCertificate(app.dataDir, input())).toThrow(message)
  })

  it('a CSR keeps its key, and the signed certificate installs without uploading a key', async () => {
    const csrPem = await generateCsr(app.deps.db, SYSTEM, app.dataDir, {
      commonName: 'console.example.test',
      organization: 'Example',
      sans: ['console.example.test', '10.0.0.5'],
    })
    const csr = forge.pki.certificationRequestFromPem(csrPem)
    expect(csr.verify()).toBe(true)
    expect(csr.subject.getField('CN').value).toBe('console.example.test')
    const signed = issue('console.example.test', inter, { sans: ['console.example.test'], publicKeyFrom: undefined })
    // sign the CSR's public key with the intermediate
    const cert = forge.pki.createCertificate()
    cert.publicKey = csr.publicKey!
    cert.serialNumber = '0abc'
    cert.validity.notBefore = new Date(Date.now() - 86400_000)
    cert.validity.notAfter = new Date(Date.now() + 90 * 86400_000)
    cert.setSubject(csr.subject.attributes)
    cert.setIssuer(inter.cert.subject.attributes)
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'console.example.test' }] },
    ])
    cert.sign(inter.key, forge.md.sha256.create())
    void signed
    const result = await installCertificate(app.deps.db, SYSTEM, app.dataDir, {
      certificate: forge.pki.certificateToPem(cert),
      chain: inter.pem,
      hostname: 'console.example.test',
    })
    expect(describeCertificate(app.dataDir)?.fingerprint256).toBe(result.fingerprint256)
  })

  it('a running HTTPS server picks a new certificate up without a restart', async () => {
    const server = createHttpsServer(await tlsServerOptions(app.deps.db, app.dataDir), (_q, r) => r.end('ok'))
    registerTlsServer(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as AddressInfo).port
    const fingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256)
          s.end()
        })
        s.on('error', reject)
      })
    const before = await fingerprint()
    const installed = await installCertificate(app.deps.db, SYSTEM, app.dataDir, {
      certificate: leaf.pem,
      chain: inter.pem,
      privateKey: leaf.keyPem,
      hostname: 'clawback.example.test',
    })
    const after = await fingerprint()
    expect(after).not.toBe(before)
    expect(after).toBe(installed.fingerprint256)
    await new Promise<void>((r) => server.close(() => r()))
  })

  it('agent endpoint: TLS 1.2 minimum by default; 1.1 only after an explicit opt-in', async () => {
    const ep = await startCollectionEndpoint({
      db: app.deps.db,
      dataDir: app.dataDir,
      host: '127.0.0.1',
      port: 0,
      log: app.deps.log,
    })
    try {
      expect(await tryTls(ep.port, 'TLSv1.3')).toBe('TLSv1.3')
      expect(await tryTls(ep.port, 'TLSv1.2')).toBe('TLSv1.2')
      const inbox = readdirSync(path.join(app.dataDir, 'agent-inbox'))
      expect(inbox).toHaveLength(2)
      expect(JSON.parse(readFileSync(path.join(app.dataDir, 'agent-inbox', inbox[0]!), 'utf8')).doc).toEqual({
        scan: 'ok',
      })
      expect(await tryTls(ep.port, 'TLSv1.1')).toMatch(/^refused/)
      expect(await tryTls(ep.port, 'TLSv1')).toMatch(/^refused/)
      expect(await opensslTls11(ep.port)).toBe(false)

      await expect(setAgentSettings(app.deps.db, SYSTEM, { tlsMinVersion: 'TLSv1.1' })).rejects.toThrow(
        /confirm allowing TLSv1.1/,
      )
      await expect(setAgentSettings(app.deps.db, SYSTEM, { smbProtocol: 'SMB1' })).rejects.toThrow(
        /confirm the SMBv1 fallback/,
      )
      await setAgentSettings(app.deps.db, SYSTEM, { tlsMinVersion: 'TLSv1.1', confirmLegacyTls: true })
      await ep.reload()
      expect(await tryTls(ep.port, 'TLSv1.1')).toBe('TLSv1.1')
      expect(await opensslTls11(ep.port)).toBe(true)
      expect(await tryTls(ep.port, 'TLSv1')).toMatch(/^refused/)

      await setAgentSettings(app.deps.db, SYSTEM, { tlsMinVersion: 'TLSv1.2' })
      await ep.reload()
      expect(await tryTls(ep.port, 'TLSv1.1')).toMatch(/^refused/)
    } finally {
      await ep.close()
    }
  })
})
