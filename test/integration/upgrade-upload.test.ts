import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { connect } from 'node:tls'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { opsPaths } from '../../appliance/src/ops/paths.ts'
import { applianceTlsOptions } from '../../appliance/src/services.ts'
import { buildImg } from '../../appliance/src/upgrade/img-format.ts'
import { releaseLayout } from '../../appliance/src/upgrade/release-layout.ts'
import { listen } from '../../core/src/server.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeUser, PASSWORD, signInAs } from '../harness/factories.ts'

/**
 * The management console's IMG upload over a real loopback connection, sent raw as the page's
 * script (and the appliance boot test) sends it: a tampered image is refused with a 4xx whose page
 * says why — never a redirect that reads like success, never a dropped connection.
 */
describe('upgrade upload on the console (streamed, over a socket)', () => {
  let app: TestApp
  let server: ReturnType<typeof serve>
  let work: string
  let good: string
  let tampered: string
  let session: { cookie: string; csrf: string }
  const url = (p: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${p}`
  const upload = (file: string) =>
    fetch(url('/upgrade/upload'), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: session.cookie,
        'content-type': 'application/octet-stream',
        'x-csrf-token': session.csrf,
        'x-file-name': encodeURIComponent(path.basename(file)),
      },
      body: readFileSync(file),
    })

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'cb-img-upload-'))
    const k = generateKeyPairSync('ed25519')
    const pub = k.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const release = (dir: string, version: string) => {
      mkdirSync(path.join(dir, 'appliance', 'keys'), { recursive: true })
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'clawback', version }))
      writeFileSync(path.join(dir, 'appliance', 'keys', 'img-signing.pub'), pub)
      // a payload of several MiB, so the body really streams over the connection
      writeFileSync(path.join(dir, 'blob.bin'), randomBytes(8 * 1024 * 1024))
    }
    const root = path.join(work, 'root')
    const layout = releaseLayout(root)
    release(layout.releaseDir('0.1.0'), '0.1.0')
    layout.switchTo('0.1.0')
    release(path.join(work, 'src'), '0.2.0')
    good = path.join(work, 'clawback-0.2.0.img')
    await buildImg({
      sourceDir: path.join(work, 'src'),
      entries: ['package.json', 'appliance', 'blob.bin'],
      version: '0.2.0',
      minVersion: '0.1.0',
      notes: 'Release 0.2.0',
      privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      out: good,
    })
    // as the boot test tampers: one byte of the payload changed after signing, near the end
    const raw = readFileSync(good)
    raw[raw.length - 4096]! ^= 0xff
    tampered = path.join(work, 'clawback-0.2.0-tampered.img')
    writeFileSync(tampered, raw)

    app = await startTestApp({ CLAWBACK_ROOT: root })
    const admin = (await makeUser(app.deps.db, ['Admins'])).user.username
    session = await signInAs(app.console, admin, PASSWORD)
    server = serve({ fetch: app.console.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((r) => server.once('listening', r))
  })
  afterAll(async () => {
    await new Promise((r) => server?.close(r))
    await app?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('a tampered IMG is answered 422 with the refusal on the page; nothing stays staged', async () => {
    const res = await upload(tampered)
    expect(res.status).toBe(422)
    const page = await res.text()
    expect(page).toMatch(/Refused: upgrade image file blob\.bin was altered \(checksum mismatch\)/)
    expect(page).not.toContain('id="apply"')
    // the page the script shows, and it says the same after a reload
    const to = res.headers.get('content-location') ?? ''
    expect(to).toMatch(/^\/upgrade\?staged=img-\d+$/)
    const again = await fetch(url(to), { headers: { cookie: session.cookie } })
    expect(await again.text()).toContain('Refused: upgrade image file blob.bin was altered')
    // the refused file is gone; only its verdict is kept
    expect(readdirSync(opsPaths(app.dataDir).staging).filter((f) => f.endsWith('.img'))).toEqual([])
    const audit = await app.deps.db.$client`SELECT after FROM audit_log WHERE action = 'upgrade.refuse'`
    expect(JSON.stringify(audit)).toContain('clawback-0.2.0-tampered.img')
  })

  it('over HTTPS as the role serves it, an upload that starts 7 s after the last request on a kept-alive connection is answered', async () => {
    // The appliance's console (core/src/server.ts listen, the appliance's TLS options). The boot
    // test signs in, loads /upgrade, reads the 270 MiB IMG and posts it on that same connection;
    // before its headers left (file read, the whole body encrypted), Node's default keep-alive
    // timeout (5 s + 1 s) had closed the connection: "fetch failed" (EPIPE) for the first upload.
    const server = await listen(app.console, '127.0.0.1', 0, await applianceTlsOptions(app.deps))
    const sock = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false })
    let received = ''
    let closed = false
    sock.setEncoding('latin1')
    sock.on('data', (d: string) => {
      received += d
    })
    sock.on('close', () => {
      closed = true
    })
    sock.on('error', () => {})
    try {
      await new Promise((r) => sock.once('secureConnect', r))
      sock.write(`GET /upgrade HTTP/1.1\r\nHost: cb\r\nCookie: ${session.cookie}\r\n\r\n`)
      await expect.poll(() => received, { timeout: 10_000 }).toMatch(/<\/html>/)
      expect(received).toMatch(/^HTTP\/1\.1 200/)
      expect(received).toMatch(/keep-alive: timeout=65/i)
      received = ''
      await new Promise((r) => setTimeout(r, 7000))
      expect(closed).toBe(false)
      const bytes = readFileSync(tampered)
      sock.write(
        `POST /upgrade/upload HTTP/1.1\r\nHost: cb\r\nCookie: ${session.cookie}\r\nX-CSRF-Token: ${session.csrf}\r\n` +
          `Content-Type: application/octet-stream\r\nX-File-Name: ${path.basename(tampered)}\r\nContent-Length: ${bytes.length}\r\n\r\n`,
      )
      sock.write(bytes)
      await expect
        .poll(() => received, { timeout: 30_000 })
        .toContain('Refused: upgrade image file blob.bin was altered')
      expect(received).toMatch(/^HTTP\/1\.1 422/)
    } finally {
      sock.destroy()
      await new Promise((r) => server.close(r))
    }
  }, 60_000)

  it('the intact IMG is staged: 303 to its page with the Apply button', async () => {
    const res = await upload(good)
    expect(res.status).toBe(303)
    const to = res.headers.get('location') ?? ''
    const id = /staged=(img-\d+)/.exec(to)?.[1]
    expect(id).toBeDefined()
    expect(existsSync(path.join(opsPaths(app.dataDir).staging, `${id}.img`))).toBe(true)
    const page = await (await fetch(url(to), { headers: { cookie: session.cookie } })).text()
    expect(page).toContain('id="apply"')
    expect(page).toContain('Release 0.2.0')
  })
})
