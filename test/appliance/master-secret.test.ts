import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportMasterSecret, unwrapMasterSecret } from '../../appliance/src/secret/export-master-secret.ts'
import { rotateMasterSecret } from '../../appliance/src/secret/rotate-master-secret.ts'
import { getCredential, putCredential } from '../../core/src/crypto/credentials.ts'
import { loadOrCreateMasterSecret, newMasterKey, seal } from '../../core/src/crypto/master-secret.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'

describe('master secret', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('export refuses a short passphrase and round-trips every key', async () => {
    await expect(exportMasterSecret(app.deps.db, SYSTEM, app.deps.keyring, 'short')).rejects.toThrow(/12 characters/)
    const text = await exportMasterSecret(app.deps.db, SYSTEM, app.deps.keyring, 'twelve chars or more')
    expect(text).not.toContain(app.deps.keyring.current.secret.toString('base64'))
    const keys = unwrapMasterSecret(text, 'twelve chars or more')
    expect(keys[0]!.secret.equals(app.deps.keyring.current.secret)).toBe(true)
    expect(() => unwrapMasterSecret(text, 'twelve chars or less')).toThrow(/wrong passphrase/)
    expect(() => unwrapMasterSecret(text.replace('"version": 1', '"version": 2'), 'twelve chars or more')).toThrow(
      /unsupported version/,
    )
    expect(() => unwrapMasterSecret('{}', 'x')).toThrow(/not a master secret export/)
  })

  it('rotation re-encrypts every credential under a new key and drops the old one', async () => {
    const { db, keyring } = app.deps
    const file = app.deps.config.masterSecretFile
    const refs = [1, 2, 3].map((i) => ({ ownerKind: 'connector', ownerId: i, name: 'password' }))
    for (const r of refs) await putCredential(db, keyring, r, `secret-${r.ownerId}`)
    const oldId = keyring.current.id
    const oldRing = loadOrCreateMasterSecret(file)
    const r = await rotateMasterSecret(db, SYSTEM, keyring, file)
    expect(r.reencrypted).toBe(3)
    expect(r.keyId).not.toBe(oldId)
    const rows = (await db.$client`SELECT DISTINCT key_id FROM credentials`) as unknown as { key_id: string }[]
    expect(rows.map((x) => x.key_id)).toEqual([r.keyId])
    const onDisk = loadOrCreateMasterSecret(file)
    expect([...onDisk.keys.keys()]).toEqual([r.keyId])
    for (const ref of refs) expect(await getCredential(db, onDisk, ref)).toBe(`secret-${ref.ownerId}`)
    await expect(getCredential(db, oldRing, refs[0]!)).rejects.toThrow(/does not hold/)
    const [audit] = (await db.$client`SELECT action FROM audit_log ORDER BY id DESC LIMIT 1`) as unknown as [
      { action: string },
    ]
    expect(audit.action).toBe('master_secret.rotate')
  })

  it('a credential under an unknown key stops the rotation and changes nothing', async () => {
    const { db, keyring } = app.deps
    const file = app.deps.config.masterSecretFile
    const stranger = newMasterKey()
    await db.$client`INSERT INTO credentials (owner_kind, owner_id, name, key_id, ciphertext) VALUES ('x', '1', 'y', ${stranger.id}, ${seal(stranger, 'credentials', Buffer.from('z'), 'x/1/y')})`
    const before = readFileSync(file, 'utf8')
    const currentBefore = keyring.current.id
    await expect(rotateMasterSecret(db, SYSTEM, keyring, file)).rejects.toThrow(/does not hold/)
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(keyring.current.id).toBe(currentBefore)
    const rows =
      (await db.$client`SELECT DISTINCT key_id FROM credentials WHERE owner_kind = 'connector'`) as unknown as {
        key_id: string
      }[]
    expect(rows.map((x) => x.key_id)).toEqual([currentBefore])
  })
})
