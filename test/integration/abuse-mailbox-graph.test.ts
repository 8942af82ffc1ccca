import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { abuseReports } from '../../core/src/db/schema/index.ts'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import { ingestAbuseReport } from '../../core/src/domain/abuse/ingest-abuse-report.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { waitFor } from '../harness/wait-for.ts'
import { eml } from '../peers/dovecot.ts'
import { type GraphPeer, startGraphPeer } from '../peers/graph.ts'

/**
 * Microsoft 365 abuse mailboxes through the msgraph connector (@microsoft/microsoft-graph-client
 * against the loopback Graph peer): the folder is read by delta queries (pages chained by
 * nextLink, then deltaLink rounds), each report's MIME comes from `$value` inside `$batch`, and
 * processed reports are moved to the processed folder. Throttled calls are waited out; a poller
 * stopped mid-mailbox and started afresh (no resume point is kept while reports wait, so the folder
 * is listed again) stores every report exactly once, and a report recorded just before a crash is
 * only moved. A poller restarted once the folder was drained resumes from the stored deltaLink.
 */
const ABUSE = 'abuse@contoso.example'
const PROCESSED = 'Clawback Processed'
let t: TestApp
let admin: string
let peer: GraphPeer
let connectorId: number
let sourceId: number

const api = async (p: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(p, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields it asserts
  return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
}
/** A user's report: the phish attached as message/rfc822 (several reporters may report one phish). */
const report = (reporter: string, n: number, phish: number) =>
  [
    `From: ${reporter}`,
    `To: ${ABUSE}`,
    `Subject: FW: Invoice ${phish}`,
    `Message-ID: <report-${n}@contoso.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Is this phishing?',
    '--b',
    'Content-Type: message/rfc822',
    '',
    eml({
      from: 'billing@c0ntoso-pay.example',
      to: reporter,
      subject: `Invoice ${phish}`,
      messageId: `<invoice-${phish}@c0ntoso-pay.example>`,
      body: `Pay now: https://c0ntoso-pay.example/pay/${phish}`,
    }),
    '--b--',
    '',
  ].join('\r\n')
const deliverReport = (reporter: string, n: number, phish: number) =>
  peer.state.deliver(ABUSE, {
    internetMessageId: `<report-${n}@contoso.example>`,
    from: reporter,
    subject: `FW: Invoice ${phish}`,
    receivedDateTime: new Date(Date.now() + n).toISOString(),
    mime: report(reporter, n, phish),
  })
/** folder display name → how many messages the abuse mailbox holds there */
const folders = () => {
  const u = peer.state.users.get(ABUSE)!
  const out: Record<string, number> = {}
  for (const m of u.messages.values()) {
    const f = u.folders.get(m.folderId)!
    out[f.displayName] = (out[f.displayName] ?? 0) + 1
  }
  return out
}
const stored = async () => {
  const [r] = await t.deps.db.execute<{ n: number; keys: number; alerts: number }>(sql`
    SELECT count(*)::int AS n, count(DISTINCT provider_key)::int AS keys, count(DISTINCT alert_id)::int AS alerts
    FROM abuse_reports WHERE source_id = ${sourceId}`)
  return r!
}
const pollers = () =>
  startAbusePollers(
    { db: t.deps.db, keyring: t.deps.keyring, dataDir: t.dataDir, log: t.deps.log },
    { refreshMs: 200, leaseSeconds: 6, batch: 50 },
  )

beforeAll(async () => {
  peer = await startGraphPeer()
  peer.state.addMailbox(ABUSE)
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  const c = await api('/api/v1/connectors', 'POST', {
    kind: 'msgraph',
    name: 'm365',
    settings: {
      tenantId: peer.tenantId,
      clientId: peer.clientId,
      authorityHost: peer.authorityHost,
      graphBaseUrl: peer.baseUrl,
      domains: ['contoso.example'],
      caCertificate: peer.ca,
    },
    secrets: { clientSecret: peer.clientSecret },
    isOnPremises: true,
  })
  expect(c.status, c.error?.message).toBe(201)
  connectorId = c.data.id
}, 60_000)
afterAll(async () => {
  await t?.close()
  await peer?.close()
})

describe('abuse mailbox on Microsoft 365 (Graph)', () => {
  it('is created on an msgraph connector; test connection reads the folder and says it is polled', async () => {
    const bad = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Nowhere',
      settings: { connectorId, mailbox: ABUSE, folder: 'No such folder', intervalSeconds: 5 },
    })
    expect(bad.status).toBe(201)
    const failed = await api(`/api/v1/abuse-mailboxes/${bad.data.id}/test`, 'POST')
    expect(failed.data).toMatchObject({ ok: false })
    expect(failed.data.message).toMatch(/has no folder No such folder/)
    expect((await api(`/api/v1/abuse-mailboxes/${bad.data.id}`, 'DELETE')).status).toBeLessThan(300)

    deliverReport('ann@contoso.example', 0, 0)
    const created = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'M365 abuse desk',
      settings: { connectorId, mailbox: ABUSE, folder: 'Inbox', intervalSeconds: 5 },
    })
    expect(created.status, created.error?.message).toBe(201)
    sourceId = created.data.id
    const ok = await api(`/api/v1/abuse-mailboxes/${sourceId}/test`, 'POST')
    expect(ok.data).toMatchObject({ ok: true, mode: 'poll', backlog: 1 })
    expect(ok.data.message).toContain('polled every 5 s')
    expect(folders()).toEqual({ Inbox: 1 }) // the test moved nothing
  })

  it('reads every report exactly once across throttling, a restart mid-mailbox and a crash between store and move', async () => {
    // 240 reports waiting (more than one delta page), 3 reporters per phish
    for (let n = 1; n < 240; n++) deliverReport(`user${n % 3}@contoso.example`, n, Math.floor(n / 3))
    // a report stored just before a crash, never moved: the next poller must only move it
    const crashed = deliverReport('zoe@contoso.example', 1000, 1000)
    const pre = await ingestAbuseReport(
      t.deps.db,
      t.dataDir,
      { id: sourceId, name: 'M365 abuse desk', mailbox: ABUSE },
      crashed.immutableId,
      Buffer.from(crashed.mime!, 'latin1'),
    )
    expect(pre.status).toBe('stored')
    peer.inject.throttle.set(ABUSE, 8) // the mailbox's next 8 requests answer 429 + Retry-After

    let stop = await pollers()
    await waitFor(async () => (await stored()).n >= 80 && true, '80 reports')
    await stop() // a restart mid-mailbox: the next poller starts without a delta token
    const half = folders()
    expect(half.Inbox).toBeGreaterThan(0)
    stop = await pollers()
    try {
      await waitFor(async () => folders()[PROCESSED] === 241 && !folders().Inbox, 'the Inbox to empty')
      expect(await stored()).toEqual({ n: 241, keys: 241, alerts: 241 })
      expect(peer.inject.throttle.get(ABUSE)).toBe(0)

      // later mail is found by the next delta round (only what changed)
      const before = peer.stats.members
      for (let n = 2000; n < 2005; n++) deliverReport(`late${n}@contoso.example`, n, n)
      await waitFor(async () => folders()[PROCESSED] === 246 && !folders().Inbox, 'the late reports')
      expect(await stored()).toEqual({ n: 246, keys: 246, alerts: 246 })
      // one delta call, 5 $value, 5 moves (+ the idle delta rounds): not the whole folder again
      expect(peer.stats.members - before).toBeLessThan(40)

      // Exchange dropped the sync state (410 SyncStateNotFound): the folder is listed afresh
      peer.state.syncGeneration++
      for (let n = 3000; n < 3003; n++) deliverReport(`after${n}@contoso.example`, n, n)
      await waitFor(async () => folders()[PROCESSED] === 249 && !folders().Inbox, 'the reports after the resync')
      expect(await stored()).toEqual({ n: 249, keys: 249, alerts: 249 })
    } finally {
      await stop()
    }
    const src = (await api(`/api/v1/abuse-mailboxes/${sourceId}`)).data
    expect(src.health).toMatchObject({ backlog: 0, mode: 'poll', lastError: null })
    expect(peer.violations).toEqual([])
  }, 300_000)

  it('a restart resumes from the stored deltaLink: only the new reports are listed, none twice; an expired one lists afresh', async () => {
    const state = async () =>
      (
        await t.deps.db.execute<{ resume_point: string | null }>(sql`
        SELECT resume_point FROM abuse_mailbox_state WHERE source_id = ${sourceId}`)
      )[0]!.resume_point
    // the drained folder's deltaLink was kept per source by the last poller
    const kept = await state()
    expect(JSON.parse(kept!)).toMatchObject({ mailbox: ABUSE, deltaLink: expect.stringContaining('$deltatoken=') })
    // new mail arrives while no poller runs; the old reports are still in the mailbox (processed folder)
    for (let n = 4000; n < 4004; n++) deliverReport(`restart${n}@contoso.example`, n, n)
    const before = { ...peer.stats }
    let stop = await pollers()
    try {
      await waitFor(async () => folders()[PROCESSED] === 253 && !folders().Inbox, 'the reports sent during the restart')
      expect(await stored()).toEqual({ n: 253, keys: 253, alerts: 253 })
      // no full listing of the folder: every delta call carried the stored token, and only the 4 new reports were listed
      expect(peer.stats.deltaInitial - before.deltaInitial).toBe(0)
      expect(peer.stats.deltaListed - before.deltaListed).toBe(4)
      await waitFor(async () => (await state()) !== kept && true, 'the next deltaLink to be kept')
    } finally {
      await stop()
    }

    // the kept token expired meanwhile (410 SyncStateNotFound): listed afresh, nothing lost or doubled
    peer.state.syncGeneration++
    for (let n = 5000; n < 5002; n++) deliverReport(`expired${n}@contoso.example`, n, n)
    const before410 = peer.stats.deltaInitial
    stop = await pollers()
    try {
      await waitFor(async () => folders()[PROCESSED] === 255 && !folders().Inbox, 'the reports after the expiry')
      expect(await stored()).toEqual({ n: 255, keys: 255, alerts: 255 })
      expect(peer.stats.deltaInitial - before410).toBe(1)
    } finally {
      await stop()
    }
    expect(peer.violations).toEqual([])
  }, 180_000)

  it('links the reports of one phish into one incident with its reporters', async () => {
    const alertId = await waitFor(async () => {
      const [r] = await t.deps.db.execute<{ incident_id: string | null }>(sql`
        SELECT a.incident_id FROM alert_emails e JOIN alerts a ON a.id = e.alert_id
        WHERE e.message_id = '<invoice-5@c0ntoso-pay.example>' AND NOT e.is_abuse_copy AND a.incident_id IS NOT NULL
        LIMIT 1`)
      return r?.incident_id ? Number(r.incident_id) : undefined
    }, 'the incident')
    const reporters = await waitFor(async () => {
      const r = (await api(`/api/v1/incidents/${alertId}/reporters`)).data as { reporter: string }[]
      return r.length === 3 ? r : undefined
    }, '3 reporters')
    expect(reporters.map((r) => r.reporter).sort()).toEqual([
      'user0@contoso.example',
      'user1@contoso.example',
      'user2@contoso.example',
    ])
    const rows = await t.deps.db
      .select()
      .from(abuseReports)
      .where(eq(abuseReports.originalMessageId, '<invoice-5@c0ntoso-pay.example>'))
    expect(rows).toHaveLength(3)
  }, 120_000)
})
