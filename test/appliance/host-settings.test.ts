import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPrivilegedRequests } from '../../appliance/src/ops/privileged-requests.ts'
import { readOp, trackOp } from '../../appliance/src/ops/progress.ts'
import { applyHostSettings } from '../../appliance/src/system/apply-host-settings.ts'
import { readHostSettings } from '../../appliance/src/system/host-files.ts'
import type { HostSettings } from '../../appliance/src/system/host-settings.ts'
import { readStoredHostSettings } from '../../appliance/src/system/set-host-settings.ts'
import { auditLog } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { recorder, tempRoot } from '../harness/command-recorder.ts'
import { makeUser, PASSWORD, signInAs } from '../harness/factories.ts'
import { runNode } from '../harness/process.ts'

describe('host settings in the management console', () => {
  let appliance: TestApp
  let checkout: TestApp
  const root = tempRoot('cb-host-console-')
  let s: { cookie: string; csrf: string }
  const post = (app: TestApp, session: { cookie: string; csrf: string }, fields: Record<string, string>) =>
    app.console.request('/host', {
      method: 'POST',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields),
    })
  const form = {
    hostname: 'cb2.corp.example',
    'network.interface': 'en*',
    'network.ipv4.mode': 'static',
    'network.ipv4.address': '198.51.100.7/24',
    'network.ipv4.gateway': '198.51.100.1',
    'network.ipv6.mode': 'auto',
    'network.dns': '198.51.100.53, 2001:db8::53',
    'network.searchDomains': 'corp.example',
    'ntp.servers': 'ntp.corp.example',
    'syslog.enabled': 'on',
    'syslog.host': 'logs.corp.example',
    'syslog.port': '514',
    'syslog.protocol': 'tcp',
  }

  beforeAll(async () => {
    appliance = await startTestApp({ CLAWBACK_PRIVILEGED: 'systemd', CLAWBACK_ROOT: root })
    checkout = await startTestApp({ CLAWBACK_ROOT: root })
    s = await signInAs(appliance.console, (await makeUser(appliance.deps.db, ['Admins'])).user.username, PASSWORD)
  })
  afterAll(async () => {
    await appliance?.close()
    await checkout?.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('an admin saves on the appliance: stored, audited, applied by the helper, shown back', async () => {
    const page = await appliance.console.request('/host', { headers: { cookie: s.cookie } })
    expect(page.status).toBe(200)
    const body = await page.text()
    expect(body).toContain('Save and apply')
    expect(body).not.toContain('id="host-read-only"')

    const res = await post(appliance, s, form)
    expect(res.status).toBe(200)
    const saved = await res.text()
    expect(saved).toContain('The privileged helper is applying the settings')
    const opId = /id="op-(system-[a-z0-9-]+)"/.exec(saved)![1]!
    expect(readOp(appliance.dataDir, opId)?.state).toBe('queued')
    const expected: HostSettings = {
      hostname: 'cb2.corp.example',
      network: {
        interface: 'en*',
        ipv4: { mode: 'static', address: '198.51.100.7/24', gateway: '198.51.100.1' },
        ipv6: { mode: 'auto' },
        dns: ['198.51.100.53', '2001:db8::53'],
        searchDomains: ['corp.example'],
      },
      ntp: { servers: ['ntp.corp.example'] },
      syslog: { host: 'logs.corp.example', port: 514, protocol: 'tcp', tls: false },
    }
    expect(await readStoredHostSettings(appliance.deps.db)).toEqual(expected)
    const audits = await appliance.deps.db.select().from(auditLog)
    expect(audits.find((a) => a.action === 'system.host_settings')?.after).toMatchObject({
      hostname: 'cb2.corp.example',
      opId,
    })

    // root's side, as `clawbackctl privileged run` does it (the commands recorded, not run)
    const { calls, run } = recorder()
    await runPrivilegedRequests(appliance.dataDir, {
      'upgrade-apply': async () => {},
      restart: async () => {},
      'system-apply': async (r) => {
        await trackOp(appliance.dataDir, r.opId, 'system', () => applyHostSettings(root, r.settings, run))
      },
    })
    expect(calls).toContain('hostnamectl set-hostname cb2.corp.example')
    expect(readHostSettings(root)).toEqual(expected)
    const status = await appliance.console.request(`/ops/${opId}`, { headers: { cookie: s.cookie } })
    expect(await status.text()).toContain('data-state="succeeded"')
    const system = await (await appliance.console.request('/system', { headers: { cookie: s.cookie } })).text()
    expect(system).toContain('tcp://logs.corp.example:514')
  })

  it('bad input is a 422 naming the field, with the submitted values kept', async () => {
    const res = await post(appliance, s, { ...form, 'network.ipv4.address': '198.51.100.7', 'syslog.tls': 'on' })
    expect(res.status).toBe(422)
    const body = await res.text()
    expect(body).toContain('network.ipv4.address: expected address/prefix')
    expect(body).toContain('value="198.51.100.7"')
    const tls = await post(appliance, s, { ...form, 'syslog.protocol': 'udp', 'syslog.tls': 'on' })
    expect(tls.status).toBe(422)
    expect(await tls.text()).toContain('syslog.tls: TLS needs protocol tcp')
  })

  it('refuses writes without the CSRF token and from non-admins', async () => {
    const noCsrf = await appliance.console.request('/host', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, hostname: 'nocsrf' }),
    })
    expect(noCsrf.status).toBe(403)
    const analyst = await signInAs(
      appliance.console,
      (await makeUser(appliance.deps.db, ['Analysts'])).user.username,
      PASSWORD,
    )
    expect((await post(appliance, analyst, { ...form, hostname: 'analyst' })).status).toBe(403)
    expect((await appliance.console.request('/host', { headers: { cookie: analyst.cookie } })).status).toBe(403)
    expect((await readStoredHostSettings(appliance.deps.db))?.hostname).toBe('cb2.corp.example')
  })

  it('is read-only in a checkout, with the reason, and a save is refused', async () => {
    const admin = await signInAs(
      checkout.console,
      (await makeUser(checkout.deps.db, ['Admins'])).user.username,
      PASSWORD,
    )
    const body = await (await checkout.console.request('/host', { headers: { cookie: admin.cookie } })).text()
    expect(body).toContain('id="host-read-only"')
    expect(body).toContain('CLAWBACK_PRIVILEGED=in-process')
    expect(body).toContain('<fieldset disabled>')
    expect(body).not.toContain('Save and apply')
    expect(body).toContain('value="cb2.corp.example"') // what is on disk under its root
    const res = await post(checkout, admin, form)
    expect(res.status).toBe(409)
    expect(await readStoredHostSettings(checkout.deps.db)).toBeUndefined()
    expect(existsSync(path.join(checkout.dataDir, 'ops', 'requests'))).toBe(false)
  })
})

describe('clawbackctl system show / set', () => {
  let app: TestApp
  const root = tempRoot('cb-host-cli-')
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(async () => {
    await app?.close()
    rmSync(root, { recursive: true, force: true })
  })
  const ctl = async (args: string[], privileged = 'systemd') => {
    const p = runNode('appliance/bin/clawbackctl.ts', args, {
      DATABASE_URL: app.testDb.url,
      CLAWBACK_DATA_DIR: app.dataDir,
      CLAWBACK_ROOT: root,
      CLAWBACK_PRIVILEGED: privileged,
      CLAWBACK_CONFIG: '/dev/null',
    })
    return { code: await p.exited, out: p.output() }
  }

  it('sets, queues, applies through `privileged run`, and shows the result', { timeout: 120_000 }, async () => {
    const set = await ctl([
      'system',
      'set',
      '--hostname',
      'cb3',
      '--ipv4',
      '203.0.113.5/24',
      '--gateway4',
      '203.0.113.1',
      '--ntp',
      'ntp1.corp.example,ntp2.corp.example',
      '--syslog',
      'tls://siem.corp.example:6514',
    ])
    expect(set.code, set.out).toBe(0)
    expect((await ctl(['system', 'set', '--hostname', 'bad_name'])).out).toContain('hostname: letters, digits')
    expect((await ctl(['system', 'set', '--hostname', 'cb4'], 'in-process')).out).toContain('read-only')
    const audits = await app.deps.db.select().from(auditLog)
    expect(audits.filter((a) => a.action === 'system.host_settings')).toHaveLength(1)

    const run = await ctl(['privileged', 'run'])
    expect(run.code, run.out).toBe(0)
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('cb3\n')
    const shown = await ctl(['system', 'show'])
    expect(shown.code, shown.out).toBe(0)
    const json = JSON.parse(shown.out.slice(shown.out.indexOf('{'), shown.out.lastIndexOf('}') + 1))
    expect(json.onDisk).toEqual(json.saved)
    expect(json.onDisk).toMatchObject({
      hostname: 'cb3',
      network: { ipv4: { mode: 'static', address: '203.0.113.5/24', gateway: '203.0.113.1' } },
      ntp: { servers: ['ntp1.corp.example', 'ntp2.corp.example'] },
      syslog: { host: 'siem.corp.example', port: 6514, protocol: 'tcp', tls: true },
    })
  })
})
