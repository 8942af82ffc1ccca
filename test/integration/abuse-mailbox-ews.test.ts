import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import { ingestAbuseReport } from '../../core/src/domain/abuse/ingest-abuse-report.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { waitFor } from '../harness/wait-for.ts'
import { eml } from '../peers/dovecot.ts'
import { startEwsPeer } from '../peers/ews.ts'

/**
 * Exchange on-premises abuse mailboxes through the ews connector (SOAP over HTTPS against the
 * loopback EWS peer, impersonation): the Inbox is listed with FindItem page by page, each report's
 * bytes come from GetItem with IncludeMimeContent, and processed reports are moved by MoveItem.
 * ErrorServerBusy back-offs and 503s lose nothing; a poller stopped mid-mailbox and started afresh
 * stores every report exactly once, and a report recorded just before a crash is only moved.
 */
const ABUSE = 'abuse@corp.test'
const PROCESSED = 'Clawback Processed'
let t: TestApp
let admin: string
let peer: Awaited<ReturnType<typeof startEwsPeer>>
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
    `Message-ID: <report-${n}@corp.test>`,
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
      from: 'billing@corp-pay.example',
      to: reporter,
      subject: `Invoice ${phish}`,
      messageId: `<invoice-${phish}@corp-pay.example>`,
      body: `Pay now: https://corp-pay.example/pay/${phish}`,
    }),
    '--b--',
    '',
  ].join('\r\n')
const deliverReport = (reporter: string, n: number, phish: number) =>
  peer.deliver(ABUSE, {
    from: reporter,
    to: [ABUSE],
    subject: `FW: Invoice ${phish}`,
    messageId: `<report-${n}@corp.test>`,
    date: new Date(Date.now() + n * 1000),
    mime: report(reporter, n, phish),
  })
/** folder → how many reports of the abuse mailbox are there */
const folders = (ids: string[]) => {
  const out: Record<string, number> = {}
  for (const id of ids)
    for (const f of peer.find(ABUSE, `<report-${id}@corp.test>`)) out[f.folder] = (out[f.folder] ?? 0) + 1
  return out
}
const ALL = [0, ...Array.from({ length: 149 }, (_, i) => i + 1), 1000, 2000, 2001, 2002, 2003].map(String)
const stored = async () => {
  const [r] = await t.deps.db.execute<{ n: number; keys: number; alerts: number }>(sql`
    SELECT count(*)::int AS n, count(DISTINCT provider_key)::int AS keys, count(DISTINCT alert_id)::int AS alerts
    FROM abuse_reports WHERE source_id = ${sourceId}`)
  return r!
}
const pollers = () =>
  startAbusePollers(
    { db: t.deps.db, keyring: t.deps.keyring, dataDir: t.dataDir, log: t.deps.log },
    { refreshMs: 200, leaseSeconds: 6, maxBackoffMs: 2000, batch: 50 },
  )

beforeAll(async () => {
  peer = await startEwsPeer({
    username: 'CORP\\svc-clawback',
    password: 'pw-1',
    mailboxes: [ABUSE],
    impersonates: [ABUSE],
    findItemPageSize: 40,
  })
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  const c = await api('/api/v1/connectors', 'POST', {
    kind: 'ews',
    name: 'exchange',
    settings: {
      url: peer.url,
      username: 'CORP\\svc-clawback',
      domains: 'corp.test',
      testMailbox: ABUSE,
      caCertificate: peer.ca,
    },
    secrets: { password: 'pw-1' },
    isOnPremises: true,
  })
  expect(c.status, c.error?.message).toBe(201)
  connectorId = c.data.id
}, 60_000)
afterAll(async () => {
  await t?.close()
  await peer?.close()
})

describe('abuse mailbox on Exchange (EWS)', () => {
  it('is created on an ews connector; test connection lists the folder and says it is polled', async () => {
    const bad = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Nowhere',
      settings: { connectorId, mailbox: ABUSE, folder: 'No such folder', intervalSeconds: 5 },
    })
    expect(bad.status).toBe(201)
    const failed = await api(`/api/v1/abuse-mailboxes/${bad.data.id}/test`, 'POST')
    expect(failed.data).toMatchObject({ ok: false })
    expect(failed.data.message).toMatch(/has no folder No such folder/)
    expect((await api(`/api/v1/abuse-mailboxes/${bad.data.id}`, 'DELETE')).status).toBeLessThan(300)

    deliverReport('ann@corp.test', 0, 0)
    const created = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Exchange abuse desk',
      settings: { connectorId, mailbox: ABUSE, intervalSeconds: 5 },
    })
    expect(created.status, created.error?.message).toBe(201)
    sourceId = created.data.id
    const ok = await api(`/api/v1/abuse-mailboxes/${sourceId}/test`, 'POST')
    expect(ok.data).toMatchObject({ ok: true, mode: 'poll', backlog: 1 })
    expect(folders(ALL)).toEqual({ inbox: 1 })
  })

  it('reads every report exactly once across ErrorServerBusy and 503s, a restart mid-mailbox and a crash between store and move', async () => {
    for (let n = 1; n < 150; n++) deliverReport(`user${n % 3}@corp.test`, n, Math.floor(n / 3))
    // a report stored just before a crash, never moved: the next poller must only move it
    const crashedId = deliverReport('zoe@corp.test', 1000, 1000)
    const pre = await ingestAbuseReport(
      t.deps.db,
      t.dataDir,
      { id: sourceId, name: 'Exchange abuse desk', mailbox: ABUSE },
      crashedId,
      Buffer.from(report('zoe@corp.test', 1000, 1000)),
    )
    expect(pre.status).toBe('stored')
    peer.injectBusy(2, 500)
    peer.inject5xx(2)

    let stop = await pollers()
    await waitFor(async () => (await stored()).n >= 50 && true, '50 reports')
    await stop() // a restart mid-mailbox
    expect(folders(ALL).inbox).toBeGreaterThan(0)
    stop = await pollers()
    try {
      await waitFor(async () => folders(ALL)[PROCESSED] === 151 && !folders(ALL).inbox, 'the Inbox to empty')
      expect(await stored()).toEqual({ n: 151, keys: 151, alerts: 151 })

      for (let n = 2000; n < 2004; n++) deliverReport(`late${n}@corp.test`, n, n)
      await waitFor(async () => folders(ALL)[PROCESSED] === 155 && !folders(ALL).inbox, 'the late reports')
      expect(await stored()).toEqual({ n: 155, keys: 155, alerts: 155 })
    } finally {
      await stop()
    }
    const src = (await api(`/api/v1/abuse-mailboxes/${sourceId}`)).data
    expect(src.health).toMatchObject({ backlog: 0, mode: 'poll' })
    expect(src.health.processed).toBeGreaterThanOrEqual(154)
    expect(peer.violations).toEqual([])
  }, 300_000)

  it('links the reports of one phish into one incident with its reporters', async () => {
    const incidentId = await waitFor(async () => {
      const [r] = await t.deps.db.execute<{ incident_id: string | null }>(sql`
        SELECT a.incident_id FROM alert_emails e JOIN alerts a ON a.id = e.alert_id
        WHERE e.message_id = '<invoice-7@corp-pay.example>' AND NOT e.is_abuse_copy AND a.incident_id IS NOT NULL
        LIMIT 1`)
      return r?.incident_id ? Number(r.incident_id) : undefined
    }, 'the incident')
    const reporters = await waitFor(async () => {
      const r = (await api(`/api/v1/incidents/${incidentId}/reporters`)).data as { reporter: string }[]
      return r.length === 3 ? r : undefined
    }, '3 reporters')
    expect(reporters.map((r) => r.reporter).sort()).toEqual(['user0@corp.test', 'user1@corp.test', 'user2@corp.test'])
  }, 120_000)
})
