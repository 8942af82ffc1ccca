import { and, eq } from 'drizzle-orm'
import { ImapFlow } from 'imapflow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertEmails, alerts, responseRuns } from '../../core/src/db/schema/index.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { type DovecotPeer, eml, startDovecot } from '../peers/dovecot.ts'
import { type SambaPeer, SEED, startSambaPeer, USER_PASSWORD } from '../peers/samba.ts'

/**
 * Distribution-list expansion inside the quarantine flow, end to end on real peers: a JSON alert
 * whose recipient is a group address → match condition → mail.quarantine, which asks the `ad`
 * connector (real Samba AD DC: nested groups through the in-chain rule, disabled accounts left
 * out) for the group's members and pulls the message out of every member's mailbox on a real
 * Dovecot; verified by logging in to each mailbox over IMAP. One Samba for this file (slow start).
 */
const D = 'corp.example.test'
const mailboxes = Object.values(SEED.users).filter((m): m is string => m !== null)
const [ALICE, BOB, DAVE, ERIN, GRACE, OUTSIDER] = ['alice', 'bob', 'dave', 'erin', 'grace', 'outsider'].map(
  (u) => `${u}@${D}`,
) as [string, string, string, string, string, string]
const Q = 'Clawback Quarantine'
let t: TestApp
let admin: string
let dovecot: DovecotPeer
let samba: SambaPeer
let src: Awaited<ReturnType<typeof makeJsonSource>>

const api = async (path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
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
/** What the user sees, logged in as themselves: folder → [Message-ID, \Seen][] (non-empty folders). */
const userView = async (mailbox: string) => {
  const c = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    auth: { user: mailbox, pass: dovecot.passwords[mailbox]! },
    logger: false,
  })
  await c.connect()
  const view: Record<string, [string, boolean][]> = {}
  try {
    for (const f of await c.list()) {
      const box = await c.mailboxOpen(f.path, { readOnly: true })
      if (!box.exists) continue
      const rows = (await c.fetchAll('1:*', { envelope: true, flags: true })) as {
        envelope?: { messageId?: string }
        flags?: Set<string>
      }[]
      view[f.path] = rows.map((r) => [r.envelope?.messageId ?? '', r.flags?.has('\\Seen') ?? false])
    }
  } finally {
    await c.logout()
  }
  return view
}
const runOf = (incidentId: number, status: string) =>
  waitFor(async () => {
    const [run] = await t.deps.db
      .select()
      .from(responseRuns)
      .where(and(eq(responseRuns.incidentId, incidentId), eq(responseRuns.responseType, 'mail.quarantine')))
    return run?.status === status ? run : undefined
  })

beforeAll(async () => {
  samba = await startSambaPeer()
  console.info(`samba peer ready in ${samba.startMs} ms`)
  dovecot = await startDovecot({ users: mailboxes })
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  const imap = await api('/api/v1/connectors', 'POST', {
    kind: 'imap',
    name: 'dovecot',
    settings: {
      host: dovecot.host,
      port: dovecot.port,
      security: 'none',
      domains: [D],
      masterUser: dovecot.master.name,
      testMailbox: ALICE,
    },
    secrets: { masterPassword: dovecot.master.password },
    isOnPremises: true,
  })
  expect(imap.status, JSON.stringify(imap)).toBe(201)
  const ad = await api('/api/v1/connectors', 'POST', {
    kind: 'ad',
    name: 'samba dc',
    settings: { url: samba.ldapsUrl, baseDn: samba.baseDn, bindDn: samba.upn('outsider'), caCertificate: samba.caPem },
    secrets: { bindPassword: USER_PASSWORD },
    isOnPremises: true,
  })
  expect(ad.status, JSON.stringify(ad)).toBe(201)
  src = await makeJsonSource(t)
  const cond = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
    name: 'Pull phish',
    condition: { field: 'classification', op: 'eq', value: 'phish' },
    responses: [{ type: 'mail.quarantine', params: {} }],
    isAutomatic: true,
    isEnabled: true,
  })
  expect(cond.status).toBe(201)
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
}, 600_000)
afterAll(async () => {
  await t?.close()
  await dovecot?.stop()
  await samba?.stop()
})

describe('quarantine of a message sent to a distribution list (Samba AD + Dovecot)', () => {
  it('expands the group through nested groups, skips the disabled member, pulls every member copy and undo restores them', async () => {
    const mid = '<dl-phish-1@evil.example>'
    // the list delivered one copy to every member, the disabled dave and the non-member outsider too
    for (const m of [ALICE, BOB, DAVE, ERIN, GRACE, OUTSIDER])
      await dovecot.save(
        m,
        eml({ from: 'bad@evil.example', to: 'all-staff@corp.example.test', subject: 'Payroll', messageId: mid }),
      )
    expect(
      (await src.post(alertBody({}, { message_id: mid, recipient: ['All-Staff@corp.example.test'] }))).status,
    ).toBe(200)
    const incidentId = await waitFor(async () => {
      const [row] = await t.deps.db
        .select({ incidentId: alerts.incidentId })
        .from(alertEmails)
        .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
        .where(eq(alertEmails.messageId, mid))
      return row?.incidentId ?? undefined
    })
    const run = await runOf(incidentId, 'succeeded')

    // every enabled member, bob once although he is in all-staff and (nested) in engineering
    for (const m of [ALICE, BOB, ERIN, GRACE]) expect(await userView(m), m).toEqual({ [Q]: [[mid, false]] })
    expect(await userView(DAVE)).toEqual({ INBOX: [[mid, false]] })
    expect(await userView(OUTSIDER)).toEqual({ INBOX: [[mid, false]] })

    const results = await api(`/api/v1/incidents/${incidentId}/quarantine-results`)
    expect(results.status).toBe(200)
    expect(
      results.data.map((r: any) => [r.mailbox, r.recipientType, r.via, r.status, r.originalFolder]).sort(),
    ).toEqual(
      [ALICE, BOB, ERIN, GRACE].map((m) => [
        m,
        'Distribution List',
        'all-staff@corp.example.test',
        'successful',
        'INBOX',
      ]),
    )
    const compat = (await (
      await t.api.request(`/api/incidents/${incidentId}.json`, { headers: { authorization: admin } })
    ).json()) as any
    expect(compat.successful_quarantines).toBe(4)
    expect(compat.quarantine_results.map((r: any) => [r.recipient, r.recipientType]).sort()).toEqual(
      [ALICE, BOB, ERIN, GRACE].map((m) => [m, 'Distribution List']),
    )

    expect((await api(`/api/v1/response-runs/${run.id}/undo`, 'POST')).status).toBe(202)
    await runOf(incidentId, 'undone')
    for (const m of [ALICE, BOB, ERIN, GRACE]) expect(await userView(m), m).toEqual({ INBOX: [[mid, false]] })
  })
})
