import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyUpgrade, verifyUpgrade } from '../../appliance/src/upgrade/apply-upgrade.ts'
import { buildImg, readImg } from '../../appliance/src/upgrade/img-format.ts'
import { readVersionOf, releaseLayout } from '../../appliance/src/upgrade/release-layout.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'

const REPO = path.resolve(import.meta.dirname, '../..')
const treeVersion = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string

/** `npm run build:img -- ...` of this checkout, exactly as the release manager runs it. */
const buildImgCli = (args: string[]) =>
  execFileSync(process.execPath, [path.join(REPO, 'appliance/bin/build-img.ts'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })

describe('build:img --version (one version for manifest, package.json and health check)', () => {
  let app: TestApp
  let work: string
  let root: string
  let keyFile: string
  let pub: string

  beforeAll(async () => {
    app = await startTestApp()
    work = mkdtempSync(path.join(tmpdir(), 'cb-build-img-'))
    root = path.join(work, 'root')
    const k = generateKeyPairSync('ed25519')
    keyFile = path.join(work, 'img-signing.pem')
    writeFileSync(keyFile, k.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    pub = k.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    // the running release: the tree's own version, trusting the throwaway key
    const layout = releaseLayout(root)
    const current = layout.releaseDir(treeVersion)
    mkdirSync(path.join(current, 'appliance', 'keys'), { recursive: true })
    writeFileSync(path.join(current, 'package.json'), JSON.stringify({ name: 'clawback', version: treeVersion }))
    writeFileSync(path.join(current, 'appliance', 'keys', 'img-signing.pub'), pub)
    layout.switchTo(treeVersion)
  })
  afterAll(async () => {
    await app?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('an image built with --version V (package.json untouched) carries V and installs without rolling back', async () => {
    const out = path.join(work, 'next.img')
    const printed = buildImgCli(['--key', keyFile, '--version', '99.1.0', '--no-node-modules', '--out', out])
    expect(printed).toContain('version 99.1.0')
    expect(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version).toBe(treeVersion)

    const result = await applyUpgrade({
      file: out,
      root,
      databaseUrl: app.testDb.url,
      dataDir: app.dataDir,
      keyring: app.deps.keyring,
      actor: SYSTEM,
    })
    expect(result.to).toBe('99.1.0')
    const layout = releaseLayout(root)
    expect(layout.currentVersion()).toBe('99.1.0')
    expect(readVersionOf(layout.current)).toBe('99.1.0')
  })

  it('refuses a --version that cannot name a release folder, with a message naming the option', () => {
    let stderr = ''
    try {
      buildImgCli(['--key', keyFile, '--version', '../../etc', '--no-node-modules', '--out', path.join(work, 'x.img')])
    } catch (err) {
      stderr = String((err as { stderr: string }).stderr)
    }
    expect(stderr).toMatch(/build:img: version must be digits and dots/)
  })

  it('an image whose package.json disagrees with its manifest is refused before anything changes', async () => {
    const before = releaseLayout(root).currentVersion()
    const src = path.join(work, 'src-mismatch')
    mkdirSync(path.join(src, 'appliance', 'keys'), { recursive: true })
    writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'clawback', version: treeVersion }))
    writeFileSync(path.join(src, 'appliance', 'keys', 'img-signing.pub'), pub)
    const out = path.join(work, 'mismatch.img')
    await buildImg({
      sourceDir: src,
      entries: ['package.json', 'appliance'],
      version: '99.2.0',
      minVersion: '0.0.0',
      notes: 'old build:img',
      privateKeyPem: readFileSync(keyFile, 'utf8'),
      out,
    })
    expect(readImg(out, pub).packageVersion).toBe(treeVersion)
    expect(() => verifyUpgrade({ file: out, root })).toThrow(/carries package.json version .*rebuild it/)
    expect(releaseLayout(root).currentVersion()).toBe(before)
  })
})
