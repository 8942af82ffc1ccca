import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { formatKeyring, type Keyring, type MasterKey } from '../../../core/src/crypto/master-secret.ts'

/** Replaces the keyring file atomically (0600 temp file, fsync'd by writeFileSync's flush, rename). */
export const writeKeyringFile = (file: string, keys: MasterKey[]) => {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, `${formatKeyring(keys)}\n`, { mode: 0o600, flush: true })
  renameSync(tmp, file)
}

/** Makes the in-memory keyring (shared by the running process) match `keys`, first current. */
export const setKeyring = (keyring: Keyring, keys: MasterKey[]) => {
  keyring.current = keys[0]!
  keyring.keys.clear()
  for (const k of keys) keyring.keys.set(k.id, k)
}

/** What the console shows: current key id, how many keys, when the file last changed. */
export const masterSecretStatus = (file: string, keyring: Keyring) => ({
  keyId: keyring.current.id,
  keyIds: [...keyring.keys.keys()],
  file,
  changedAt: existsSync(file) ? statSync(file).mtime.toISOString() : undefined,
})
