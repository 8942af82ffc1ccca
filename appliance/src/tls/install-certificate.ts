import { createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { isIP } from 'node:net'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { reloadTls } from './tls-context.ts'
import { splitPem, tlsFiles, writeAtomic } from './tls-files.ts'

export type CertificateUpload = { certificate: string; chain?: string; privateKey?: string; hostname: string }

const bad = (field: string, msg: string) => new AppError('INVALID_REQUEST', `${field}: ${msg}`, { field })

/**
 * Checks an uploaded certificate without installing it: PEM parses; the key (uploaded, or the one
 * kept from the last CSR) matches the certificate; the leaf is not a CA; the chain is in order
 * (each certificate issued and signed by the next); every certificate is valid now; the leaf covers
 * `hostname`. @throws AppError INVALID_REQUEST naming the field and the problem.
 */
export const validateCertificate = (dataDir: string, input: CertificateUpload, now = new Date()) => {
  const certs = [...splitPem(input.certificate), ...splitPem(input.chain ?? '')]
  if (certs.length === 0) throw bad('certificate', 'no PEM certificate found')
  let parsed: X509Certificate[]
  try {
    parsed = certs.map((c) => new X509Certificate(c))
  } catch {
    throw bad('certificate', 'a certificate does not parse')
  }
  const keyPem =
    input.privateKey?.trim() ||
    (existsSync(tlsFiles(dataDir).pendingKey) ? readFileSync(tlsFiles(dataDir).pendingKey, 'utf8') : '')
  if (!keyPem) throw bad('privateKey', 'no private key uploaded and no pending key from a certificate request')
  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(keyPem)
  } catch {
    throw bad('privateKey', 'the private key does not parse (encrypted keys are not supported)')
  }
  const leaf = parsed[0]!
  if (!leaf.checkPrivateKey(key)) throw bad('privateKey', 'the private key does not match the certificate')
  if (leaf.ca) throw bad('certificate', 'the first certificate is a CA certificate, not the server certificate')
  for (let i = 0; i + 1 < parsed.length; i++) {
    if (!parsed[i]!.checkIssued(parsed[i + 1]!) || !parsed[i]!.verify(parsed[i + 1]!.publicKey)) {
      throw bad(
        'chain',
        `certificate ${i + 2} did not issue certificate ${i + 1}: put the chain in order, server certificate first`,
      )
    }
  }
  for (const [i, c] of parsed.entries()) {
    if (new Date(c.validFrom) > now)
      throw bad(i ? 'chain' : 'certificate', `certificate ${i + 1} is not valid before ${c.validFrom}`)
    if (new Date(c.validTo) < now)
      throw bad(i ? 'chain' : 'certificate', `certificate ${i + 1} expired on ${c.validTo}`)
  }
  const host = input.hostname.trim()
  const covers = isIP(host) ? leaf.checkIP(host) : leaf.checkHost(host)
  if (!covers)
    throw bad('hostname', `the certificate does not cover ${host} (it names ${leaf.subjectAltName ?? leaf.subject})`)
  return { pem: `${certs.join('\n')}\n`, keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), leaf }
}

/** Validates, installs (atomic file replace) and reloads the web roles' TLS without a restart. Audited. */
export const installCertificate = async (db: Db, actor: Actor, dataDir: string, input: CertificateUpload) => {
  assertCan(actor, 'system.manage')
  const { pem, keyPem, leaf } = validateCertificate(dataDir, input)
  const f = tlsFiles(dataDir)
  writeAtomic(f.key, keyPem, 0o600)
  writeAtomic(f.cert, pem, 0o644)
  rmSync(f.pendingKey, { force: true })
  await db.transaction((tx) =>
    appendAudit(tx, actor, {
      action: 'tls.install',
      objectType: 'tls',
      objectId: leaf.fingerprint256,
      after: { subject: leaf.subject, validTo: leaf.validTo },
    }),
  )
  await reloadTls(db, dataDir)
  return { subject: leaf.subject, validTo: leaf.validTo, fingerprint256: leaf.fingerprint256 }
}
