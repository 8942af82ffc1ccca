import { generateKeyPairSync } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyUpgrade, verifyUpgrade } from '../../appliance/src/upgrade/apply-upgrade.ts'
import { buildImg } from '../../appliance/src/upgrade/img-format.ts'
import { releaseLayout } from '../../appliance/src/upgrade/release-layout.ts'
import { MIGRATIONS_DIR } from '../../core/src/db/migrate.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { tableChecksums } from './checksums.ts'

const keys = () => {
  const k = generateKeyPairSync('ed25519')
  return {
    priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

/** A release folder: package.json, the repository's migrations plus `extra`, and the public key. */
const makeRelease = (dir: string, version: string, pub: string, extra: Record<string, string> = {}) => {
  mkdirSync(path.join(dir, 'appliance', 'keys'), { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'clawback', version }))
  cpSync(MIGRATIONS_DIR, path.join(dir, 'migrations'), { recursive: true })
  for (const [name, sql] of Object.entries(extra)) writeFileSync(path.join(dir, 'migrations', name), sql)
  writeFileSync(path.join(dir, 'appliance', 'keys', 'img-signing.pub'), pub)
  writeFileSync(path.join(dir, 'core.js'), `export const version = '${version}'\n`)
}

describe('upgrade images', () => {
  let app: TestApp
  let root: string
  let work: string
  const signer = keys()
  const stranger = keys()

  const img = async (
    name: string,
    version: string,
    opts: { minVersion?: string; extra?: Record<string, string>; key?: string } = {},
  ) => {
    const src = path.join(work, `src-${name}`)
    makeRelease(src, version, signer.pub, opts.extra)
    const out = path.join(work, `${name}.img`)
    await buildImg({
      sourceDir: src,
      entries: ['package.json', 'migrations', 'appliance', 'core.js'],
      version,
      minVersion: opts.minVersion ?? '0.1.0',
      notes: `Release ${version}: faster`,
      privateKeyPem: opts.key ?? signer.priv,
      out,
    })
    return out
  }
  const base = () => ({
    root,
    databaseUrl: app.testDb.url,
    dataDir: app.dataDir,
    keyring: app.deps.keyring,
    actor: SYSTEM,
  })
  let auditMax = 0
  /** Every table's checksum; audit rows written by the upgrade itself (backup, rollback) are left out. */
  const state = async (isFirst = true) => {
    if (isFirst)
      auditMax = Number(
        ((await app.deps.db.$client`SELECT coalesce(max(id), 0) AS m FROM audit_log`) as unknown as [{ m: string }])[0]
          .m,
      )
    return tableChecksums(app.deps.db.$client, auditMax)
  }

  beforeAll(async () => {
    app = await startTestApp()
    work = mkdtempSync(path.join(tmpdir(), 'cb-img-'))
    root = path.join(work, 'root')
    const layout = releaseLayout(root)
    makeRelease(layout.releaseDir('0.1.0'), '0.1.0', signer.pub)
    layout.switchTo('0.1.0')
    await app.deps.db.$client`INSERT INTO incidents (summary) SELECT 'i' || g FROM generate_series(1, 50) g`
  })
  afterAll(async () => {
    await app?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('refuses unsigned-by-us, tampered, downgrade and too-big images before changing anything', async () => {
    const good = await img('good-check', '0.2.0')
    expect(verifyUpgrade({ file: good, root }).manifest.notes).toMatch(/faster/)

    const wrongKey = await img('wrong-key', '0.2.0', { key: stranger.priv })
    expect(() => verifyUpgrade({ file: wrongKey, root })).toThrow(/signature is not valid/)

    const tampered = path.join(work, 'tampered.img')
    const raw = readFileSync(good)
    const i = raw.lastIndexOf(Buffer.from("export const version = '0.2.0'"))
    raw[i + 7] = 'X'.charCodeAt(0)
    writeFileSync(tampered, raw)
    expect(() => verifyUpgrade({ file: tampered, root })).toThrow(/core.js was altered/)

    const unsigned = path.join(work, 'unsigned.img')
    const mlen = raw.readUInt32BE(15)
    const sigAt = 15 + 4 + mlen
    writeFileSync(
      unsigned,
      Buffer.concat([raw.subarray(0, sigAt), Buffer.alloc(4), raw.subarray(sigAt + 4 + raw.readUInt32BE(sigAt))]),
    )
    expect(() => verifyUpgrade({ file: unsigned, root })).toThrow(/not signed/)

    writeFileSync(path.join(work, 'junk.img'), 'hello')
    expect(() => verifyUpgrade({ file: path.join(work, 'junk.img'), root })).toThrow(/not a Clawback upgrade image/)

    const older = await img('older', '0.0.9')
    expect(() => verifyUpgrade({ file: older, root })).toThrow(/downgrades are refused/)
    const same = await img('same', '0.1.0')
    expect(() => verifyUpgrade({ file: same, root })).toThrow(/not newer/)
    const needsNewer = await img('min', '0.3.0', { minVersion: '0.2.5' })
    expect(() => verifyUpgrade({ file: needsNewer, root })).toThrow(/upgrades from 0.2.5/)

    // An image without a key for the next upgrade would strand the appliance on that release.
    const keyless = path.join(work, 'src-keyless')
    makeRelease(keyless, '0.2.0', signer.pub)
    rmSync(path.join(keyless, 'appliance', 'keys'), { recursive: true })
    await buildImg({
      sourceDir: keyless,
      entries: ['package.json', 'migrations', 'core.js'],
      version: '0.2.0',
      minVersion: '0.1.0',
      notes: 'no key',
      privateKeyPem: signer.priv,
      out: path.join(work, 'keyless.img'),
    })
    expect(() => verifyUpgrade({ file: path.join(work, 'keyless.img'), root })).toThrow(
      /ships no appliance\/keys\/img-signing.pub/,
    )
    // A key added by the builder (build:img ships one always) is signed and checked like any file.
    await buildImg({
      sourceDir: keyless,
      entries: ['package.json', 'migrations', 'core.js'],
      version: '0.2.0',
      minVersion: '0.1.0',
      notes: 'key added',
      privateKeyPem: signer.priv,
      out: path.join(work, 'key-added.img'),
      extra: { 'appliance/keys/img-signing.pub': Buffer.from(stranger.pub) },
    })
    expect(verifyUpgrade({ file: path.join(work, 'key-added.img'), root }).manifest.notes).toBe('key added')

    const before = await state()
    await expect(applyUpgrade({ ...base(), file: good, freeBytes: () => 1024 * 1024 })).rejects.toThrow(
      /not enough free space/,
    )
    await expect(applyUpgrade({ ...base(), file: wrongKey })).rejects.toThrow(/signature/)
    expect(releaseLayout(root).currentVersion()).toBe('0.1.0')
    expect(existsSync(releaseLayout(root).releaseDir('0.2.0'))).toBe(false)
    expect(await state(false)).toEqual(before)
  })

  it('a failing migration rolls back: previous release current, data intact', async () => {
    const bad = await img('bad-migration', '0.2.0', {
      extra: {
        '9001_ok.sql': 'CREATE TABLE upgrade_probe (id int);',
        '9002_bad.sql': 'ALTER TABLE no_such_table ADD COLUMN x int;',
      },
    })
    const before = await state()
    await expect(applyUpgrade({ ...base(), file: bad })).rejects.toThrow(/rolled back.*no_such_table/)
    expect(releaseLayout(root).currentVersion()).toBe('0.1.0')
    expect(existsSync(releaseLayout(root).releaseDir('0.2.0'))).toBe(false)
    expect(await state(false)).toEqual(before)
    const [{ t }] = (await app.deps.db.$client`SELECT to_regclass('public.upgrade_probe')::text AS t`) as unknown as [
      { t: string | null },
    ]
    expect(t).toBeNull()
  })

  it('a failing health check rolls back to the previous release and the pre-upgrade backup', async () => {
    const next = await img('health', '0.2.0', { extra: { '9001_add.sql': 'CREATE TABLE upgrade_probe (id int);' } })
    const before = await state()
    await expect(
      applyUpgrade({
        ...base(),
        file: next,
        healthCheck: async () => {
          throw new Error('readyz answered 503')
        },
      }),
    ).rejects.toThrow(/rolled back: readyz answered 503/)
    expect(releaseLayout(root).currentVersion()).toBe('0.1.0')
    expect(await state(false)).toEqual(before)
    const [{ t }] = (await app.deps.db.$client`SELECT to_regclass('public.upgrade_probe')::text AS t`) as unknown as [
      { t: string | null },
    ]
    expect(t).toBeNull()
  })

  it('a good image installs beside the old release, migrates and switches', async () => {
    const next = await img('good', '0.2.0', { extra: { '9001_add.sql': 'CREATE TABLE upgrade_probe (id int);' } })
    const result = await applyUpgrade({ ...base(), file: next })
    expect(result.migrations).toEqual(['9001_add.sql'])
    const layout = releaseLayout(root)
    expect(layout.currentVersion()).toBe('0.2.0')
    expect(existsSync(path.join(layout.releaseDir('0.1.0'), 'package.json'))).toBe(true)
    expect(readFileSync(path.join(layout.current, 'core.js'), 'utf8')).toContain('0.2.0')
    const [{ n }] = (await app.deps.db.$client`SELECT count(*)::int AS n FROM incidents`) as unknown as [{ n: number }]
    expect(n).toBe(50)
    const [audit] = (await app.deps.db.$client`SELECT action FROM audit_log ORDER BY id DESC LIMIT 1`) as unknown as [
      { action: string },
    ]
    expect(audit.action).toBe('upgrade.apply')
  })
})
