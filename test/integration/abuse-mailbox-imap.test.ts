import { readFileSync } from 'node:fs'
import path from 'node:path'
import { and, eq, sql } from 'drizzle-orm'
import { ImapFlow } from 'imapflow'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { abuseReports, enrichmentFindings, matchConditions, responseRuns } from '../../core/src/db/schema/index.ts'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import type { AnalysisFinding } from '../../core/src/domain/analysis/analysis-types.ts'
import { readExemptions } from '../../core/src/domain/quarantine/exempt-from-quarantine.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, signInAs } from '../harness/factories.ts'
import { waitFor } from '../harness/wait-for.ts'
import { type DovecotPeer, startDovecot } from '../peers/dovecot.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

/**
 * Abuse mailboxes end to end on a real Dovecot: user reports in every fixture format are saved into
 * the abuse mailbox → the poller (IMAP IDLE) stores each exactly once and moves it to the processed
 * folder → incidents linked by the original's Message-ID with their reporters → the analysis
 * condition created with the source gives a malicious verdict → a condition on the verdict pulls
 * every copy out of the recipients' mailboxes (read back over IMAP) and mails the reporters (SMTP).
 */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/reports')
const fixture = (f: string) => readFileSync(path.join(FIXTURES, f), 'utf8')
const ABUSE = 'abuse@corp.example'
const USERS = [ABUSE, ...['bob', 'carol', 'dave', 'erin', 'frank'].map((u) => `${u}@corp.example`)]
const PHISH_ID = '<quota-4711@c0rp-helpdesk.example>'
const Q = 'Clawback Quarantine'
const PROCESSED = 'Clawback Processed'
let t: TestApp
let admin: string
let peer: DovecotPeer
let smtp: SmtpPeer
let imapConnector: number
let stopPollers: () => Promise<void>

const api = async (p: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(p, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const type = res.headers.get('content-type') ?? ''
  // biome-ignore lint/suspicious/noExplicitAny: the answers differ per route; each test reads the fields it asserts
  if (!type.includes('json')) return { status: res.status, text: await res.text(), type } as any
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
}
/** folder → Message-IDs, as the user sees the mailbox logged in as themselves. */
const userView = async (mailbox: string) => {
  const c = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: mailbox, pass: peer.passwords[mailbox]! },
    logger: false,
  })
  await c.connect()
  const view: Record<string, string[]> = {}
  try {
    for (const f of await c.list()) {
      const box = await c.mailboxOpen(f.path, { readOnly: true })
      if (!box.exists) continue
      const rows = (await c.fetchAll('1:*', { envelope: true })) as { envelope?: { messageId?: string } }[]
      view[f.path] = rows.map((r) => r.envelope?.messageId ?? '')
    }
  } finally {
    await c.logout()
  }
  return view
}
const compose = (mail: ConstructorParameters<typeof MailComposer>[0]) =>
  new MailComposer(mail).compile().build() as Promise<Buffer>
/** The phish of the attached-rfc822 fixture, as another reporter forwards it as an attachment. */
const phishOriginal = () => {
  const raw = fixture('attached-rfc822.eml')
  const start = raw.indexOf('Received: from smtp.c0rp-helpdesk.example')
  const end = raw.lastIndexOf('--=_outer_1--')
  return raw.slice(start, end).trimEnd()
}
const reportFrom = (reporter: string, n: number) =>
  compose({
    from: reporter,
    to: ABUSE,
    subject: 'FW: Action required: mailbox quota',
    messageId: `<report-${n}-${reporter}>`,
    text: 'Phishing?',
    attachments: [
      {
        filename: 'phish.eml',
        content: phishOriginal(),
        contentType: 'message/rfc822',
        contentDisposition: 'attachment',
      },
    ],
  })
const reportersOf = async (incidentId: number) =>
  ((await api(`/api/v1/incidents/${incidentId}/reporters`)).data as { reporter: string }[])
    .map((r) => r.reporter)
    .sort()
const incidentOfMessage = (messageId: string) =>
  waitFor(async () => {
    const [row] = await t.deps.db.execute<{ incident_id: string }>(sql`
      SELECT a.incident_id FROM alert_emails e JOIN alerts a ON a.id = e.alert_id
      WHERE e.message_id = ${messageId} AND NOT e.is_abuse_copy AND a.incident_id IS NOT NULL LIMIT 1`)
    return row ? Number(row.incident_id) : undefined
  }, `for the incident of ${messageId}`)

beforeAll(async () => {
  peer = await startDovecot({ users: USERS })
  smtp = await startSmtpPeer()
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  const imap = await api('/api/v1/connectors', 'POST', {
    kind: 'imap',
    name: 'dovecot',
    settings: {
      host: peer.host,
      port: peer.port,
      security: 'none',
      domains: ['corp.example'],
      masterUser: peer.master.name,
      testMailbox: ABUSE,
    },
    secrets: { masterPassword: peer.master.password },
    isOnPremises: true,
  })
  expect(imap.status, imap.error?.message).toBe(201)
  imapConnector = imap.data.id
  const relay = await api('/api/v1/connectors', 'POST', {
    kind: 'smtp',
    name: 'relay',
    settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
    isOnPremises: true,
  })
  expect(relay.status, relay.error?.message).toBe(201)
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
  const template = await api('/api/v1/notification-templates', 'POST', {
    name: 'Report verdict',
    subject: 'Thank you for reporting: {{subject}}',
    body: 'The message you reported was found malicious and removed (incident {{incident.id}}).',
  })
  expect(template.status, template.error?.message).toBe(201)
  const created = await api('/api/v1/abuse-mailboxes', 'POST', {
    name: 'Abuse desk',
    settings: { connectorId: imapConnector, mailbox: ABUSE, intervalSeconds: 30 },
  })
  expect(created.status, created.error?.message).toBe(201)
  const verdict = await api(`/api/v1/sources/${created.data.id}/match-conditions`, 'POST', {
    name: 'Malicious: pull every copy, tell the reporters',
    condition: { field: 'incident.abuse_disposition', op: 'eq', value: 'malicious' },
    responses: [
      { type: 'mail.quarantine', params: {} },
      {
        type: 'email.notify',
        params: { connectorId: relay.data.id, templateId: template.data.id, toRecipients: false, toReporters: true },
      },
    ],
    isAutomatic: true,
    isEnabled: true,
  })
  expect(verdict.status, verdict.error?.message).toBe(201)
  stopPollers = await startAbusePollers(
    { db: t.deps.db, keyring: t.deps.keyring, dataDir: t.dataDir, log: t.deps.log },
    { refreshMs: 200, leaseSeconds: 6 },
  )
}, 120_000)
afterAll(async () => {
  await stopPollers?.()
  await t?.close()
  await smtp?.close()
  await peer?.stop()
})

describe('abuse mailbox sources', () => {
  it('creating one adds its analysis condition and exempts its address from quarantine; bad settings name the field', async () => {
    const [source] = (await api('/api/v1/abuse-mailboxes')).data
    expect(source).toMatchObject({ name: 'Abuse desk', type: 'abuse_mailbox', isEnabled: true })
    expect(source.settings).toMatchObject({ mailbox: ABUSE, folder: 'INBOX', processedFolder: PROCESSED })
    const conditions = await t.deps.db.select().from(matchConditions).where(eq(matchConditions.sourceId, source.id))
    expect(conditions.map((c) => [c.name, (c.responses as { type: string }[]).map((r) => r.type)])).toEqual([
      ['Submit user reports for analysis', ['analysis.submit']],
      ['Malicious: pull every copy, tell the reporters', ['mail.quarantine', 'email.notify']],
    ])
    expect((await readExemptions(t.deps.db)).has(ABUSE)).toBe(true)
    const bad = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Broken',
      settings: { connectorId: imapConnector, mailbox: 'not an address' },
    })
    expect(bad.status).toBe(400)
    expect(bad.error.message).toMatch(/^settings\.mailbox/)
    expect(bad.error.message).not.toContain('not an address')
    const smtpKind = (await api('/api/v1/connectors')).data.find((c: { kind: string }) => c.kind === 'smtp').id
    const cannot = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Broken',
      settings: { connectorId: smtpKind, mailbox: 'x@corp.example' },
    })
    expect(cannot.status).toBe(400)
    expect(cannot.error.message).toMatch(/^settings\.connectorId: a smtp connector cannot read mailboxes/)
  })

  it('test connection logs in, opens the folder and says how new mail is awaited (IDLE)', async () => {
    const [source] = (await api('/api/v1/abuse-mailboxes')).data
    const ok = await api(`/api/v1/abuse-mailboxes/${source.id}/test`, 'POST')
    expect(ok.status).toBe(200)
    expect(ok.data).toMatchObject({ ok: true, mode: 'idle' })
  })

  it('reports in every format → one incident per original, reporters listed, malicious verdict → every copy pulled → reporters mailed', async () => {
    // the phish was delivered to bob, carol and dave (To/Cc of the original)
    const phish = phishOriginal()
    for (const u of ['bob', 'carol', 'dave']) await peer.save(`${u}@corp.example`, phish)
    // three users report it; the other fixtures are one report each
    await peer.save(ABUSE, fixture('attached-rfc822.eml'))
    await peer.save(ABUSE, (await reportFrom('carol@corp.example', 1)).toString())
    await peer.save(ABUSE, (await reportFrom('dave@corp.example', 2)).toString())
    const others = [
      'forward-outlook.eml',
      'forward-gmail.eml',
      'forward-apple.eml',
      'forward-thunderbird.eml',
      'forward-nested.eml',
      'forward-latin1.eml',
      'malformed.eml',
      'bulk-newsletter.eml',
      'clean.eml',
    ]
    for (const f of others) await peer.save(ABUSE, fixture(f))
    const msgReport = await compose({
      from: 'Frank <frank@corp.example>',
      to: ABUSE,
      subject: '3|Your account is limited',
      text: 'This message was reported by the user as phishing.',
      attachments: [
        {
          filename: 'Your account is limited.msg',
          content: readFileSync(path.join(FIXTURES, 'phish.msg')),
          contentType: 'application/vnd.ms-outlook',
        },
      ],
    })
    await peer.save(ABUSE, msgReport.toString('latin1'))
    const total = 3 + others.length + 1

    // every report stored once, the abuse folder emptied into the processed folder
    await waitFor(async () => {
      const [{ n }] = (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(abuseReports)) as [{ n: number }]
      return n === total
    }, 'for every report')
    const view = await waitFor(async () => {
      const v = await userView(ABUSE)
      return !v.INBOX && v[PROCESSED]?.length === total ? v : undefined
    }, 'for the processed folder')
    expect(view[PROCESSED]).toHaveLength(total)
    const formats = (await t.deps.db.select({ f: abuseReports.originalFormat }).from(abuseReports)).map((r) => r.f)
    expect(new Set(formats)).toEqual(new Set(['rfc822', 'msg', 'forwarded-inline', 'direct']))

    // one incident for the three reports of the phish, with its three reporters
    const incidentId = await incidentOfMessage(PHISH_ID)
    await waitFor(async () => (await reportersOf(incidentId)).length === 3, 'for 3 reporters')
    expect(await reportersOf(incidentId)).toEqual(['bob@corp.example', 'carol@corp.example', 'dave@corp.example'])

    // the analysis condition created with the source gave the verdict
    const finding = await waitFor(async () => {
      const [f] = await t.deps.db
        .select()
        .from(enrichmentFindings)
        .where(and(eq(enrichmentFindings.incidentId, incidentId), eq(enrichmentFindings.kind, 'message_verdict')))
      return f?.data as AnalysisFinding | undefined
    }, 'for the verdict')
    expect(finding).toMatchObject({ disposition: 'malicious', messageId: 'quota-4711@c0rp-helpdesk.example' })

    // the verdict pulled every copy: read back over IMAP as each user
    await waitFor(async () => {
      const [run] = await t.deps.db
        .select()
        .from(responseRuns)
        .where(and(eq(responseRuns.incidentId, incidentId), eq(responseRuns.responseType, 'mail.quarantine')))
      return run?.status === 'succeeded'
    }, 'for the quarantine run')
    for (const u of ['bob', 'carol', 'dave']) {
      const v = await userView(`${u}@corp.example`)
      expect(v[Q], u).toEqual([PHISH_ID])
      expect(v.INBOX ?? [], u).not.toContain(PHISH_ID)
    }
    // the abuse mailbox is exempt: the reports stay where the poller put them
    expect((await userView(ABUSE))[PROCESSED]).toHaveLength(total)

    // the reporters got the feedback mail
    const feedback = await waitFor(async () => {
      const m = smtp.messages.find((x) => x.mail.subject?.startsWith('Thank you for reporting'))
      return m
    }, 'for the feedback mail')
    expect(feedback.envelopeTo.sort()).toEqual(['bob@corp.example', 'carol@corp.example', 'dave@corp.example'])
    expect(feedback.mail.text).toContain(`found malicious and removed (incident ${incidentId})`)
  }, 180_000)

  it('the report and the extracted original are downloadable (native and compatible API)', async () => {
    const incidentId = await incidentOfMessage(PHISH_ID)
    const [first] = (await api(`/api/v1/incidents/${incidentId}/reporters`)).data
    const original = await api(`/api/v1/alerts/${first.alertId}/download_original_msg`)
    expect(original.status).toBe(200)
    expect(original.type).toBe('message/rfc822')
    expect(original.text).toContain(`Message-ID: ${PHISH_ID}`)
    expect(original.text).not.toContain('Phishing?')
    const report = await api(`/api/v1/abuse-reports/${first.id}/report`)
    expect(report.status).toBe(200)
    expect(report.text).toContain('Subject: FW: Action required: mailbox quota')
    const orig2 = await api(`/api/v1/abuse-reports/${first.id}/original`)
    expect(orig2.text).toBe(original.text)
    // the incident page lists the reporters with both downloads
    const s = await signInAs(t.api, (await makeUser(t.deps.db, ['Analysts'])).user.username)
    const page = await (await t.api.request(`/incidents/${incidentId}`, { headers: { cookie: s.cookie } })).text()
    expect(page).toContain('id="incident-reporters"')
    for (const r of ['bob@corp.example', 'carol@corp.example', 'dave@corp.example']) expect(page).toContain(r)
    expect(page).toContain(`/api/v1/abuse-reports/${first.id}/original`)
    expect((await api('/api/v1/abuse-reports/999999/report')).status).toBe(404)
  })

  it('the health line shows the last poll, the backlog and how mail is awaited', async () => {
    const [source] = (await api('/api/v1/abuse-mailboxes')).data
    expect(source.health).toMatchObject({ backlog: 0, mode: 'idle', lastError: null, failures: 0 })
    expect(source.health.processed).toBeGreaterThan(0)
    expect(Date.now() - Date.parse(source.health.lastPollAt)).toBeLessThan(60_000)
    // the same on the source page, with its test connection button
    const s = await signInAs(t.api, (await makeUser(t.deps.db, ['Admins'])).user.username)
    const page = await (await t.api.request(`/sources/${source.id}`, { headers: { cookie: s.cookie } })).text()
    expect(page).toMatch(/id="abuse-health">Last poll \d{4}-\d\d-\d\d \d\d:\d\d · backlog 0 · processed \d+</)
    expect(page).toContain(`action="/sources/${source.id}/test"`)
  })

  it('a failing mailbox shows its error on its health line and does not stop the others', async () => {
    const broken = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Nobody',
      settings: { connectorId: imapConnector, mailbox: 'nobody@corp.example' },
    })
    expect(broken.status).toBe(201)
    const health = await waitFor(async () => {
      const h = (await api(`/api/v1/abuse-mailboxes/${broken.data.id}`)).data.health
      return h.failures > 0 ? h : undefined
    }, 'for the error')
    expect(health.lastError).toMatch(/login to nobody@corp.example refused/)
    const test = await api(`/api/v1/abuse-mailboxes/${broken.data.id}/test`, 'POST')
    expect(test.data).toMatchObject({ ok: false })
    // the working mailbox still reads new reports
    await peer.save(ABUSE, (await reportFrom('erin@corp.example', 3)).toString())
    const incidentId = await incidentOfMessage(PHISH_ID)
    await waitFor(async () => (await reportersOf(incidentId)).includes('erin@corp.example'), 'for erin')
    expect((await api(`/api/v1/abuse-mailboxes/${broken.data.id}`, 'PATCH', { isEnabled: false })).data.isEnabled).toBe(
      false,
    )
  }, 120_000)

  it('the IMAP setup form: its fields, IMAP connectors only, Test connection before saving, field errors kept, then its page', async () => {
    const s = await signInAs(t.api, (await makeUser(t.deps.db, ['Admins'])).user.username)
    const post = (form: Record<string, string>, suffix = '') =>
      t.api.request(`/sources/abuse-mailbox${suffix}`, {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form, _csrf: s.csrf }),
      })
    const list = await (await t.api.request('/sources', { headers: { cookie: s.cookie } })).text()
    expect(list).toContain('id="new-abuse-mailbox"')
    expect(list).toContain('href="/sources/abuse-mailbox/new?platform=imap">IMAP</a> <span class="muted">(1 connector)')
    const setup = await (
      await t.api.request('/sources/abuse-mailbox/new?platform=imap', { headers: { cookie: s.cookie } })
    ).text()
    expect([...setup.matchAll(/<label>([^<]+?) <(?:input|select)/g)].map((m) => m[1])).toEqual([
      'Name',
      'Connector',
      'Mailbox (login)',
      'Folder',
      'Processed folder',
    ])
    expect(setup).toContain(`<option value="${imapConnector}">dovecot (imap)</option>`)
    expect(setup).not.toContain('relay (smtp)') // cannot read mailboxes
    const tried = await post({ platform: 'imap', connectorId: String(imapConnector), mailbox: ABUSE }, '/test')
    expect(await tried.text()).toMatch(
      /class="notice ok" role="status">abuse@corp\.example INBOX: \d+ message\(s\) waiting; new mail pushed \(IDLE\)/,
    )
    const form = {
      platform: 'imap',
      name: 'Frank desk',
      connectorId: String(imapConnector),
      mailbox: 'not-an-address',
      intervalSeconds: '30',
    }
    const bad = await post(form)
    expect(bad.status).toBe(422)
    const badPage = await bad.text()
    expect(badPage).toMatch(
      /name="mailbox"[^>]*value="not-an-address"[^>]*> <span class="muted">[^<]*<\/span><span class="field-error" role="alert">/,
    )
    const ok = await post({ ...form, mailbox: 'frank@corp.example' })
    expect(ok.status).toBe(303)
    const id = Number(/\/sources\/(\d+)$/.exec(ok.headers.get('location') ?? '')?.[1])
    expect((await api(`/api/v1/abuse-mailboxes/${id}`)).data.settings).toMatchObject({
      mailbox: 'frank@corp.example',
      folder: 'INBOX',
      intervalSeconds: 30,
    })
    const tested = await t.api.request(`/sources/${id}/test`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf }),
    })
    expect(await tested.text()).toMatch(
      /role="status">frank@corp\.example INBOX: 0 message\(s\) waiting; new mail pushed \(IDLE\)/,
    )
    expect((await api(`/api/v1/abuse-mailboxes/${id}`, 'PATCH', { isEnabled: false })).data.isEnabled).toBe(false)
  })
})
