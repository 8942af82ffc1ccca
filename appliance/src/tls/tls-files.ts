import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import forge from 'node-forge'
import { opsPaths } from '../ops/paths.ts'

/** The web certificate lives in `<data>/tls`: server.crt (leaf then chain), server.key (0600). */
export const tlsFiles = (dataDir: string) => {
  const dir = opsPaths(dataDir).tls
  return {
    dir,
    cert: path.join(dir, 'server.crt'),
    key: path.join(dir, 'server.key'),
    pendingKey: path.join(dir, 'pending.key'),
  }
}

export const writeAtomic = (file: string, text: string, mode: number) => {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  // flush: fsync'd before the rename, so a power cut leaves the old file or the new one, never an
  // empty one; the temporary name is the process's own (two roles may write at once)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode, flush: true })
  renameSync(tmp, file)
}

export const newRsaKeyPem = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

const isIp = (s: string) => /^[\d.]+$/.test(s) || s.includes(':')
export const altNames = (names: string[]) => names.map((n) => (isIp(n) ? { type: 7, ip: n } : { type: 2, value: n }))

/**
 * Creates a self-signed certificate (RSA 2048, SHA-256, 825 days, the host name, localhost and the
 * loopback addresses as SANs) the first time a web role starts with TLS; keeps an existing one.
 */
export const ensureSelfSigned = (dataDir: string, names: string[] = [hostname(), 'localhost', '127.0.0.1', '::1']) => {
  const f = tlsFiles(dataDir)
  // The api and console roles start together on a fresh appliance: each used to make its own pair,
  // and one role's key beside the other's certificate failed with "key values mismatch" (seen in
  // CI's boot test). One process makes the pair under an exclusive lock file; the others wait.
  const lock = path.join(f.dir, '.self-signed.lock')
  const deadline = Date.now() + 300_000
  for (;;) {
    if (existsSync(f.cert) && existsSync(f.key)) return { created: false, ...f }
    mkdirSync(f.dir, { recursive: true, mode: 0o700 })
    let fd: number
    try {
      fd = openSync(lock, 'wx', 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      // a lock left by a process that died making the pair (RSA under emulation takes seconds)
      const held = statSync(lock, { throwIfNoEntry: false })
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(lock, { force: true })
      if (Date.now() > deadline) throw new Error(`${lock} is held: another process is making the certificate`)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250)
      continue
    }
    try {
      if (existsSync(f.cert) && existsSync(f.key)) return { created: false, ...f }
      writeSelfSigned(f, names)
      return { created: true, ...f }
    } finally {
      closeSync(fd)
      rmSync(lock, { force: true })
    }
  }
}

const writeSelfSigned = (f: ReturnType<typeof tlsFiles>, names: string[]) => {
  const keyPem = newRsaKeyPem()
  const key = forge.pki.privateKeyFromPem(keyPem)
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 825 * 86400_000)
  const subject = [
    { name: 'commonName', value: names[0] ?? 'clawback' },
    { name: 'organizationName', value: 'Clawback appliance (self-signed)' },
  ]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames(names) },
  ])
  cert.sign(key, forge.md.sha256.create())
  writeAtomic(f.key, keyPem, 0o600)
  writeAtomic(f.cert, forge.pki.certificateToPem(cert), 0o644)
}

/** What the console shows about the installed certificate. */
export const describeCertificate = (dataDir: string) => {
  const f = tlsFiles(dataDir)
  if (!existsSync(f.cert)) return undefined
  const [leaf] = splitPem(readFileSync(f.cert, 'utf8'))
  const x = new X509Certificate(leaf!)
  return {
    subject: x.subject,
    issuer: x.issuer,
    subjectAltName: x.subjectAltName ?? '',
    validFrom: x.validFrom,
    validTo: x.validTo,
    fingerprint256: x.fingerprint256,
    isSelfSigned: x.subject === x.issuer,
  }
}

export const splitPem = (text: string) =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
