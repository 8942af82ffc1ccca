import forge from 'node-forge'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { altNames, newRsaKeyPem, tlsFiles, writeAtomic } from './tls-files.ts'

export type CsrInput = { commonName: string; organization?: string; country?: string; sans: string[] }

/**
 * Creates a new private key (kept as `pending.key` until the signed certificate is uploaded) and a
 * PKCS#10 request with the subject and SANs. Audited. @throws FORBIDDEN, INVALID_REQUEST
 */
export const generateCsr = async (db: Db, actor: Actor, dataDir: string, input: CsrInput) => {
  assertCan(actor, 'system.manage')
  const cn = input.commonName.trim()
  if (!/^[A-Za-z0-9.*-]{1,253}$/.test(cn)) throw new AppError('INVALID_REQUEST', 'commonName: expected a host name')
  const sans = [...new Set([cn, ...input.sans.map((s) => s.trim()).filter(Boolean)])]
  for (const s of sans)
    if (!/^[A-Za-z0-9.*:-]{1,253}$/.test(s))
      throw new AppError('INVALID_REQUEST', `sans: "${s}" is not a host name or IP address`)
  if (input.country && !/^[A-Z]{2}$/.test(input.country))
    throw new AppError('INVALID_REQUEST', 'country: expected a two-letter code')
  const keyPem = newRsaKeyPem()
  const key = forge.pki.privateKeyFromPem(keyPem)
  const csr = forge.pki.createCertificationRequest()
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  csr.setSubject([
    { name: 'commonName', value: cn },
    ...(input.organization ? [{ name: 'organizationName', value: input.organization }] : []),
    ...(input.country ? [{ name: 'countryName', value: input.country }] : []),
  ])
  csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames: altNames(sans) }] }])
  csr.sign(key, forge.md.sha256.create())
  writeAtomic(tlsFiles(dataDir).pendingKey, keyPem, 0o600)
  await db.transaction((tx) =>
    appendAudit(tx, actor, { action: 'tls.csr', objectType: 'tls', objectId: cn, after: { sans } }),
  )
  return forge.pki.certificationRequestToPem(csr)
}
