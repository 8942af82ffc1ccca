import { and, eq } from 'drizzle-orm'
import { ImapFlow } from 'imapflow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MailLocator, supports } from '../../core/src/connectors/types.ts'
import { alertEmails, alerts, auditLog, quarantineRecords, responseRuns } from '../../core/src/db/schema/index.ts'
import { openConnector } from '../../core/src/domain/connectors/open-connector.ts'
import { exemptFromQuarantine } from '../../core/src/domain/quarantine/exempt-from-quarantine.ts'
import { quarantineIncident } from '../../core/src/domain/quarantine/quarantine-incident.ts'
import { restoreIncident } from '../../core/src/domain/quarantine/restore-incident.ts'
import { createSource } from '../../core/src/domain/sources/create-source.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser, signInAs } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { type DovecotPeer, eml, startDovecot } from '../peers/dovecot.ts'

/**
 * Quarantine end to end on a real Dovecot: a JSON alert → match condition → automatic
 * mail.quarantine through the imap connector, verified by logging in as each user and reading
 * their folders; undo; search without a Message-ID; forward following; whitelist; a run killed
 * between a MOVE and its write resumes without moving twice.
 */
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((u) => `${u}@corp.example`)
const [ALICE, BOB, CAROL, DAVE, ERIN, FRANK] = USERS as [string, string, string, string, string, string]
const Q = 'Clawback Quarantine'
let t: TestApp
let admin: string
let peer: DovecotPeer
let src: Awaited<ReturnType<typeof makeJsonSource>>

const api = async (path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
}
const waitFor = async <T>(probe: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> => {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 150))
  }
}
const incidentOf = (messageId: string) =>
  waitFor(async () => {
    const [row] = await t.deps.db
      .select({ incidentId: alerts.incidentId })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(eq(alertEmails.messageId, messageId))
    return row?.incidentId ?? undefined
  })
const quarantineRun = (incidentId: number, status: string) =>
  waitFor(async () => {
    const [run] = await t.deps.db
      .select()
      .from(responseRuns)
      .where(and(eq(responseRuns.incidentId, incidentId), eq(responseRuns.responseType, 'mail.quarantine')))
    return run?.status === status ? run : undefined
  })

/** What the user sees, logged in as themselves: folder → [Message-ID, \Seen][] (non-empty folders). */
const userView = async (mailbox: string) => {
  const c = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: mailbox, pass: peer.passwords[mailbox]! },
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
const markSeen = async (mailbox: string, folder: string) => {
  const c = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: mailbox, pass: peer.passwords[mailbox]! },
    logger: false,
  })
  await c.connect()
  await c.mailboxOpen(folder)
  await c.messageFlagsAdd('1:*', ['\\Seen'])
  await c.logout()
}
const deliver = (to: string, messageId: string | undefined, folder = 'INBOX', subject = 'Invoice') =>
  peer.save(to, eml({ from: 'bad@evil.example', to, subject, messageId }), folder)

beforeAll(async () => {
  peer = await startDovecot({ users: USERS })
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  const connector = await api('/api/v1/connectors', 'POST', {
    kind: 'imap',
    name: 'dovecot',
    settings: {
      host: peer.host,
      port: peer.port,
      security: 'none',
      domains: ['corp.example'],
      masterUser: peer.master.name,
      testMailbox: ALICE,
    },
    secrets: { masterPassword: peer.master.password },
    isOnPremises: true,
  })
  expect(connector.status).toBe(201)
  src = await makeJsonSource(t)
  const cond = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
    name: 'Pull phish',
    condition: { field: 'classification', op: 'eq', value: 'phish' },
    responses: [{ type: 'mail.quarantine', params: { maxForwardDepth: 2 } }],
    isAutomatic: true,
    isEnabled: true,
  })
  expect(cond.status).toBe(201)
  await exemptFromQuarantine(t.deps.db, SYSTEM, [DAVE])
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
})
afterAll(async () => {
  await t?.close()
  await peer?.stop()
})

describe('quarantine on IMAP (real Dovecot)', () => {
  it('pulls an alerted message out of every mailbox (Trash included, forwards followed, exempt skipped) and undo puts it back with its read state', async () => {
    const mid = '<phish-1@evil.example>'
    await deliver(ALICE, mid)
    await markSeen(ALICE, 'INBOX')
    await deliver(BOB, mid, 'Trash') // bob had deleted it already
    await deliver(DAVE, mid)
    // bob forwarded it to carol before deleting it: Sent copy references the original
    await peer.save(
      BOB,
      eml({ from: BOB, to: CAROL, subject: 'Fwd: Invoice', messageId: '<fwd-1@corp.example>', references: mid }),
      'Sent',
    )
    await peer.save(
      CAROL,
      eml({ from: BOB, to: CAROL, subject: 'Fwd: Invoice', messageId: '<fwd-1@corp.example>', references: mid }),
    )
    expect((await src.post(alertBody({}, { message_id: mid, recipient: [ALICE, BOB, DAVE] }))).status).toBe(200)
    const incidentId = await incidentOf(mid)
    const run = await quarantineRun(incidentId, 'succeeded')

    expect(await userView(ALICE)).toEqual({ [Q]: [[mid, true]] })
    expect((await userView(BOB))[Q]).toEqual([[mid, false]])
    expect((await userView(BOB)).Trash).toBeUndefined()
    expect(await userView(CAROL)).toEqual({ [Q]: [['<fwd-1@corp.example>', false]] })
    expect(await userView(DAVE)).toEqual({ INBOX: [[mid, false]] })

    const results = await api(`/api/v1/incidents/${incidentId}/quarantine-results`)
    expect(results.status).toBe(200)
    const byMailbox = Object.fromEntries(results.data.map((r: any) => [r.mailbox, r]))
    expect(byMailbox[ALICE]).toMatchObject({
      status: 'successful',
      recipientType: 'Original Recipient',
      isRead: true,
      originalFolder: 'INBOX',
      quarantineFolder: Q,
      provider: 'imap',
    })
    expect(byMailbox[BOB]).toMatchObject({ status: 'successful', originalFolder: 'Trash', isRead: false })
    expect(byMailbox[CAROL]).toMatchObject({
      status: 'successful',
      recipientType: 'Forwarded',
      via: BOB,
      messageId: '<fwd-1@corp.example>',
    })
    expect(byMailbox[DAVE]).toMatchObject({ status: 'whitelisted' })
    const compat = await t.api.request(`/api/incidents/${incidentId}`, { headers: { authorization: admin } })
    const inc = (await compat.json()) as any
    expect(inc.successful_quarantines).toBe(3)
    // compatible clients know successful/failed/pending only: the exempt dave counts as failed, saying why
    expect(inc.failed_quarantines).toBe(1)
    expect(inc.pending_quarantines).toBe(0)
    expect(inc.quarantine_results.find((r: any) => r.recipient === DAVE)).toMatchObject({
      status: 'failed',
      details: expect.stringContaining('exempt from quarantine'),
    })
    expect(inc.quarantine_results.find((r: any) => r.recipient === CAROL)).toMatchObject({
      status: 'successful',
      recipientType: 'Forwarded',
      wasUndone: 'false',
    })
    expect(inc.quarantine_results.find((r: any) => r.recipient === ALICE)).toMatchObject({
      isRead: 'true',
      alertSource: 'imap',
    })
    const moves = await t.deps.db.select().from(auditLog).where(eq(auditLog.action, 'quarantine.move'))
    expect(
      moves
        .filter((m) => m.objectId === String(incidentId))
        .map((m) => (m.after as any).mailbox)
        .sort(),
    ).toEqual([ALICE, BOB, CAROL])

    // responses.run alone does not reach quarantine: the 'quarantine' permission is needed too
    await makeTeam(t.deps.db, { name: 'Responders', permissions: ['incidents.read', 'responses.run'] })
    const responder = await makeApiKey(t.deps.db, ['Responders'])
    const as = (path: string, body?: unknown) =>
      t.api.request(path, {
        method: 'POST',
        headers: { authorization: responder, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    expect((await as(`/api/v1/incidents/${incidentId}/responses`, { type: 'mail.quarantine' })).status).toBe(403)
    expect((await as(`/api/v1/response-runs/${run.id}/undo`)).status).toBe(403)

    expect((await api(`/api/v1/response-runs/${run.id}/undo`, 'POST')).status).toBe(202)
    await quarantineRun(incidentId, 'undone')
    expect(await userView(ALICE)).toEqual({ INBOX: [[mid, true]] })
    expect(await userView(BOB)).toMatchObject({ Trash: [[mid, false]] })
    expect((await userView(BOB))[Q]).toBeUndefined()
    expect(await userView(CAROL)).toEqual({ INBOX: [['<fwd-1@corp.example>', false]] })
    const after = await api(`/api/v1/incidents/${incidentId}/quarantine-results`)
    expect(
      after.data
        .filter((r: any) => r.wasUndone)
        .map((r: any) => r.mailbox)
        .sort(),
    ).toEqual([ALICE, BOB, CAROL])
    const undos = await t.deps.db.select().from(auditLog).where(eq(auditLog.action, 'quarantine.restore'))
    expect(undos.filter((m) => m.objectId === String(incidentId)).every((m) => m.actorLabel)).toBe(true)
    expect(undos.filter((m) => m.objectId === String(incidentId))).toHaveLength(3)
  })

  it('without a Message-ID searches by sender, subject and delivery time (type Search)', async () => {
    await peer.save(
      ERIN,
      eml({ from: 'bad@evil.example', to: ERIN, subject: 'Your parcel', messageId: '<parcel-x@evil.example>' }),
    )
    await peer.save(
      ERIN,
      eml({ from: 'bad@evil.example', to: ERIN, subject: 'Other news', messageId: '<other@evil.example>' }),
    )
    const body = alertBody(
      { summary: 'no id' },
      { recipient: [ERIN], subject: 'Your parcel', message_id: undefined, delivery_time: new Date().toISOString() },
    )
    expect((await src.post(body)).status).toBe(200)
    const rows = await waitFor(async () => {
      const r = await t.deps.db.select().from(quarantineRecords).where(eq(quarantineRecords.mailbox, ERIN))
      return r[0]?.status === 'successful' ? r : undefined
    })
    expect(rows[0]).toMatchObject({ recipientType: 'search' })
    expect(await userView(ERIN)).toEqual({
      INBOX: [['<other@evil.example>', false]],
      [Q]: [['<parcel-x@evil.example>', false]],
    })
  })

  it('a run killed between the MOVE and its write resumes without moving twice, audits the move once, and undo still finds the original folder', async () => {
    const mid = '<phish-kill@evil.example>'
    // an incident the match condition does not act on (classification malware)
    expect(
      (await src.post(alertBody({ classification: 'malware' }, { message_id: mid, recipient: [FRANK] }))).status,
    ).toBe(200)
    const incidentId = await incidentOf(mid)
    const q = {
      db: t.deps.db,
      keyring: t.deps.keyring,
      log: t.deps.log,
      signal: new AbortController().signal,
      actor: SYSTEM,
      incidentId,
      runId: null,
    }
    const opts = { followForwards: true, maxForwardDepth: 3, autoClose: false }
    // a first pass before delivery leaves the row (not found); then the message arrives, in Junk, read
    expect((await quarantineIncident(q, opts)).status).toBe('succeeded')
    await deliver(FRANK, mid, 'Junk')
    await markSeen(FRANK, 'Junk')
    // the killed attempt, step by step as pullMailboxes takes them: search, originals written to
    // the row (status quarantining), the MOVE on the server, then the process dies: no final write, no audit
    const [row] = await t.deps.db.select().from(quarantineRecords).where(eq(quarantineRecords.incidentId, incidentId))
    const opened = await openConnector(t.deps.db, t.deps.keyring, row!.connectorId!, {
      signal: q.signal,
      log: t.deps.log,
    })
    try {
      const mail = opened.connector
      if (!supports(mail, 'mail.search') || !supports(mail, 'mail.remediate')) throw new Error('imap lacks mail.*')
      const [found] = await mail.findMessages([{ mailbox: FRANK, locator: row!.locator as MailLocator }], opened.ctx)
      if (!found?.ok) throw new Error('not found')
      const copies = found.value.copies
      expect(copies).toHaveLength(1)
      await t.deps.db
        .update(quarantineRecords)
        .set({ status: 'quarantining', copies: copies.map((c) => ({ original: c, quarantined: null })) })
        .where(eq(quarantineRecords.id, row!.id))
      const [moved] = await mail.quarantine(copies, opened.ctx)
      expect(moved?.ok).toBe(true)
    } finally {
      await opened.close()
    }
    expect(await userView(FRANK)).toEqual({ [Q]: [[mid, true]] })
    const auditedMoves = async () =>
      (await t.deps.db.select().from(auditLog).where(eq(auditLog.action, 'quarantine.move'))).filter(
        (m) => m.objectId === String(incidentId),
      )
    expect(await auditedMoves()).toHaveLength(0)

    expect((await quarantineIncident(q, opts)).status).toBe('succeeded')
    expect((await quarantineIncident(q, opts)).status).toBe('succeeded')
    expect(await userView(FRANK)).toEqual({ [Q]: [[mid, true]] })
    const rows = await t.deps.db.select().from(quarantineRecords).where(eq(quarantineRecords.incidentId, incidentId))
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ status: 'successful', originalFolder: 'Junk', isRead: true })
    // the move the dead attempt made is audited once, by the attempt that found it
    const moves = await auditedMoves()
    expect(moves).toHaveLength(1)
    expect(moves[0]!.after).toMatchObject({ mailbox: FRANK, from: ['Junk'], to: [Q] })
    await restoreIncident(q)
    await restoreIncident(q)
    expect(await userView(FRANK)).toEqual({ Junk: [[mid, true]] })
  })

  it('"test connection" through the API logs in with the master user, and names the master login when Dovecot refuses it', async () => {
    const make = async (password: string) => {
      const r = await api('/api/v1/connectors', 'POST', {
        kind: 'imap',
        name: `dovecot ${password}`,
        settings: {
          host: peer.host,
          port: peer.port,
          security: 'none',
          domains: ['elsewhere.example'], // routes nothing the other tests send
          masterUser: peer.master.name,
          testMailbox: ALICE,
        },
        secrets: { masterPassword: password },
        isOnPremises: true,
      })
      expect(r.status).toBe(201)
      return r.data.id as number
    }
    const good = await api(`/api/v1/connectors/${await make(peer.master.password)}/test`, 'POST')
    expect(good.data).toMatchObject({
      isOk: true,
      message: expect.stringContaining(`logged in to ${ALICE} as clawback-master`),
    })
    const refused = await api(`/api/v1/connectors/${await make('not-the-master-password')}/test`, 'POST')
    expect(refused.data).toMatchObject({
      isOk: false,
      message: expect.stringContaining(`login to ${ALICE} as clawback-master refused`),
    })
  })

  it('a CSV upload is previewed (mailboxes, exempt, unrouted) and quarantined in one action from the incident page and the API', async () => {
    const { source } = await createSource(t.deps.db, t.deps.keyring, SYSTEM, { name: 'csv uploads', type: 'csv' })
    const upload = async (csv: string) => {
      const res = await t.api.request(`/api/v1/sources/${source.id}/uploads`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'text/csv' },
        body: csv,
      })
      expect(res.status).toBe(201)
      return ((await res.json()) as { data: { incidentId: number } }).data.incidentId
    }
    const mid = '<csv-1@evil.example>'
    await deliver(ALICE, mid)
    await deliver(BOB, mid, 'Junk')
    await deliver(DAVE, mid)
    const incidentId = await upload(
      `message-id,recipient\n${mid},${ALICE}\n${mid},${BOB}\n${mid},${DAVE}\n${mid},zed@unrouted.example\n`,
    )
    const preview = await api(`/api/v1/incidents/${incidentId}/quarantine-preview`)
    expect(preview.status).toBe(200)
    expect(preview.data).toMatchObject({
      isCsvUpload: true,
      counts: { quarantine: 2, exempt: 1, noConnector: 1, done: 0 },
    })
    expect(preview.data.mailboxes.map((m: any) => [m.mailbox, m.action, m.connector])).toEqual([
      [ALICE, 'quarantine', 'dovecot'],
      [BOB, 'quarantine', 'dovecot'],
      [DAVE, 'exempt', 'dovecot'],
      ['zed@unrouted.example', 'no connector', null],
    ])
    // the preview moves nothing
    expect(await userView(ALICE)).toMatchObject({ INBOX: expect.arrayContaining([[mid, false]]) })

    // the incident page offers the action to an admin; the preview page lists the mailboxes; one POST pulls them
    const { user } = await makeUser(t.deps.db, ['Admins'])
    const s = await signInAs(t.api, user.username)
    const get = (path: string) => t.api.request(path, { headers: { cookie: s.cookie } })
    expect(await (await get(`/incidents/${incidentId}`)).text()).toContain(`href="/incidents/${incidentId}/quarantine"`)
    const page = await (await get(`/incidents/${incidentId}/quarantine`)).text()
    expect(page).toContain('Quarantine 2 mailboxes')
    for (const m of [ALICE, BOB, DAVE, 'zed@unrouted.example']) expect(page).toContain(m)
    const posted = await t.api.request(`/incidents/${incidentId}/quarantine`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ followForwards: '1', _csrf: s.csrf }),
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('location')).toBe(`/incidents/${incidentId}#responses`)
    // partial: the unrouted mailbox is recorded failed (no mail connector serves its domain)
    await quarantineRun(incidentId, 'partial')
    expect((await userView(ALICE))[Q]).toEqual(expect.arrayContaining([[mid, false]]))
    expect((await userView(BOB))[Q]).toEqual(expect.arrayContaining([[mid, false]]))
    expect((await userView(BOB)).Junk ?? []).not.toContainEqual([mid, false])
    expect(await userView(DAVE)).toMatchObject({ INBOX: expect.arrayContaining([[mid, false]]) })
    const again = await api(`/api/v1/incidents/${incidentId}/quarantine-preview`)
    expect(again.data.counts).toEqual({ quarantine: 0, exempt: 1, noConnector: 1, done: 2 })

    // the same action through the API; 'quarantine' permission required
    const mid2 = '<csv-2@evil.example>'
    await deliver(CAROL, mid2)
    const second = await upload(`${mid2},${CAROL}\n`)
    await makeTeam(t.deps.db, { name: 'Readers+run', permissions: ['incidents.read', 'responses.run'] })
    const runner = await makeApiKey(t.deps.db, ['Readers+run'])
    const as = (path: string, method = 'GET', body?: unknown) =>
      t.api.request(path, {
        method,
        headers: { authorization: runner, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    expect((await as(`/api/v1/incidents/${second}/quarantine-preview`)).status).toBe(403)
    expect((await as(`/api/v1/incidents/${second}/quarantine`, 'POST', {})).status).toBe(403)
    expect((await api(`/api/v1/incidents/${second}/quarantine`, 'POST', { followForwards: 'yes' })).status).toBe(400)
    const started = await api(`/api/v1/incidents/${second}/quarantine`, 'POST', { followForwards: false })
    expect(started.status).toBe(202)
    expect(started.data.status).toBe('queued')
    await quarantineRun(second, 'succeeded')
    expect((await userView(CAROL))[Q]).toEqual(expect.arrayContaining([[mid2, false]]))
  })
})
