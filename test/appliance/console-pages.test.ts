import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBackupSchedule } from '../../appliance/src/backup/backup-schedule.ts'
import { createBackup } from '../../appliance/src/backup/create-backup.ts'
import { getCredential } from '../../core/src/crypto/credentials.ts'
import { connectors } from '../../core/src/db/schema/index.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { readProxySettings } from '../../core/src/settings/proxy.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeUser, PASSWORD, signInAs } from '../harness/factories.ts'
import { startSmtpPeer } from '../peers/smtp.ts'

describe('management console pages', () => {
  let app: TestApp
  let s: { cookie: string; csrf: string }
  const get = (p: string) => app.console.request(p, { headers: { cookie: s.cookie } })
  const post = (p: string, fields: Record<string, string> | FormData) =>
    app.console.request(p, {
      method: 'POST',
      headers: {
        cookie: s.cookie,
        'x-csrf-token': s.csrf,
        ...(fields instanceof FormData ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      body: fields instanceof FormData ? fields : new URLSearchParams(fields),
    })

  beforeAll(async () => {
    app = await startTestApp()
    const admin = (await makeUser(app.deps.db, ['Admins'])).user.username
    s = await signInAs(app.console, admin, PASSWORD)
    expect(s.csrf).not.toBe('')
  })
  afterAll(async () => {
    await app?.close()
  })

  it('renders every page for an admin', async () => {
    for (const [p, text] of [
      ['/system', 'Job queues'],
      ['/host', 'Host settings'],
      ['/backups', 'Back up now'],
      ['/secret', 'Current key'],
      ['/upgrade', 'Running release'],
      ['/tls', 'Certificate request'],
      ['/agent', 'SMBv2'],
      ['/connections', 'Outbound proxy'],
      ['/connections/new?kind=virustotal', 'API key (64 hexadecimal characters)'],
      ['/', 'Management console'],
    ]) {
      const res = await get(p!)
      expect(res.status, p).toBe(200)
      expect(await res.text()).toContain(text)
    }
  })

  it('lists every Clawback process on the database with its roles and heartbeat', async () => {
    const body = await (await get('/system')).text()
    expect(body).toContain('Processes (every node)')
    expect(body).toContain('Time sources (NTP)')
    expect(body).toContain('Syslog forwarding')
    expect(body).toContain('Recent errors in this process')
    expect(body).toMatch(/<tr id="intake-lag"><th>Intake<\/th><td>\d+ alerts waiting to be linked.*visibility lag p99/)
    expect(body).toMatch(
      /<tr><td>api,worker,console<\/td><td class="mono">[^<]+<\/td><td>\d+<\/td><td><span class="badge">live<\/span>/,
    )
  })

  it('writes without the CSRF token are refused', async () => {
    const res = await app.console.request('/backups/schedule', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'frequency=daily',
    })
    expect(res.status).toBe(403)
  })

  it('agent settings: SMBv1 and TLS 1.1 need an explicit confirmation and then show a warning', async () => {
    let res = await post('/agent', { smbProtocol: 'SMB1', tlsMinVersion: 'TLSv1.2', port: '8444' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('confirm the SMBv1 fallback')
    res = await post('/agent', {
      smbProtocol: 'SMB1',
      confirmSmb1: 'yes',
      tlsMinVersion: 'TLSv1.1',
      confirmLegacyTls: 'yes',
      port: '8444',
    })
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(page).toContain('SMBv1 fallback is on')
    expect(page).toContain('Agents may use TLSv1.1')
  })

  it('connections: an SMTP connector made from its form, secret never echoed, tested against a real relay', async () => {
    const smtp = await startSmtpPeer({ user: { name: 'relay', password: 'relay-pw-9' } })
    try {
      const fields = {
        name: 'Relay',
        's.host': '127.0.0.1',
        's.port': String(smtp.port),
        's.security': 'none',
        's.username': 'relay',
        's.from': 'not-an-address',
        's.timeoutSeconds': '10',
        's.verifyCertificate': 'on',
        'secret.password': 'relay-pw-9',
        isEnabled: 'on',
        isOnPremises: 'on',
      }
      let res = await post('/connections/new?kind=smtp', fields)
      expect(res.status).toBe(422)
      let text = await res.text()
      expect(text).toContain('settings.from:')
      expect(text).not.toContain('relay-pw-9')
      expect(text).toContain('value="not-an-address"')
      res = await post('/connections/new?kind=smtp', { ...fields, 's.from': 'clawback@corp.example.test' })
      expect(res.status).toBe(303)
      const [{ id }] = (await app.deps.db.select({ id: connectors.id }).from(connectors)) as [{ id: number }]
      expect(
        await getCredential(app.deps.db, app.deps.keyring, { ownerKind: 'connector', ownerId: id, name: 'password' }),
      ).toBe('relay-pw-9')
      text = await (await get(`/connections/${id}`)).text()
      expect(text).toContain('(stored; leave empty to keep)')
      expect(text).not.toContain('relay-pw-9')
      res = await app.console.request(`/connections/${id}/test`, {
        method: 'POST',
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'hx-request': 'true' },
      })
      expect(await res.text()).toMatch(/ok<\/span> 127\.0\.0\.1:\d+ accepted the connection and the login/)
    } finally {
      await smtp.close()
    }
  })

  it('connections: the outbound proxy is validated and saved', async () => {
    expect((await post('/connections/proxy', { proxyUrl: 'socks://nope', noProxy: '' })).status).toBe(422)
    expect(
      (await post('/connections/proxy', { proxyUrl: 'http://proxy.example.test:3128', noProxy: 'corp.example' }))
        .status,
    ).toBe(200)
    expect(await readProxySettings(app.deps.db)).toEqual({
      url: 'http://proxy.example.test:3128',
      noProxy: 'corp.example',
    })
  })

  it('schedule, TLS and secret forms: bad input is a 422 with the reason', async () => {
    expect(
      (await post('/backups/schedule', { frequency: 'weekly', hour: '3', weekday: '6', retention: '4' })).status,
    ).toBe(200)
    expect(await readBackupSchedule(app.deps.db)).toEqual({ frequency: 'weekly', hour: 3, weekday: 6, retention: 4 })
    let res = await post('/backups/schedule', { frequency: 'hourly', hour: '3', weekday: '6', retention: '4' })
    expect(res.status).toBe(422)
    res = await post('/tls/certificate', { certificate: 'not pem', hostname: 'x.example.test' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('no PEM certificate found')
    const form = new FormData()
    form.set('file', new File(['{"format":"clawback-master-secret"}'], 'export.json'))
    form.set('passphrase', 'whatever it is')
    res = await post('/secret/import', form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('not a master secret export file')
  })

  it('upload refuses a file that is not a backup; download streams the exact file', async () => {
    const form = new FormData()
    form.set('file', new File(['hello'], 'evil.cbk'))
    const res = await post('/backups/upload', form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('not a Clawback backup file')
    const b = await createBackup({ db: app.deps.db, keyring: app.deps.keyring, dataDir: app.dataDir, actor: SYSTEM })
    const dl = await get(`/backups/${b.name}/download`)
    expect(dl.status).toBe(200)
    expect(Buffer.from(await dl.arrayBuffer()).equals(readFileSync(b.file))).toBe(true)
    expect((await get('/backups/..%2F..%2Fmaster.key/download')).status).toBe(400)
    const up = new FormData()
    up.set('file', new File([readFileSync(b.file)], 'copy-from-elsewhere.cbk'))
    const uploaded = await post('/backups/upload', up)
    expect(uploaded.status).toBe(200)
    expect(await uploaded.text()).toContain('copy-from-elsewhere.cbk')
    const verified = await post('/backups/copy-from-elsewhere.cbk/verify', {})
    expect(await verified.text()).toContain('Verified')
  })
})
