import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  alertEmails,
  alerts,
  listMembers,
  notificationTemplates,
  responseRuns,
} from '../../core/src/db/schema/index.ts'
import { createApiKey } from '../../core/src/domain/api-keys/create-api-key.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { enqueue } from '../../core/src/jobs/boss.ts'
import { responseRunJob } from '../../core/src/jobs/response-run.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'
import { startWebhookReceiver } from '../peers/webhook-receiver.ts'

/**
 * The response engine end to end: a JSON alert → match condition → automatic responses (list
 * member with expiry, e-mail from a template over SMTP with one recipient refused, signed
 * webhook), undo, dry run = live, re-evaluation on a disposition change (exactly once), and
 * two-person approval.
 */
let t: TestApp
let admin: string
let analyst: string
let smtp: SmtpPeer
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let src: Awaited<ReturnType<typeof makeJsonSource>>
const ids = { smtp: 0, webhook: 0, list: 0, template: 0 }

const api = async (path: string, method = 'GET', body?: unknown, key = admin) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await res.json()) as { data?: any; error?: { message: string } }
  return { status: res.status, ...json }
}
const waitFor = async <T>(probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 150))
  }
}
const incidentOf = async (messageId: string) =>
  waitFor(async () => {
    const [row] = await t.deps.db
      .select({ incidentId: alerts.incidentId })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(eq(alertEmails.messageId, messageId))
    return row?.incidentId ?? undefined
  })
const runsOf = (incidentId: number) =>
  t.deps.db.select().from(responseRuns).where(eq(responseRuns.incidentId, incidentId))
const settled = (incidentId: number, n: number) =>
  waitFor(async () => {
    const runs = await runsOf(incidentId)
    return runs.length >= n && runs.every((r) => !['queued', 'running'].includes(r.status)) ? runs : undefined
  })

beforeAll(async () => {
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  analyst = await makeApiKey(t.deps.db, ['Analysts'])
  smtp = await startSmtpPeer({ reject: ['gone@corp.example'] })
  hook = await startWebhookReceiver('hook-secret')
  ids.smtp = (
    await api('/api/v1/connectors', 'POST', {
      kind: 'smtp',
      name: 'relay',
      settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
      isOnPremises: true,
    })
  ).data.id
  ids.webhook = (
    await api('/api/v1/connectors', 'POST', {
      kind: 'webhook',
      name: 'soar',
      settings: { url: hook.url },
      secrets: { signingSecret: 'hook-secret' },
      isOnPremises: true,
    })
  ).data.id
  ids.list = (await api('/api/v1/lists', 'POST', { name: 'Blocked senders', type: 'host' })).data.id
  const [tpl] = await t.deps.db
    .select()
    .from(notificationTemplates)
    .where(eq(notificationTemplates.name, 'Message quarantined'))
  ids.template = tpl!.id
  src = await makeJsonSource(t)
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
})
afterAll(async () => {
  await smtp?.close()
  await hook?.close()
  await t?.close()
})

const phishCondition = () => ({
  name: 'Phish from outside',
  condition: {
    all: [
      { field: 'classification', op: 'eq', value: 'phish' },
      { not: { field: 'email.sender_domain', op: 'eq', value: 'corp.example' } },
    ],
  },
  responses: [
    { type: 'list.add', params: { listId: ids.list, valueFrom: 'senderDomains', expiresInDays: 30 } },
    {
      type: 'email.notify',
      params: {
        connectorId: ids.smtp,
        templateId: ids.template,
        toRecipients: true,
        extraAddresses: ['soc@corp.example'],
      },
    },
    { type: 'webhook.post', params: { connectorId: ids.webhook } },
  ],
  isAutomatic: true,
})

describe('response engine', () => {
  it('refuses a condition with a bad field or bad response params, naming the place', async () => {
    let r = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
      ...phishCondition(),
      condition: { field: 'nope', op: 'eq', value: 'x' },
    })
    expect(r.status).toBe(400)
    expect(r.error!.message).toMatch(/^condition/)
    r = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
      ...phishCondition(),
      responses: [{ type: 'list.add', params: { listId: 'x' } }],
    })
    expect(r.status).toBe(400)
    expect(r.error!.message).toMatch(/^responses\.0\.params\.listId:/)
    r = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', phishCondition(), analyst)
    expect(r.status).toBe(403)
  })

  it('runs automatic responses for a matching alert: list member with expiry, notification with a partial failure, signed webhook; undo removes the member', async () => {
    const created = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
      ...phishCondition(),
      isEnabled: true,
    })
    expect(created.status).toBe(201)
    const mid = '<live-1@evil.example>'
    expect(
      (await src.post(alertBody({}, { message_id: mid, recipient: ['alice@corp.example', 'gone@corp.example'] })))
        .status,
    ).toBe(200)
    const incidentId = await incidentOf(mid)
    const runs = await settled(incidentId, 3)
    expect(runs.map((r) => [r.responseType, r.status]).sort()).toEqual([
      ['email.notify', 'partial'],
      ['list.add', 'succeeded'],
      ['webhook.post', 'succeeded'],
    ])
    const [member] = await t.deps.db.select().from(listMembers).where(eq(listMembers.listId, ids.list))
    expect(member).toMatchObject({ value: 'evil.example', originIncidentId: incidentId })
    expect(member!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000)
    expect(smtp.messages).toHaveLength(1)
    const mail = smtp.messages[0]!
    expect(mail.envelopeTo.sort()).toEqual(['alice@corp.example', 'soc@corp.example'])
    expect(mail.mail.subject).toBe('A message sent to you was removed: Invoice')
    expect(mail.mail.text).toContain('From:    bad@evil.example')
    expect(mail.mail.messageId).toMatch(/^<response-run-\d+@clawback\.invalid>$/)
    const notify = runs.find((r) => r.responseType === 'email.notify')!
    expect(notify.result).toMatchObject({
      rejected: [{ address: 'gone@corp.example', response: expect.stringMatching(/550/) }],
    })
    expect(hook.deliveries).toHaveLength(1)
    expect(hook.deliveries[0]).toMatchObject({
      isSignatureValid: true,
      body: { incident: { id: incidentId }, senders: ['bad@evil.example'] },
    })
    const shown = await api(`/api/v1/incidents/${incidentId}/responses`)
    const listRun = shown.data.find((r: { type: string }) => r.type === 'list.add')
    expect(listRun).toMatchObject({ target: 'evil.example', canUndo: true })
    expect((await api(`/api/v1/response-runs/${listRun.id}/undo`, 'POST')).status).toBe(202)
    await waitFor(
      async () => (await t.deps.db.select().from(listMembers).where(eq(listMembers.listId, ids.list))).length === 0,
    )
    await waitFor(async () => (await runsOf(incidentId)).find((r) => r.id === listRun.id)?.status === 'undone')
    // the same job delivered again (a worker that died after the run finished, before pg-boss
    // marked the job done): the run is finished, so no second mail, no second webhook
    await t.deps.db.transaction((tx) =>
      enqueue(t.deps.boss, tx, responseRunJob, { runId: notify.id, action: 'run' as const }),
    )
    await t.deps.db.transaction((tx) =>
      enqueue(t.deps.boss, tx, responseRunJob, {
        runId: runs.find((r) => r.responseType === 'webhook.post')!.id,
        action: 'run' as const,
      }),
    )
    await new Promise((r) => setTimeout(r, 1_500))
    expect(smtp.messages).toHaveLength(1)
    expect(hook.deliveries).toHaveLength(1)
    // a second alert of the same incident (same message-id) creates no second run for the same target
    expect((await src.post(alertBody({}, { message_id: mid }))).status).toBe(200)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await runsOf(incidentId)).toHaveLength(3)
    expect(smtp.messages).toHaveLength(1)
  })

  it('dry run reports exactly the incidents live evaluation acted on', async () => {
    const before = new Set(
      (await t.deps.db.select({ id: responseRuns.incidentId }).from(responseRuns)).map((r) => r.id),
    )
    const variants = [
      alertBody({ classification: 'phish' }, { sender: 'a@one.example' }),
      alertBody({ classification: 'malware' }, { sender: 'b@two.example' }),
      alertBody({ classification: 'phish' }, { sender: 'c@corp.example' }),
      alertBody({ classification: 'phish' }, { sender: 'd@three.example' }),
    ]
    const mids = variants.map((v) => (v.email as { message_id: string }).message_id)
    for (const v of variants) expect((await src.post(v)).status).toBe(200)
    const incidents = await Promise.all(mids.map(incidentOf))
    await waitFor(
      async () => (await t.deps.db.select().from(responseRuns)).filter((r) => !before.has(r.incidentId)).length >= 6,
    )
    const live = new Set((await t.deps.db.select({ id: responseRuns.incidentId }).from(responseRuns)).map((r) => r.id))
    const dry = await api(`/api/v1/sources/${src.source.id}/match-conditions/dry-run?days=1`, 'POST', phishCondition())
    expect(dry.status).toBe(200)
    const dryIds = new Set<number>(dry.data.incidents.map((i: { incidentId: number }) => i.incidentId))
    for (const id of incidents) expect(dryIds.has(id), `incident ${id}`).toBe(live.has(id))
    expect(incidents.map((id) => live.has(id))).toEqual([true, false, false, true])
    const one = dry.data.incidents.find((i: { incidentId: number }) => i.incidentId === incidents[0])
    expect(one.responses[0]).toEqual({ type: 'list.add', targets: ['one.example'] })
  })

  it('reads every kind of fact a condition can test from the database (and only a match matches)', async () => {
    const own = await makeJsonSource(t)
    const body = alertBody({ custom_fields: { region: 'EMEA', note: 'x'.repeat(3000) } })
    const res = await own.post(body)
    expect(res.status).toBe(200)
    const incidentId = ((await res.json()) as { incident_id: number }).incident_id
    const cases: [string, unknown, unknown][] = [
      ['email.url_domain', 'evil.example', 'good.example'],
      ['email.attachment_sha256', 'b'.repeat(64), 'c'.repeat(64)],
      ['email.recipient_domain', 'corp.example', 'other.example'],
      ['attacker.host', '198.51.100.7', '198.51.100.8'],
      ['custom.region', 'emea', 'apac'],
      ['threat.name', 'credential phish', 'ransomware'],
      ['summary', 'phish reported', 'nothing'],
    ]
    const dry = async (field: string, value: unknown) =>
      (
        await api(`/api/v1/sources/${own.source.id}/match-conditions/dry-run?days=1`, 'POST', {
          name: 'probe',
          condition: { field, op: 'eq', value },
          responses: [],
        })
      ).data.incidents.map((i: { incidentId: number }) => i.incidentId)
    for (const [field, yes, no] of cases) {
      expect(await dry(field, yes), `${field} = ${yes}`).toEqual([incidentId])
      expect(await dry(field, no), `${field} = ${no}`).toEqual([])
    }
    const score = async (op: string, value: number) =>
      (
        await api(`/api/v1/sources/${own.source.id}/match-conditions/dry-run?days=1`, 'POST', {
          name: 'probe',
          condition: { field: 'incident.score', op, value },
          responses: [],
        })
      ).data.incidents.length
    expect(await score('gte', 0)).toBe(1)
    expect(await score('lte', -1)).toBe(0)
  })

  it('re-evaluates when the disposition changes: a later verdict triggers its response exactly once', async () => {
    const cond = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
      name: 'Malicious verdict',
      condition: { field: 'incident.abuse_disposition', op: 'eq', value: 'Malicious' },
      responses: [{ type: 'webhook.post', params: { connectorId: ids.webhook, event: 'verdict' } }],
      isAutomatic: true,
      isEnabled: true,
      position: 0,
      continueAfterMatch: true,
    })
    expect(cond.status).toBe(201)
    const mid = '<verdict-1@two.example>'
    expect((await src.post(alertBody({ classification: 'malware' }, { message_id: mid }))).status).toBe(200)
    const incidentId = await incidentOf(mid)
    await new Promise((r) => setTimeout(r, 1_000))
    const verdicts = () =>
      hook.deliveries.filter(
        (d) =>
          (d.body as { event?: string }).event === 'verdict' &&
          (d.body as { incident: { id: number } }).incident.id === incidentId,
      )
    expect(verdicts()).toHaveLength(0)
    expect(
      (await api(`/api/v1/incidents/${incidentId}`, 'PATCH', { fields: { 'Abuse Disposition': 'Malicious' } })).status,
    ).toBe(200)
    await waitFor(async () => verdicts().length === 1)
    expect(
      (await api(`/api/v1/incidents/${incidentId}`, 'PATCH', { fields: { Classification: 'Malware' } })).status,
    ).toBe(200)
    await new Promise((r) => setTimeout(r, 2_500))
    expect(verdicts()).toHaveLength(1)
  })

  it('two-person approval: the requester cannot approve; another person can, and then it runs', async () => {
    const mid = '<approve-1@four.example>'
    expect(
      (await src.post(alertBody({ classification: 'spam' }, { message_id: mid, sender: 'x@four.example' }))).status,
    ).toBe(200)
    const incidentId = await incidentOf(mid)
    const { makeUser } = await import('../harness/factories.ts')
    const a = await makeUser(t.deps.db, ['Analysts'])
    const b = await makeUser(t.deps.db, ['Analysts'])
    // keys owned by the two people (created on their behalf)
    const keyOf = async (userId: number) =>
      (await createApiKey(t.deps.db, { ...SYSTEM, userId }, { name: `k${userId}`, teams: ['Analysts'] })).key
    const keyA = await keyOf(a.user.id)
    const keyB = await keyOf(b.user.id)
    const asked = await api(
      `/api/v1/incidents/${incidentId}/responses`,
      'POST',
      { type: 'list.add', params: { listId: ids.list, valueFrom: 'senderDomains' }, requiresApproval: true },
      keyA,
    )
    expect(asked.status).toBe(202)
    expect(asked.data.status).toBe('awaiting_approval')
    const [runId] = asked.data.runIds
    expect((await api(`/api/v1/response-runs/${runId}/approve`, 'POST', undefined, keyA)).status).toBe(403)
    expect(await t.deps.db.select().from(listMembers).where(eq(listMembers.value, 'four.example'))).toHaveLength(0)
    expect((await api(`/api/v1/response-runs/${runId}/approve`, 'POST', undefined, keyB)).status).toBe(202)
    await waitFor(
      async () =>
        (await t.deps.db.select().from(listMembers).where(eq(listMembers.value, 'four.example'))).length === 1,
    )
  })
})
