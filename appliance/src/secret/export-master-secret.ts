import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { formatKeyring, type Keyring, type MasterKey, parseKeyring } from '../../../core/src/crypto/master-secret.ts'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'

/**
 * The export file: JSON `{ format: "clawback-master-secret", version: 1, kdf: scrypt params + salt,
 * iv, tag, ciphertext }`; the plaintext is the keyring (every key, current first). AES-256-GCM under
 * scrypt(passphrase) with the format header as AAD, so a wrong passphrase or an edited file fails.
 */
export const EXPORT_FORMAT = 'clawback-master-secret'
const KDF = { name: 'scrypt', N: 1 << 17, r: 8, p: 1 } as const
export const MIN_PASSPHRASE = 12

type ExportFile = {
  format: string
  version: number
  kdf: { name: string; N: number; r: number; p: number; salt: string }
  keyIds: string[]
  iv: string
  tag: string
  ciphertext: string
}

const kdf = (passphrase: string, k: ExportFile['kdf']) =>
  scryptSync(passphrase.normalize('NFC'), Buffer.from(k.salt, 'base64'), 32, {
    N: k.N,
    r: k.r,
    p: k.p,
    maxmem: 256 * 1024 * 1024,
  })
const aadOf = (f: Pick<ExportFile, 'format' | 'version' | 'kdf' | 'keyIds'>) =>
  Buffer.from(JSON.stringify([f.format, f.version, f.kdf, f.keyIds]))

/** Wraps every key of the keyring with the passphrase. Audited. @throws FORBIDDEN, INVALID_REQUEST (weak passphrase) */
export const exportMasterSecret = async (
  db: Db,
  actor: Actor,
  keyring: Keyring,
  passphrase: string,
): Promise<string> => {
  assertCan(actor, 'system.manage')
  if (passphrase.length < MIN_PASSPHRASE)
    throw new AppError('INVALID_REQUEST', `passphrase: use ${MIN_PASSPHRASE} characters or more`)
  const keys: MasterKey[] = [keyring.current, ...[...keyring.keys.values()].filter((k) => k.id !== keyring.current.id)]
  const head = {
    format: EXPORT_FORMAT,
    version: 1,
    kdf: { ...KDF, salt: randomBytes(16).toString('base64') },
    keyIds: keys.map((k) => k.id),
  }
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', kdf(passphrase, head.kdf), iv)
  c.setAAD(aadOf(head))
  const ciphertext = Buffer.concat([c.update(formatKeyring(keys), 'utf8'), c.final()])
  const file: ExportFile = {
    ...head,
    iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  }
  await db.transaction((tx) =>
    appendAudit(tx, actor, {
      action: 'master_secret.export',
      objectType: 'master_secret',
      objectId: keyring.current.id,
      after: { keyIds: head.keyIds },
    }),
  )
  return `${JSON.stringify(file, null, 2)}\n`
}

/** Opens an export file. @throws AppError INVALID_REQUEST for a corrupt file, UNAUTHENTICATED for a wrong passphrase. */
export const unwrapMasterSecret = (text: string, passphrase: string): MasterKey[] => {
  let f: ExportFile
  try {
    f = JSON.parse(text)
  } catch {
    throw new AppError('INVALID_REQUEST', 'not a master secret export file')
  }
  if (f?.format !== EXPORT_FORMAT || f.version !== 1 || f.kdf?.name !== 'scrypt')
    throw new AppError('INVALID_REQUEST', 'not a master secret export file (or an unsupported version)')
  if (f.kdf.N > 1 << 20 || f.kdf.r > 32 || f.kdf.p > 16)
    throw new AppError('INVALID_REQUEST', 'export file asks for unreasonable KDF parameters')
  let plain: string
  try {
    const d = createDecipheriv('aes-256-gcm', kdf(passphrase, f.kdf), Buffer.from(f.iv, 'base64'))
    d.setAAD(aadOf(f))
    d.setAuthTag(Buffer.from(f.tag, 'base64'))
    plain = Buffer.concat([d.update(Buffer.from(f.ciphertext, 'base64')), d.final()]).toString('utf8')
  } catch {
    throw new AppError('UNAUTHENTICATED', 'wrong passphrase, or the export file was altered')
  }
  const ring = parseKeyring(plain)
  return [ring.current, ...[...ring.keys.values()].filter((k) => k.id !== ring.current.id)]
}
