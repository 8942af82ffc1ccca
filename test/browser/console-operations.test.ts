import { generateKeyPairSync } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImg } from '../../appliance/src/upgrade/img-format.ts'
import { releaseLayout } from '../../appliance/src/upgrade/release-layout.ts'
import { mounts } from '../../console/src/mounts.ts'
import { MIGRATIONS_DIR } from '../../core/src/db/migrate.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { browserSignIn, launchBrowser, screenshot, serveApp } from '../harness/browser.ts'
import { makeUser, PASSWORD, signInAs } from '../harness/factories.ts'

const count = async (app: TestApp) =>
  Number(((await app.deps.db.$client`SELECT count(*) AS n FROM incidents`) as unknown as [{ n: string }])[0].n)

describe('management console in Chromium', () => {
  let app: TestApp
  let server: Awaited<ReturnType<typeof serveApp>>
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let work: string
  let admin: string
  let root: string
  const signer = generateKeyPairSync('ed25519')
  const pub = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString()

  const release = (dir: string, version: string) => {
    mkdirSync(path.join(dir, 'appliance', 'keys'), { recursive: true })
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'clawback', version }))
    cpSync(MIGRATIONS_DIR, path.join(dir, 'migrations'), { recursive: true })
    writeFileSync(path.join(dir, 'appliance', 'keys', 'img-signing.pub'), pub)
    writeFileSync(path.join(dir, 'app.js'), `export const v = '${version}'\n`)
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'cb-console-'))
    root = path.join(work, 'root')
    const layout = releaseLayout(root)
    release(layout.releaseDir('0.1.0'), '0.1.0')
    layout.switchTo('0.1.0')
    release(path.join(work, 'next'), '0.2.0')
    const privateKeyPem = signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    await buildImg({
      sourceDir: path.join(work, 'next'),
      entries: ['package.json', 'migrations', 'appliance', 'app.js'],
      version: '0.2.0',
      minVersion: '0.1.0',
      notes: 'Clawback 0.2.0 — console test release',
      privateKeyPem,
      out: path.join(work, 'good.img'),
    })
    const raw = readFileSync(path.join(work, 'good.img'))
    raw[raw.length - 5] = raw[raw.length - 5]! ^ 1
    writeFileSync(path.join(work, 'tampered.img'), raw)

    app = await startTestApp({ CLAWBACK_ROOT: root })
    await startWorkers(
      app.deps.boss,
      { db: app.deps.db, log: app.deps.log, keyring: app.deps.keyring, dataDir: app.dataDir },
      1,
      mounts.jobs,
    )
    admin = (await makeUser(app.deps.db, ['Admins'])).user.username
    await app.deps.db.$client`INSERT INTO incidents (summary) SELECT 'incident ' || g FROM generate_series(1, 25) g`
    server = await serveApp(app.console)
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await app?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('is only for system.manage', async () => {
    const analyst = (await makeUser(app.deps.db, ['Analysts'])).user.username
    const s = await signInAs(app.console, analyst, PASSWORD)
    for (const p of ['/backups', '/secret', '/upgrade', '/tls', '/agent', '/system', '/host', '/connections']) {
      expect((await app.console.request(p, { headers: { cookie: s.cookie } })).status).toBe(403)
    }
  })

  it('backup with live progress, verify, restore; export the master secret; refuse a tampered IMG and apply a good one', async () => {
    const { page } = await browser.newPage()
    page.on('dialog', (d) => void d.accept())
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.goto(`${server.url}/system`)
    await page.waitForSelector('#queues')
    await screenshot(page, 'console-system')

    await page.goto(`${server.url}/backups`)
    await page.click('#backup-now')
    await page.waitForSelector('#ops .op progress')
    await page.waitForSelector('#ops .op[data-state="succeeded"]', { timeout: 60_000 })
    await screenshot(page, 'console-backup-done')
    await page.goto(`${server.url}/backups`)
    const name = await page.getAttribute('#backups tbody tr[data-name]', 'data-name')
    expect(name).toMatch(/\.cbk$/)
    await page.click(`tr[data-name="${name}"] button:has-text("Verify")`)
    await page.waitForSelector('.verify-ok')
    expect(await page.textContent('.verify-ok')).toContain('Verified')

    await app.deps.db.$client`INSERT INTO incidents (summary) VALUES ('after the backup')`
    expect(await count(app)).toBe(26)
    await page.click(`tr[data-name="${name}"] button:has-text("Restore")`)
    await page.waitForSelector('#ops .op[data-state="succeeded"] >> text=restore', { timeout: 90_000 })
    await screenshot(page, 'console-restore-done')
    expect(await count(app)).toBe(25)

    // upload (streamed by the page's script) a copy of the backup as if it came from elsewhere
    await page.goto(`${server.url}/backups`)
    await page.setInputFiles('input[name=file]', {
      name: 'from-elsewhere.cbk',
      mimeType: 'application/octet-stream',
      buffer: readFileSync(path.join(app.dataDir, 'backups', name!)),
    })
    await Promise.all([page.waitForNavigation(), page.click('#upload-backup')])
    expect(page.url()).toContain('uploaded=from-elsewhere.cbk') // the streamed (raw) path, not the multipart fallback
    expect(await page.textContent('.notice')).toContain('Uploaded from-elsewhere.cbk')
    await page.click('tr[data-name="from-elsewhere.cbk"] button:has-text("Verify")')
    await page.waitForSelector('.verify-ok')

    await page.goto(`${server.url}/secret`)
    await page.fill('input[name=passphrase]', 'correct battery horse staple')
    await page.fill('input[name=confirm]', 'correct battery horse staple')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'))
    expect(exported.format).toBe('clawback-master-secret')
    expect(exported.keyIds[0]).toBe(app.deps.keyring.current.id)
    await screenshot(page, 'console-secret')

    await page.goto(`${server.url}/upgrade`)
    await page.setInputFiles('input[name=file]', path.join(work, 'tampered.img'))
    await Promise.all([page.waitForNavigation(), page.click('#upload-img')])
    expect(page.url()).toContain('staged=img-')
    expect(await page.textContent('.error')).toMatch(/Refused: upgrade image file app.js was altered/)
    await screenshot(page, 'console-upgrade-refused')
    expect(releaseLayout(root).currentVersion()).toBe('0.1.0')

    await page.setInputFiles('input[name=file]', path.join(work, 'good.img'))
    await Promise.all([page.waitForNavigation(), page.click('#upload-img')])
    expect(await page.textContent('pre.notes')).toContain('console test release')
    await page.click('#apply')
    await page.waitForSelector('#ops .op[data-state="succeeded"]', { timeout: 90_000 })
    await screenshot(page, 'console-upgrade-applied')
    expect(releaseLayout(root).currentVersion()).toBe('0.2.0')
  })

  it('host settings: read-only in a checkout, with the reason', async () => {
    const { page } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.goto(`${server.url}/host`)
    expect(await page.textContent('#host-read-only')).toContain('This is a checkout')
    expect(await page.$eval('#host-settings fieldset', (f) => (f as HTMLFieldSetElement).disabled)).toBe(true)
    expect(await page.isEditable('input[name=hostname]')).toBe(false)
    await screenshot(page, 'console-host-settings-read-only')
  })
})
