import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runNode, waitReady } from '../harness/process.ts'

/**
 * The real all-in-one process on its own embedded PostgreSQL, as `npm start` runs it: first-start
 * bootstrap, clawbackctl beside it, graceful stop, restart with data kept.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-proc-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('the server process', async () => {
  const [port, consolePort, pgPort] = [await freePort(), await freePort(), await freePort()]
  const env = {
    CLAWBACK_DATA_DIR: dataDir,
    PORT: String(port),
    CONSOLE_PORT: String(consolePort),
    CLAWBACK_EMBEDDED_PG_PORT: String(pgPort),
  }
  const base = `http://127.0.0.1:${port}`
  let apiKey = ''

  // A first start initialises a PostgreSQL cluster and migrates: minutes on a loaded 2-core machine.
  it('starts on embedded PostgreSQL, prints how to sign in once, and stores secrets 0600', {
    timeout: 180_000,
  }, async () => {
    const proc = runNode('console/src/main.ts', [], env)
    try {
      const ms = await waitReady(`${base}/readyz`, proc)
      // Start-up time is measured by test/bench/idle-memory.ts, not asserted here.
      console.log(`first start: ready in ${ms} ms`)
      await expect.poll(() => proc.output()).toContain('First start: sign in as "admin"')
      const password = /with password\s+(\S+)/.exec(proc.output())![1]!
      const file = path.join(dataDir, 'initial-admin.txt')
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(readFileSync(file, 'utf8')).toContain(password)
      expect(statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600)
      expect((await fetch(`http://127.0.0.1:${consolePort}/healthz`)).status).toBe(200)

      // clawbackctl works beside the running server, on the same embedded PostgreSQL.
      const user = runNode(
        'appliance/bin/clawbackctl.ts',
        ['user', 'create', 'bob', '--team', 'Analysts'],
        env,
        'a long enough password\n',
      )
      expect(await user.exited, user.output()).toBe(0)
      const key = runNode(
        'appliance/bin/clawbackctl.ts',
        ['api-key', 'create', '--name', 'siem', '--team', 'Analysts'],
        env,
      )
      expect(await key.exited, key.output()).toBe(0)
      apiKey = key.output().split('\n')[0]!.trim()
      expect(apiKey).toMatch(/^[0-9a-f-]{36}$/)
      const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: apiKey } })
      expect(await me.json()).toMatchObject({ kind: 'api_key', label: 'api-key:siem' })
    } finally {
      proc.child.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
    }
    expect(proc.output()).not.toMatch(/"level":50/)
  })

  it('restarts quickly with its data and without a new admin password', async () => {
    const proc = runNode('console/src/main.ts', [], env)
    try {
      const ms = await waitReady(`${base}/readyz`, proc)
      console.log(`later start: ready in ${ms} ms`)
      expect(proc.output()).not.toContain('First start')
      expect((await fetch(`${base}/api/v1/me`, { headers: { authorization: apiKey } })).status).toBe(200)
      const verify = runNode('appliance/bin/clawbackctl.ts', ['audit', 'verify'], env)
      expect(await verify.exited).toBe(0)
      expect(verify.output()).toMatch(/audit chain intact: \d+ records/)
    } finally {
      proc.child.kill('SIGINT')
      expect(await proc.exited).toBe(0)
    }
  })

  it('refuses to start on a schema that is behind when auto-migration is off', async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'clawback-behind-'))
    try {
      const proc = runNode('console/src/main.ts', [], {
        ...env,
        CLAWBACK_DATA_DIR: fresh,
        CLAWBACK_EMBEDDED_PG_PORT: String(await freePort()),
        CLAWBACK_AUTO_MIGRATE: 'false',
      })
      expect(await proc.exited).not.toBe(0)
      expect(proc.output()).toMatch(/schema is behind: \d+ migration/)
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })

  it('checks its configuration without starting, reporting every error', async () => {
    const ok = runNode('console/src/main.ts', ['--check-config'], {
      ...env,
      DATABASE_URL: 'postgres://u:hidden@127.0.0.1/x',
    })
    expect(await ok.exited).toBe(0)
    expect(ok.output()).toContain('configuration OK')
    expect(ok.output()).not.toContain('hidden')
    const bad = runNode('appliance/bin/clawbackctl.ts', ['check-config'], { ...env, PORT: 'x', CLAWBACK_ROLES: 'nope' })
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toMatch(/PORT:.*\n.*CLAWBACK_ROLES:/s)
  })
})

describe('roles in separate processes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'clawback-roles-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const [port, consolePort, pgPort] = [await freePort(), await freePort(), await freePort()]
  const env = {
    CLAWBACK_DATA_DIR: dir,
    PORT: String(port),
    CONSOLE_PORT: String(consolePort),
    CLAWBACK_EMBEDDED_PG_PORT: String(pgPort),
  }

  it('an api-only process reports the workers of another process as up; an alert it accepts is linked by the worker process', {
    timeout: 180_000,
  }, async () => {
    // The worker process owns the embedded PostgreSQL; the api process, started after it, reuses it.
    const worker = runNode('console/src/main.ts', [], { ...env, CLAWBACK_ROLES: 'worker', LOG_LEVEL: 'info' })
    await expect.poll(() => worker.output(), { timeout: 120_000, interval: 200 }).toContain('clawback started')
    const api = runNode('console/src/main.ts', [], { ...env, CLAWBACK_ROLES: 'api' })
    try {
      await waitReady(`http://127.0.0.1:${port}/readyz`, api, 120_000)
      const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
        checks: Record<string, boolean>
      }
      expect(body.checks.workers).toBe(true)

      // accept-then-link across processes, read as the appliance boot test and integrations read
      // it: the api process appends the alert, the worker process links it, and the compatible
      // list with expand_events=false names the alert in event_ids (events is null there)
      const key = runNode(
        'appliance/bin/clawbackctl.ts',
        ['api-key', 'create', '--name', 'roles', '--team', 'Admins'],
        env,
      )
      expect(await key.exited, key.output()).toBe(0)
      const apiKey = key.output().split('\n')[0]!.trim()
      const base = `http://127.0.0.1:${port}`
      const src = await fetch(`${base}/api/v1/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Roles apart', type: 'json' }),
      })
      expect(src.status).toBe(201)
      const { pathname } = new URL(((await src.json()) as { data: { url: string } }).data.url)
      const messageId = '<roles.apart@evil.example>'
      const posted = await fetch(`${base}${pathname}`, {
        method: 'POST',
        body: JSON.stringify({
          json_version: '2.0',
          summary: 'Phish across processes',
          classification: 'phish',
          email: { sender: 'bad@evil.example', recipient: ['jdoe@corp.example'], subject: 'x', message_id: messageId },
        }),
      })
      expect(posted.status).toBe(200)
      const { alert_id } = (await posted.json()) as { alert_id: number }
      const linked = async () => {
        const r = await fetch(`${base}/api/incidents?expand_events=false&message_id=${encodeURIComponent(messageId)}`, {
          headers: { authorization: apiKey },
        })
        expect(r.status).toBe(200)
        return (await r.json()) as { id: number; events: unknown; event_ids: number[] | null }[]
      }
      await expect
        .poll(async () => (await linked())[0]?.event_ids, { timeout: 60_000, interval: 250 })
        .toEqual([alert_id])
      expect((await linked())[0]!.events).toBeNull()
    } finally {
      api.child.kill('SIGTERM')
      await api.exited
      worker.child.kill('SIGTERM')
      await worker.exited
    }
  })
})
