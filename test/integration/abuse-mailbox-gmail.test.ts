import { generateKeyPairSync } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import { ingestAbuseReport } from '../../core/src/domain/abuse/ingest-abuse-report.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { waitFor } from '../harness/wait-for.ts'
import { eml } from '../peers/dovecot.ts'
import { startGmailPeer } from '../peers/gmail.ts'

/**
 * Google Workspace abuse mailboxes through the gmail connector (@googleapis/gmail and
 * google-auth-library's delegated JWT against the loopback Gmail peer): the INBOX label is listed
 * page by page, each report's bytes come from messages.get format=raw, and a processed report is
 * relabelled (processed label on, INBOX off). Injected 429s and 503s show on the health line and
 * lose nothing; a poller stopped mid-mailbox and started afresh stores every report exactly once,
 * and a report recorded just before a crash is only relabelled.
 */
const ABUSE = 'abuse@acme.test'
const PROCESSED = 'Clawback Processed'
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 })
const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()
const clientEmail = 'clawback@acme-sec.iam.gserviceaccount.com'
let t: TestApp
let admin: string
let peer: Awaited<ReturnType<typeof startGmailPeer>>
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
    `Message-ID: <report-${n}@acme.test>`,
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
      from: 'billing@acme-pay.example',
      to: reporter,
      subject: `Invoice ${phish}`,
      messageId: `<invoice-${phish}@acme-pay.example>`,
      body: `Pay now: https://acme-pay.example/pay/${phish}`,
    }),
    '--b--',
    '',
  ].join('\r\n')
const deliverReport = (reporter: string, n: number, phish: number) =>
  peer.deliver(ABUSE, {
    from: reporter,
    to: ABUSE,
    subject: `FW: Invoice ${phish}`,
    messageId: `<report-${n}@acme.test>`,
    date: new Date(Date.now() + n),
    raw: report(reporter, n, phish),
  })
/** label name → how many messages of the abuse mailbox carry it */
const labelled = () => {
  const names = new Map(peer.labels(ABUSE).map((l) => [l.id, l.name]))
  const out: Record<string, number> = {}
  for (const m of peer.messages(ABUSE))
    for (const l of m.labelIds) out[names.get(l) ?? l] = (out[names.get(l) ?? l] ?? 0) + 1
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
    { refreshMs: 200, leaseSeconds: 6, maxBackoffMs: 2000, batch: 50 },
  )

beforeAll(async () => {
  peer = await startGmailPeer({
    clientEmail,
    publicKeyPem,
    users: [ABUSE, 'admin@acme.test'],
    admin: 'admin@acme.test',
    pageSize: 50,
  })
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  const c = await api('/api/v1/connectors', 'POST', {
    kind: 'gmail',
    name: 'workspace',
    settings: {
      clientEmail,
      domains: 'acme.test',
      adminSubject: 'admin@acme.test',
      rootUrl: peer.rootUrl,
      adminRootUrl: peer.rootUrl,
      tokenUrl: peer.tokenUrl,
      caCertificate: peer.ca,
    },
    secrets: { privateKey },
    isOnPremises: true,
  })
  expect(c.status, c.error?.message).toBe(201)
  connectorId = c.data.id
}, 60_000)
afterAll(async () => {
  await t?.close()
  await peer?.close()
})

describe('abuse mailbox on Google Workspace (Gmail)', () => {
  it('is created on a gmail connector; test connection lists the label and says it is polled', async () => {
    const bad = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Nowhere',
      settings: { connectorId, mailbox: ABUSE, folder: 'No such label', intervalSeconds: 5 },
    })
    expect(bad.status).toBe(201)
    const failed = await api(`/api/v1/abuse-mailboxes/${bad.data.id}/test`, 'POST')
    expect(failed.data).toMatchObject({ ok: false })
    expect(failed.data.message).toMatch(/has no label No such label/)
    expect((await api(`/api/v1/abuse-mailboxes/${bad.data.id}`, 'DELETE')).status).toBeLessThan(300)

    deliverReport('ann@acme.test', 0, 0)
    const created = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Workspace abuse desk',
      settings: { connectorId, mailbox: ABUSE, intervalSeconds: 5 },
    })
    expect(created.status, created.error?.message).toBe(201)
    sourceId = created.data.id
    const ok = await api(`/api/v1/abuse-mailboxes/${sourceId}/test`, 'POST')
    expect(ok.data).toMatchObject({ ok: true, mode: 'poll', backlog: 1 })
    expect(labelled()).toMatchObject({ INBOX: 1 })
  })

  it('reads every report exactly once across 429s and 503s, a restart mid-mailbox and a crash between store and relabel', async () => {
    for (let n = 1; n < 150; n++) deliverReport(`user${n % 3}@acme.test`, n, Math.floor(n / 3))
    // a report stored just before a crash, never relabelled: the next poller must only relabel it
    const crashedId = deliverReport('zoe@acme.test', 1000, 1000)
    const pre = await ingestAbuseReport(
      t.deps.db,
      t.dataDir,
      { id: sourceId, name: 'Workspace abuse desk', mailbox: ABUSE },
      crashedId,
      Buffer.from(report('zoe@acme.test', 1000, 1000)),
    )
    expect(pre.status).toBe('stored')
    peer.inject(429, 3, /\/messages\//)
    peer.inject(503, 2, /\/messages$/)

    let stop = await pollers()
    await waitFor(async () => (await stored()).n >= 50 && true, '50 reports')
    await stop() // a restart mid-mailbox
    expect(labelled().INBOX).toBeGreaterThan(0)
    stop = await pollers()
    try {
      await waitFor(async () => labelled()[PROCESSED] === 151 && !labelled().INBOX, 'the INBOX label to empty')
      expect(await stored()).toEqual({ n: 151, keys: 151, alerts: 151 })

      for (let n = 2000; n < 2004; n++) deliverReport(`late${n}@acme.test`, n, n)
      await waitFor(async () => labelled()[PROCESSED] === 155 && !labelled().INBOX, 'the late reports')
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
        WHERE e.message_id = '<invoice-7@acme-pay.example>' AND NOT e.is_abuse_copy AND a.incident_id IS NOT NULL
        LIMIT 1`)
      return r?.incident_id ? Number(r.incident_id) : undefined
    }, 'the incident')
    const reporters = await waitFor(async () => {
      const r = (await api(`/api/v1/incidents/${incidentId}/reporters`)).data as { reporter: string }[]
      return r.length === 3 ? r : undefined
    }, '3 reporters')
    expect(reporters.map((r) => r.reporter).sort()).toEqual(['user0@acme.test', 'user1@acme.test', 'user2@acme.test'])
  }, 120_000)
})
