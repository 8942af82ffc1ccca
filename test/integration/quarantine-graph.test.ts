import { createServer } from 'node:net'
import { and, eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { responseRuns } from '../../core/src/db/schema/index.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, signInAs } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { type GraphPeer, startGraphPeer } from '../peers/graph.ts'

/**
 * Quarantine on Microsoft 365 end to end (issue 17): a JSON alert → automatic mail.quarantine →
 * the stored msgraph connector against the loopback Graph peer; outcomes read from the peer's
 * mailboxes and from what a person sees (incident page, results API, compatible API).
 */
const D = 'contoso.example'
let t: TestApp
let peer: GraphPeer
let admin: string
let analyst: { cookie: string }
let src: Awaited<ReturnType<typeof makeJsonSource>>

/** A per-recipient result as the native and compatible APIs answer it (fields read by these tests). */
type Result = { mailbox: string; recipient: string; status: string; details: string; via: string | null }
const api = async (path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, ...((await res.json()) as { data?: Result[]; error?: { message: string } }) }
}
const waitFor = async <T>(probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> => {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 150))
  }
}
/** Posts a phish alert for `mid` to `recipients` and answers its incident once its quarantine run is `status`. */
const pull = async (mid: string, recipients: string[], status: RegExp) => {
  const res = await src.post(alertBody({}, { message_id: mid, recipient: recipients }))
  expect(res.status).toBe(200)
  const incidentId = ((await res.json()) as { incident_id: number }).incident_id
  const run = await waitFor(async () => {
    const [r] = await t.deps.db
      .select()
      .from(responseRuns)
      .where(and(eq(responseRuns.incidentId, incidentId), eq(responseRuns.responseType, 'mail.quarantine')))
    return r && status.test(r.status) ? r : undefined
  })
  return { incidentId, run }
}
const results = async (incidentId: number) => {
  const r = await api(`/api/v1/incidents/${incidentId}/quarantine-results`)
  expect(r.status).toBe(200)
  return new Map((r.data ?? []).map((x) => [x.mailbox, x]))
}
const compatResults = async (incidentId: number) => {
  const res = await t.api.request(`/api/incidents/${incidentId}.json`, { headers: { authorization: admin } })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { quarantine_results: Result[] }
  return new Map(body.quarantine_results.map((x) => [x.recipient, x]))
}
const incidentPage = async (incidentId: number) =>
  (await t.api.request(`/incidents/${incidentId}`, { headers: { cookie: analyst.cookie } })).text()

beforeAll(async () => {
  peer = await startGraphPeer()
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  analyst = await signInAs(t.api, (await makeUser(t.deps.db, ['Analysts'])).user.username)
  const graph = await api('/api/v1/connectors', 'POST', {
    kind: 'msgraph',
    name: 'contoso',
    settings: {
      tenantId: peer.tenantId,
      clientId: peer.clientId,
      authorityHost: peer.authorityHost,
      graphBaseUrl: peer.baseUrl,
      domains: [D],
      caCertificate: peer.ca,
    },
    secrets: { clientSecret: peer.clientSecret },
    isOnPremises: true,
  })
  expect(graph.status, JSON.stringify(graph)).toBe(201)
  src = await makeJsonSource(t)
  const cond = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
    name: 'Pull phish',
    condition: { field: 'classification', op: 'eq', value: 'phish' },
    responses: [{ type: 'mail.quarantine', params: {} }],
    isAutomatic: true,
    isEnabled: true,
  })
  expect(cond.status, JSON.stringify(cond)).toBe(201)
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
}, 120_000)
afterEach(() => {
  expect(peer.violations).toEqual([])
  peer.state.recoverableDenied.clear()
})
afterAll(async () => {
  await t?.close()
  await peer?.close()
})

describe('Recoverable Items the app cannot reach (issue 17)', () => {
  it('quarantines what it reaches and says per recipient that Recoverable Items were not searched and what to grant', async () => {
    const mid = '<rec-denied@evil.example>'
    const [ann, bob] = [`ann@${D}`, `bob@${D}`]
    peer.state.deliver(ann, { internetMessageId: mid })
    peer.state.deliver(bob, { internetMessageId: mid })
    // bob's dumpster answers 403 ErrorAccessDenied (an access scope that leaves Recoverable Items out)
    peer.state.recoverableDenied.add(bob)
    const { incidentId, run } = await pull(mid, [ann, bob], /^(succeeded|partial|failed)$/)
    expect(run.status, String(run.error)).toBe('succeeded')
    for (const m of [ann, bob]) expect(peer.state.locate(m, mid).map((c) => c.isHidden)).toEqual([true])

    const byMailbox = await results(incidentId)
    expect(byMailbox.get(ann)).toMatchObject({ status: 'successful', details: '1 copy in quarantine' })
    const bobs = byMailbox.get(bob)!
    expect(bobs.status).toBe('successful')
    expect(bobs.details).toMatch(/^1 copy in quarantine; Recoverable Items not searched/)
    expect(bobs.details).toMatch(/HTTP 403 ErrorAccessDenied/)
    expect(bobs.details).toMatch(/grant the application permission Mail\.ReadWrite/)
    expect(bobs.details).toMatch(/Application Access Policy scope may exclude bob@contoso\.example/)
    expect(bobs.details).toMatch(/docs\/connectors\/msgraph\.md/)

    expect((await compatResults(incidentId)).get(bob)?.details).toBe(bobs.details)
    const page = await incidentPage(incidentId)
    expect(page).toContain('Recoverable Items not searched')
    expect(page).toContain('grant the application permission Mail.ReadWrite')
  })

  it('a recipient with no copy in the folders it reaches is not found, and says the dumpster was not searched', async () => {
    const mid = '<rec-denied-gone@evil.example>'
    const carol = `carol@${D}`
    peer.state.addMailbox(carol)
    peer.state.deliver(carol, { internetMessageId: mid, folder: 'recoverableitemsdeletions' })
    peer.state.recoverableDenied.add(carol)
    const { incidentId } = await pull(mid, [carol], /^(succeeded|partial|failed)$/)
    const r = (await results(incidentId)).get(carol)!
    expect(r.status).toBe('not_found')
    expect(r.details).toMatch(
      /^no copy of the message in this mailbox; Recoverable Items not searched .*ErrorAccessDenied/,
    )
  })
})

/** A loopback port nothing listens on (bound, then closed). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })

describe('a directory connector that fails (issue 17)', () => {
  it('fails only the recipient no mailbox and no other directory answers for, naming the directory; the job retries it', async () => {
    const mid = '<dir-down@evil.example>'
    const [ann, carol, dave] = [`ann3@${D}`, `carol3@${D}`, `dave3@${D}`]
    const [sales, staff] = [`sales@${D}`, `staff@${D}`]
    for (const m of [ann, carol, dave]) peer.state.deliver(m, { internetMessageId: mid })
    // Entra (the msgraph connector's directory) knows sales; staff is a group only the AD knew
    peer.state.addGroup(sales, [carol, dave])
    const ad = await api('/api/v1/connectors', 'POST', {
      kind: 'ad',
      name: 'corp ad',
      settings: {
        url: `ldaps://127.0.0.1:${await closedPort()}`,
        baseDn: 'DC=corp,DC=example',
        bindDn: 'svc@corp.example',
        timeoutSeconds: 2,
      },
      secrets: { bindPassword: 'pw' },
      isOnPremises: true,
    })
    expect(ad.status, JSON.stringify(ad)).toBe(201)
    const adId = (ad.data as unknown as { id: number }).id
    try {
      const { incidentId, run } = await pull(mid, [ann, sales, staff], /^(succeeded|partial|failed)$/)
      // the first attempt: everyone else pulled, the run failed for a retry
      expect(run.status).toBe('failed')
      expect(run.error).toMatch(/throttled or unavailable mailboxes are retried/)
      for (const m of [ann, carol, dave])
        expect(
          peer.state.locate(m, mid).map((c) => c.isHidden),
          m,
        ).toEqual([true])
      const byMailbox = await results(incidentId)
      expect([...byMailbox.values()].map((r) => [r.mailbox, r.status, r.via]).sort()).toEqual(
        [
          [ann, 'successful', null],
          [carol, 'successful', sales],
          [dave, 'successful', sales],
          [staff, 'failed', null],
        ].sort(),
      )
      expect(byMailbox.get(staff)!.details).toMatch(
        /^group expansion failed in directory corp ad: ad: .*ECONNREFUSED.*\(msgraph: mailbox staff@contoso\.example: ErrorInvalidUser\)/,
      )
      const page = await incidentPage(incidentId)
      expect(page).toContain('group expansion failed in directory corp ad')

      // the job's retry (bounded, with backoff) runs again once the directory is gone: nothing moves twice
      expect((await api(`/api/v1/connectors/${adId}`, 'PATCH', { isEnabled: false })).status).toBe(200)
      const again = await waitFor(async () => {
        const [r] = await t.deps.db.select().from(responseRuns).where(eq(responseRuns.id, run.id))
        return r?.status === 'succeeded' ? r : undefined
      }, 90_000)
      expect(again.attempts).toBeGreaterThanOrEqual(2)
      expect((await results(incidentId)).get(staff)).toMatchObject({ status: 'not_found' })
      for (const m of [ann, carol, dave]) expect(peer.state.locate(m, mid), m).toHaveLength(1)
    } finally {
      await api(`/api/v1/connectors/${adId}`, 'PATCH', { isEnabled: false })
    }
  }, 120_000)

  it('a directory refused as a whole (TLS) is not retried: the run ends partial, everyone else pulled', async () => {
    const mid = '<dir-tls@evil.example>'
    const [erin, frank] = [`erin4@${D}`, `frank4@${D}`]
    const lists = `lists@${D}`
    for (const m of [erin, frank]) peer.state.deliver(m, { internetMessageId: mid })
    // an "LDAPS" server whose certificate the connector does not trust (the Graph peer's own port)
    const ad = await api('/api/v1/connectors', 'POST', {
      kind: 'ad',
      name: 'untrusted dc',
      settings: {
        url: `ldaps://127.0.0.1:${new URL(peer.baseUrl).port}`,
        baseDn: 'DC=corp,DC=example',
        bindDn: 'svc@corp.example',
        timeoutSeconds: 2,
      },
      secrets: { bindPassword: 'pw' },
      isOnPremises: true,
    })
    expect(ad.status, JSON.stringify(ad)).toBe(201)
    const adId = (ad.data as unknown as { id: number }).id
    try {
      const { incidentId, run } = await pull(mid, [erin, frank, lists], /^(succeeded|partial|failed)$/)
      expect(run.status, String(run.error)).toBe('partial')
      for (const m of [erin, frank])
        expect(
          peer.state.locate(m, mid).map((c) => c.isHidden),
          m,
        ).toEqual([true])
      const byMailbox = await results(incidentId)
      expect([erin, frank].map((m) => byMailbox.get(m)?.status)).toEqual(['successful', 'successful'])
      expect(byMailbox.get(lists)).toMatchObject({ status: 'failed' })
      expect(byMailbox.get(lists)!.details).toMatch(/^group expansion failed in directory untrusted dc: ad: TLS failed/)
    } finally {
      await api(`/api/v1/connectors/${adId}`, 'PATCH', { isEnabled: false })
    }
  }, 60_000)
})
