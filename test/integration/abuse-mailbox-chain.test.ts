import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enrichmentFindings, responseRuns } from '../../core/src/db/schema/index.ts'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import type { AnalysisFinding } from '../../core/src/domain/analysis/analysis-types.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, signInAs } from '../harness/factories.ts'
import { waitFor } from '../harness/wait-for.ts'
import { startEwsPeer } from '../peers/ews.ts'
import { startGmailPeer } from '../peers/gmail.ts'
import { startGraphPeer } from '../peers/graph.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

/**
 * The whole chain on Microsoft 365 (Graph), Google Workspace (Gmail) and Exchange (EWS), driven by
 * one function so the three cannot drift: two users report one phish into the abuse mailbox on the
 * peer → the poller stores both reports and moves them out of the folder → one incident with two
 * reporters → the analysis condition created with the source gives a malicious verdict → the
 * pre-configured condition on that verdict quarantines every copy in the recipients' mailboxes, read
 * back from the peer's own mailbox state (not our records) → the reporters get the templated reply
 * through the SMTP peer. (The same chain on real Dovecot: abuse-mailbox-imap.test.ts.)
 */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/reports')
const BOB_REPORT = readFileSync(path.join(FIXTURES, 'attached-rfc822.eml'), 'utf8')
const ABUSE = 'abuse@corp.example'
/** a second abuse mailbox, set up through the console's form */
const ABUSE2 = 'abuse2@corp.example'
const RECIPIENTS = ['bob@corp.example', 'carol@corp.example', 'dave@corp.example']
const PHISH_ID = '<quota-4711@c0rp-helpdesk.example>'
const QUARANTINE = 'Clawback Quarantine'
const PROCESSED = 'Clawback Processed'

/** The phish of the fixture, as delivered to bob, carol (To) and dave (Cc). */
const PHISH = (() => {
  const start = BOB_REPORT.indexOf('Received: from smtp.c0rp-helpdesk.example')
  const end = BOB_REPORT.lastIndexOf('--=_outer_1--')
  return `${BOB_REPORT.slice(start, end).trimEnd()}\r\n`
})()
/** carol's report of the same phish: the original attached as message/rfc822. */
const CAROL_REPORT = [
  'From: carol@corp.example',
  `To: ${ABUSE}`,
  'Subject: FW: Action required: mailbox quota',
  'Message-ID: <report-carol@corp.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  'Phishing?',
  '--b',
  'Content-Type: message/rfc822',
  'Content-Disposition: attachment; filename="phish.eml"',
  '',
  PHISH,
  '--b--',
  '',
].join('\r\n')
const REPORTS = [
  { reporter: 'bob@corp.example', messageId: '<report-1@corp.example>', raw: BOB_REPORT },
  { reporter: 'carol@corp.example', messageId: '<report-carol@corp.example>', raw: CAROL_REPORT },
]

/** What the chain needs of a platform: its peer, a connector on it, mail delivery and the mailbox as the peer holds it. */
type Platform = {
  name: string
  /** connector kind = the setup form's platform */
  kind: string
  /** the setup form's field labels, in order, and where a report goes for nothing else to read it */
  labels: string[]
  folderName: string
  /** starts the peer with the abuse mailbox and the recipients' mailboxes */
  start(): Promise<{
    connector: { kind: string; settings: Record<string, unknown>; secrets: Record<string, string> }
    /** puts a message into a mailbox's inbox as mail flow would */
    deliver(mailbox: string, m: { messageId: string; from: string; to: string[]; cc?: string[]; raw: string }): void
    /** the folders (Gmail: labels) holding a Message-ID in a mailbox, as the peer holds them; the inbox is `inbox` */
    where(mailbox: string, messageId: string): string[]
    violations: string[]
    close(): Promise<void>
  }>
}

const gmailKeys = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PLATFORMS: Platform[] = [
  {
    name: 'Microsoft 365 (Graph)',
    kind: 'msgraph',
    labels: ['Mailbox (UPN)', 'Folder', 'Processed folder', 'Poll interval (s)'],
    folderName: 'Inbox',
    start: async () => {
      const peer = await startGraphPeer()
      for (const u of [ABUSE, ABUSE2, ...RECIPIENTS]) peer.state.addMailbox(u)
      return {
        connector: {
          kind: 'msgraph',
          settings: {
            tenantId: peer.tenantId,
            clientId: peer.clientId,
            authorityHost: peer.authorityHost,
            graphBaseUrl: peer.baseUrl,
            domains: ['corp.example'],
            caCertificate: peer.ca,
          },
          secrets: { clientSecret: peer.clientSecret },
        },
        deliver: (mailbox, m) => {
          peer.state.deliver(mailbox, {
            internetMessageId: m.messageId,
            from: m.from,
            subject: /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '',
            toRecipients: [...m.to, ...(m.cc ?? [])],
            mime: m.raw,
          })
        },
        where: (mailbox, messageId) => peer.state.locate(mailbox, messageId).map((l) => l.folder),
        violations: peer.violations,
        close: () => peer.close(),
      }
    },
  },
  {
    name: 'Google Workspace (Gmail)',
    kind: 'gmail',
    labels: ['User', 'Label', 'Processed label', 'Poll interval (s)'],
    folderName: 'INBOX',
    start: async () => {
      const clientEmail = 'clawback@corp-sec.iam.gserviceaccount.com'
      const peer = await startGmailPeer({
        clientEmail,
        publicKeyPem: gmailKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        users: [ABUSE, ABUSE2, ...RECIPIENTS, 'admin@corp.example'],
        admin: 'admin@corp.example',
      })
      return {
        connector: {
          kind: 'gmail',
          settings: {
            clientEmail,
            domains: 'corp.example',
            adminSubject: 'admin@corp.example',
            rootUrl: peer.rootUrl,
            adminRootUrl: peer.rootUrl,
            tokenUrl: peer.tokenUrl,
            caCertificate: peer.ca,
          },
          secrets: { privateKey: gmailKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
        },
        deliver: (mailbox, m) => {
          peer.deliver(mailbox, {
            messageId: m.messageId,
            from: m.from,
            to: m.to.join(', '),
            cc: m.cc?.join(', '),
            subject: /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '',
            raw: m.raw,
          })
        },
        where: (mailbox, messageId) => {
          const names = new Map(peer.labels(mailbox).map((l) => [l.id, l.name]))
          return peer
            .messages(mailbox)
            .filter((m) => m.headers.some((h) => h.name === 'Message-ID' && h.value === messageId))
            .flatMap((m) =>
              m.labelIds.filter((l) => l !== 'UNREAD').map((l) => (l === 'INBOX' ? 'inbox' : (names.get(l) ?? l))),
            )
        },
        violations: peer.violations,
        close: () => peer.close(),
      }
    },
  },
  {
    name: 'Exchange (EWS)',
    kind: 'ews',
    labels: ['Mailbox', 'Folder', 'Processed folder', 'Poll interval (s)'],
    folderName: 'inbox',
    start: async () => {
      const boxes = [ABUSE, ABUSE2, ...RECIPIENTS]
      const peer = await startEwsPeer({
        username: 'CORP\\svc-clawback',
        password: 'pw-1',
        mailboxes: boxes,
        impersonates: boxes,
      })
      return {
        connector: {
          kind: 'ews',
          settings: {
            url: peer.url,
            username: 'CORP\\svc-clawback',
            domains: 'corp.example',
            testMailbox: ABUSE,
            caCertificate: peer.ca,
          },
          secrets: { password: 'pw-1' },
        },
        deliver: (mailbox, m) => {
          peer.deliver(mailbox, {
            messageId: m.messageId,
            from: m.from,
            to: m.to,
            cc: m.cc,
            subject: /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '',
            mime: m.raw,
          })
        },
        where: (mailbox, messageId) => peer.find(mailbox, messageId).map((f) => f.folder),
        violations: peer.violations,
        close: () => peer.close(),
      }
    },
  },
]

describe.each(PLATFORMS)('the abuse chain on $name', (platform) => {
  let t: TestApp
  let admin: string
  let smtp: SmtpPeer
  let peer: Awaited<ReturnType<Platform['start']>>
  let stopPollers: (() => Promise<void>) | undefined
  const api = async (p: string, method = 'GET', body?: unknown) => {
    const res = await t.api.request(p, {
      method,
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    // biome-ignore lint/suspicious/noExplicitAny: each step reads the fields it asserts
    return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
  }

  beforeAll(async () => {
    peer = await platform.start()
    smtp = await startSmtpPeer()
    t = await startTestApp()
    admin = await makeApiKey(t.deps.db, ['Admins'])
    const mail = await api('/api/v1/connectors', 'POST', { name: 'mail', isOnPremises: true, ...peer.connector })
    expect(mail.status, mail.error?.message).toBe(201)
    const relay = await api('/api/v1/connectors', 'POST', {
      kind: 'smtp',
      name: 'relay',
      settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
      isOnPremises: true,
    })
    expect(relay.status, relay.error?.message).toBe(201)
    const template = await api('/api/v1/notification-templates', 'POST', {
      name: 'Report verdict',
      subject: 'Thank you for reporting: {{subject}}',
      body: 'The message you reported was found malicious and removed (incident {{incident.id}}).',
    })
    expect(template.status, template.error?.message).toBe(201)
    const source = await api('/api/v1/abuse-mailboxes', 'POST', {
      name: 'Abuse desk',
      settings: { connectorId: mail.data.id, mailbox: ABUSE, folder: 'inbox', intervalSeconds: 5 },
    })
    expect(source.status, source.error?.message).toBe(201)
    const verdict = await api(`/api/v1/sources/${source.data.id}/match-conditions`, 'POST', {
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
    await startWorkers(
      t.deps.boss,
      { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
      2,
      ALL_JOBS,
    )
  }, 120_000)
  afterAll(async () => {
    await stopPollers?.()
    await t?.close()
    await smtp?.close()
    await peer?.close()
  })

  it('report → malicious verdict → every copy quarantined on the peer → reporters mailed', async () => {
    const [to, cc] = [RECIPIENTS.slice(0, 2), RECIPIENTS.slice(2)]
    for (const u of RECIPIENTS)
      peer.deliver(u, { messageId: PHISH_ID, from: 'helpdesk@c0rp-helpdesk.example', to, cc, raw: PHISH })
    for (const r of REPORTS) peer.deliver(ABUSE, { messageId: r.messageId, from: r.reporter, to: [ABUSE], raw: r.raw })
    for (const u of RECIPIENTS) expect(peer.where(u, PHISH_ID), u).toEqual(['inbox'])
    stopPollers = await startAbusePollers(
      { db: t.deps.db, keyring: t.deps.keyring, dataDir: t.dataDir, log: t.deps.log },
      { refreshMs: 200, leaseSeconds: 6, maxBackoffMs: 2000 },
    )

    // both reports read from the peer's abuse mailbox and moved out of its inbox
    await waitFor(
      async () => REPORTS.every((r) => peer.where(ABUSE, r.messageId).join() === PROCESSED),
      'the reports in the processed folder',
    )
    // one incident, two reporters
    const incidentId = await waitFor(async () => {
      const [row] = await t.deps.db.execute<{ incident_id: string }>(sql`
        SELECT a.incident_id FROM alert_emails e JOIN alerts a ON a.id = e.alert_id
        WHERE e.message_id = ${PHISH_ID} AND NOT e.is_abuse_copy AND a.incident_id IS NOT NULL LIMIT 1`)
      return row ? Number(row.incident_id) : undefined
    }, 'the incident')
    const reporters = await waitFor(async () => {
      const r = (await api(`/api/v1/incidents/${incidentId}/reporters`)).data as { reporter: string }[]
      return r.length === 2 ? r.map((x) => x.reporter).sort() : undefined
    }, 'two reporters')
    expect(reporters).toEqual(['bob@corp.example', 'carol@corp.example'])

    // the analysis condition created with the source: malicious
    const finding = await waitFor(async () => {
      const [f] = await t.deps.db
        .select()
        .from(enrichmentFindings)
        .where(and(eq(enrichmentFindings.incidentId, incidentId), eq(enrichmentFindings.kind, 'message_verdict')))
      return f?.data as AnalysisFinding | undefined
    }, 'the verdict')
    expect(finding.disposition).toBe('malicious')

    // the verdict's condition pulled every copy: where the peer now holds them
    await waitFor(async () => {
      const [run] = await t.deps.db
        .select()
        .from(responseRuns)
        .where(and(eq(responseRuns.incidentId, incidentId), eq(responseRuns.responseType, 'mail.quarantine')))
      return run?.status === 'succeeded' || run?.status === 'failed' || run?.status === 'partial' ? run : undefined
    }, 'the quarantine run')
    for (const u of RECIPIENTS) expect(peer.where(u, PHISH_ID), u).toEqual([QUARANTINE])
    // the abuse mailbox is exempt: the reports stay where the poller put them
    for (const r of REPORTS) expect(peer.where(ABUSE, r.messageId)).toEqual([PROCESSED])

    // the reporters got the templated reply
    const feedback = await waitFor(
      async () => smtp.messages.find((m) => m.mail.subject?.startsWith('Thank you for reporting')),
      'the feedback mail',
    )
    expect(feedback.envelopeTo.sort()).toEqual(['bob@corp.example', 'carol@corp.example'])
    expect(feedback.mail.subject).toBe('Thank you for reporting: Action required: mailbox quota')
    expect(feedback.mail.text).toContain(`found malicious and removed (incident ${incidentId})`)
    expect(peer.violations).toEqual([])
  }, 180_000)

  it('is set up from its own form: the platform fields, Test connection before saving, then its page with the health line', async () => {
    const s = await signInAs(t.api, (await makeUser(t.deps.db, ['Admins'])).user.username)
    const get = async (p: string) => (await t.api.request(p, { headers: { cookie: s.cookie } })).text()
    const post = (p: string, form: Record<string, string>) =>
      t.api.request(p, {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form, _csrf: s.csrf }),
      })
    const list = await get('/sources')
    expect(list).toContain(`href="/sources/abuse-mailbox/new?platform=${platform.kind}"`)
    // the list shows the chain's source with its health line
    expect(list).toMatch(/class="muted abuse-health">last poll \d{4}-\d\d-\d\d \d\d:\d\d · backlog 0</)
    const form = await get(`/sources/abuse-mailbox/new?platform=${platform.kind}`)
    const labels = [...form.matchAll(/<label>([^<]+?) <(?:input|select)/g)].map((m) => m[1])
    expect(labels).toEqual(['Name', 'Connector', ...platform.labels])
    const connectorId = /<option value="(\d+)">mail \(/.exec(form)?.[1]
    expect(connectorId, "the platform's connector offered").toBeDefined()
    expect(form).not.toContain('relay (smtp)')
    const values = { platform: platform.kind, name: 'Second desk', connectorId: connectorId!, mailbox: ABUSE2 }

    // Test connection on settings not saved yet: a missing folder, then the right one
    const bad = await (await post('/sources/abuse-mailbox/test', { ...values, folder: 'No such folder' })).text()
    expect(bad).toMatch(/class="notice bad" role="status">[^<]*No such folder/)
    expect(bad).toContain(`value="${ABUSE2}"`) // the form keeps what was typed
    const ok = await (await post('/sources/abuse-mailbox/test', { ...values, folder: platform.folderName })).text()
    expect(ok).toMatch(
      new RegExp(
        `class="notice ok" role="status">${ABUSE2.replace('.', '\\.')} ${platform.folderName}: 0 message\\(s\\) waiting; new mail polled every 60 s`,
      ),
    )
    expect((await api('/api/v1/abuse-mailboxes')).data).toHaveLength(1) // nothing saved

    // a field error names the field and keeps the form; a connector of another platform is refused
    const invalid = await post('/sources/abuse-mailbox', { ...values, intervalSeconds: '2' })
    expect(invalid.status).toBe(422)
    expect(await invalid.text()).toMatch(
      /name="intervalSeconds"[^>]*value="2"[^>]*>[^<]*<span class="muted">[^<]*<\/span><span class="field-error" role="alert">/,
    )
    const relayId = (await api('/api/v1/connectors')).data.find((c: { kind: string }) => c.kind === 'smtp').id
    const foreign = await post('/sources/abuse-mailbox', { ...values, connectorId: String(relayId) })
    expect(foreign.status).toBe(422)
    expect(await foreign.text()).toMatch(/<span class="field-error" role="alert">(not a|a smtp connector)/)
    const unknown = await get('/sources/abuse-mailbox/new?platform=pop3')
    expect(unknown).toContain('platform: one of imap, msgraph, gmail, ews')

    // created: its page shows what it reads, its health line and Test connection
    const created = await post('/sources/abuse-mailbox', {
      ...values,
      folder: platform.folderName,
      intervalSeconds: '30',
    })
    expect(created.status).toBe(303)
    const id = Number(/\/sources\/(\d+)$/.exec(created.headers.get('location') ?? '')?.[1])
    expect((await api(`/api/v1/abuse-mailboxes/${id}`)).data.settings).toMatchObject({
      mailbox: ABUSE2,
      folder: platform.folderName,
      intervalSeconds: 30,
    })
    await waitFor(async () => (await api(`/api/v1/abuse-mailboxes/${id}`)).data.health.lastPollAt, 'its first poll')
    const shown = await get(`/sources/${id}`)
    expect(shown).toMatch(/id="abuse-health">Last poll \d{4}-\d\d-\d\d \d\d:\d\d · backlog 0 · processed 0</)
    expect(shown).toContain(`action="/sources/${id}/test"`)
    expect((await api(`/api/v1/abuse-mailboxes/${id}`, 'PATCH', { isEnabled: false })).data.isEnabled).toBe(false)
  }, 120_000)
})
