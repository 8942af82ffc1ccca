import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import { ensureSecretFile } from './secret-file.ts'

/**
 * The master secret: 256 random bits in a 0600 file, never in the database or a backup.
 * The file is a keyring: one `keyId:base64` line per key, the first line current; older lines stay
 * only while a rotation re-encrypts what they sealed.
 */
export type Keyring = { current: MasterKey; keys: Map<string, MasterKey> }
export type MasterKey = { id: string; secret: Buffer }

const keyIdOf = (secret: Buffer) => `k${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`

export const newMasterKey = (): MasterKey => {
  const secret = randomBytes(32)
  return { id: keyIdOf(secret), secret }
}

export const formatKeyring = (keys: MasterKey[]) => keys.map((k) => `${k.id}:${k.secret.toString('base64')}`).join('\n')

export const parseKeyring = (text: string): Keyring => {
  const keys: MasterKey[] = []
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [id, b64] = line.split(':')
    const secret = Buffer.from(b64 ?? '', 'base64')
    if (!id || secret.length !== 32 || keyIdOf(secret) !== id) throw new Error('master secret file is corrupt')
    keys.push({ id, secret })
  }
  if (keys.length === 0) throw new Error('master secret file is empty')
  return { current: keys[0]!, keys: new Map(keys.map((k) => [k.id, k])) }
}

/** Loads the keyring, creating a fresh 256-bit master secret (0600) on first start. */
export const loadOrCreateMasterSecret = (file: string): Keyring =>
  parseKeyring(ensureSecretFile(file, () => formatKeyring([newMasterKey()])))

/** A purpose-bound 256-bit key derived from a master key (HKDF-SHA256). */
export const deriveKey = (master: MasterKey, purpose: string): Buffer =>
  Buffer.from(hkdfSync('sha256', master.secret, Buffer.from('clawback'), Buffer.from(purpose), 32))

const VERSION = 1

/**
 * AES-256-GCM under the key derived from `master` for `purpose`. `aad` binds the ciphertext to
 * where it is stored (owner and name), so a sealed value moved to another row does not open.
 */
export const seal = (master: MasterKey, purpose: string, plaintext: Buffer, aad = ''): Buffer => {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', deriveKey(master, purpose), iv)
  cipher.setAAD(Buffer.from(aad))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
}

/** Opens what `seal` produced. Throws when the key, purpose, aad or bytes do not match. */
export const open = (master: MasterKey, purpose: string, sealed: Buffer, aad = ''): Buffer => {
  if (sealed.length < 29 || sealed[0] !== VERSION) throw new Error('sealed value has an unknown format')
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(master, purpose), sealed.subarray(1, 13))
  decipher.setAAD(Buffer.from(aad))
  decipher.setAuthTag(sealed.subarray(13, 29))
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()])
}
