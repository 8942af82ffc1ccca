import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../../../test/harness/db.ts'
import { credentials } from '../db/schema/index.ts'
import { getCredential, putCredential } from './credentials.ts'
import { formatKeyring, loadOrCreateMasterSecret, newMasterKey, open, parseKeyring, seal } from './master-secret.ts'

describe('master secret', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-'))
  const file = path.join(dir, 'master.key')

  it('is created once, 256 bits, mode 0600, and stable across loads', () => {
    const a = loadOrCreateMasterSecret(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(a.current.secret.length).toBe(32)
    expect(loadOrCreateMasterSecret(file).current.id).toBe(a.current.id)
  })

  it('is created through a temporary file: none is left, and one left by a crash is no obstacle', () => {
    const other = path.join(dir, 'crash.key')
    writeFileSync(`${other}.${process.pid}.tmp`, '', { mode: 0o600 }) // what a power cut can leave
    const k = loadOrCreateMasterSecret(other)
    expect(loadOrCreateMasterSecret(other).current.id).toBe(k.current.id)
    expect(readdirSync(dir).filter((f) => f.startsWith('crash.key'))).toEqual(['crash.key'])
  })

  it('refuses a corrupt file', () => {
    const bad = path.join(dir, 'bad.key')
    writeFileSync(bad, 'kdeadbeef:AAAA\n', { mode: 0o600 })
    expect(() => loadOrCreateMasterSecret(bad)).toThrow(/corrupt/)
  })

  it('seals with AES-256-GCM bound to purpose and location', () => {
    const k = newMasterKey()
    const sealed = seal(k, 'credentials', Buffer.from('hunter2'), 'source/1/token')
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false)
    expect(open(k, 'credentials', sealed, 'source/1/token').toString()).toBe('hunter2')
    expect(() => open(k, 'credentials', sealed, 'source/2/token')).toThrow()
    expect(() => open(k, 'backups', sealed, 'source/1/token')).toThrow()
    expect(() => open(newMasterKey(), 'credentials', sealed, 'source/1/token')).toThrow()
    const tampered = Buffer.from(sealed)
    tampered[tampered.length - 1]! ^= 1
    expect(() => open(k, 'credentials', tampered, 'source/1/token')).toThrow()
  })

  it('keeps older keys in the keyring for rotation', () => {
    const older = newMasterKey()
    const current = newMasterKey()
    const ring = parseKeyring(formatKeyring([current, older]))
    expect(ring.current.id).toBe(current.id)
    expect(ring.keys.get(older.id)?.secret.equals(older.secret)).toBe(true)
  })
})

describe('credentials at rest', () => {
  let t: TestDb
  beforeAll(async () => {
    t = await createTestDb()
  })
  afterAll(() => t.drop())

  it('are stored encrypted with a key id and read back', async () => {
    const ring = parseKeyring(formatKeyring([newMasterKey()]))
    const ref = { ownerKind: 'connector', ownerId: 7, name: 'clientSecret' }
    await putCredential(t.db, ring, ref, 'top-secret-value')
    const [row] = await t.db.select().from(credentials)
    expect(row!.keyId).toBe(ring.current.id)
    expect(row!.ciphertext.toString('latin1')).not.toContain('top-secret-value')
    expect(await getCredential(t.db, ring, ref)).toBe('top-secret-value')
    await putCredential(t.db, ring, ref, 'replaced')
    expect(await getCredential(t.db, ring, ref)).toBe('replaced')
    const other = parseKeyring(formatKeyring([newMasterKey()]))
    await expect(getCredential(t.db, other, ref)).rejects.toThrow(/does not hold/)
  })
})
