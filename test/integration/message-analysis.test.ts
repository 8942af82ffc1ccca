import { readFileSync } from 'node:fs'
import path from 'node:path'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  alertEmails,
  alerts,
  enrichmentFindings,
  incidentHistory,
  responseRuns,
} from '../../core/src/db/schema/index.ts'
import type { AnalysisFinding } from '../../core/src/domain/analysis/analysis-types.ts'
import { gatherAnalysisContext } from '../../core/src/domain/analysis/gather-analysis-context.ts'
import { putBlob } from '../../core/src/domain/attachments/blob-store.ts'
import { addMember } from '../../core/src/domain/lists/add-list-member.ts'
import { createList } from '../../core/src/domain/lists/create-list.ts'
import { extractReport } from '../../core/src/domain/reports/extract-report.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, signInAs } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { startWebhookReceiver } from '../peers/webhook-receiver.ts'

/**
 * The "submit for analysis" response end to end: a user report is stored as the alert's original
 * → a match condition runs the analysis → the verdict is an Abuse Disposition change in the
 * history → a condition on the disposition fires exactly once; the incident page shows the reasons.
 */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/reports')
let t: TestApp
let admin: string
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let src: Awaited<ReturnType<typeof makeJsonSource>>

const api = async (p: string, method = 'GET', body?: unknown, key = admin) => {
  const res = await t.api.request(p, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: the answers differ per route; each test reads the fields it asserts
  return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
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
/** A report arrives: its alert (by the original's Message-ID) with the report's bytes stored as the original. */
const report = async (file: string, messageId: string, sender: string) => {
  expect(
    (await src.post(alertBody({ classification: 'phish' }, { message_id: `<${messageId}>`, sender }))).status,
  ).toBe(200)
  const row = await waitFor(async () => {
    const [r] = await t.deps.db
      .select({ incidentId: alerts.incidentId, alertId: alerts.id })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(eq(alertEmails.messageId, `<${messageId}>`))
    return r?.incidentId ? r : undefined
  })
  const { sha256 } = putBlob(t.dataDir, readFileSync(path.join(FIXTURES, file)))
  await t.deps.db.update(alertEmails).set({ originalSha256: sha256 }).where(eq(alertEmails.alertId, row.alertId))
  return row.incidentId!
}
const findings = async (incidentId: number) =>
  (
    await t.deps.db
      .select()
      .from(enrichmentFindings)
      .where(and(eq(enrichmentFindings.incidentId, incidentId), eq(enrichmentFindings.kind, 'message_verdict')))
  ).map((f) => f.data as AnalysisFinding)
const dispositionHistory = (incidentId: number) =>
  t.deps.db
    .select({ from: incidentHistory.stateFrom, to: incidentHistory.stateTo, by: incidentHistory.actorLabel })
    .from(incidentHistory)
    .where(and(eq(incidentHistory.incidentId, incidentId), eq(incidentHistory.historyType, 'disposition_change')))
    .orderBy(incidentHistory.id)

beforeAll(async () => {
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  hook = await startWebhookReceiver('hook-secret')
  const webhook = (
    await api('/api/v1/connectors', 'POST', {
      kind: 'webhook',
      name: 'soar',
      settings: { url: hook.url },
      secrets: { signingSecret: 'hook-secret' },
      isOnPremises: true,
    })
  ).data.id
  src = await makeJsonSource(t)
  const conditions = [
    {
      name: 'Analyse reported abuse',
      condition: { field: 'incident.field.Classification', op: 'eq', value: 'Reported Abuse' },
      responses: [{ type: 'analysis.submit', params: { protectedDomains: ['corp.example', 'paypal.com'] } }],
      position: 0,
    },
    {
      name: 'Malicious verdict',
      condition: { field: 'incident.abuse_disposition', op: 'eq', value: 'malicious' },
      responses: [{ type: 'webhook.post', params: { connectorId: webhook, event: 'verdict' } }],
      position: 1,
    },
  ]
  for (const c of conditions) {
    const r = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
      ...c,
      isAutomatic: true,
      isEnabled: true,
      continueAfterMatch: true,
    })
    expect(r.status, r.error?.message).toBe(201)
  }
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
})
afterAll(async () => {
  await hook?.close()
  await t?.close()
})

const verdicts = (incidentId: number) =>
  hook.deliveries.filter(
    (d) =>
      (d.body as { event?: string }).event === 'verdict' &&
      (d.body as { incident: { id: number } }).incident.id === incidentId,
  )

describe('submit for analysis', () => {
  it('report in → analysis → Malicious in the disposition history → the verdict condition fires exactly once', async () => {
    const incidentId = await report('attached-rfc822.eml', 'quota-4711@c0rp-helpdesk.example', 'bob@corp.example')
    expect(await findings(incidentId)).toEqual([])
    const patched = await api(`/api/v1/incidents/${incidentId}`, 'PATCH', {
      fields: { Classification: 'Reported Abuse' },
    })
    expect(patched.status).toBe(200)
    const [finding] = await waitFor(async () => {
      const f = await findings(incidentId)
      return f.length ? f : undefined
    })
    expect(finding).toMatchObject({
      disposition: 'malicious',
      score: 100,
      format: 'rfc822',
      sender: 'helpdesk@c0rp-helpdesk.example',
      messageId: 'quota-4711@c0rp-helpdesk.example',
      setDisposition: 'Malicious',
    })
    expect(finding!.reasons.map((r) => r.rule)).toContain('lookalikeSender')
    // the extracted original is kept for download
    expect(
      readFileSync(path.join(t.dataDir, 'blobs', finding!.originalSha256.slice(0, 2), finding!.originalSha256), 'utf8'),
    ).toMatch(/^Received: from smtp\.c0rp-helpdesk\.example/)
    expect(await dispositionHistory(incidentId)).toEqual([{ from: null, to: 'Malicious', by: 'response engine' }])
    await waitFor(async () => verdicts(incidentId).length === 1)
    // later changes re-evaluate the incident again; neither the analysis nor the verdict response runs twice
    expect((await api(`/api/v1/incidents/${incidentId}`, 'PATCH', { fields: { Severity: 'High' } })).status).toBe(200)
    await new Promise((r) => setTimeout(r, 2_500))
    expect(verdicts(incidentId)).toHaveLength(1)
    expect(await findings(incidentId)).toHaveLength(1)
    const runs = await t.deps.db.select().from(responseRuns).where(eq(responseRuns.incidentId, incidentId))
    expect(runs.map((r) => [r.responseType, r.status]).sort()).toEqual([
      ['analysis.submit', 'succeeded'],
      ['webhook.post', 'succeeded'],
    ])
  })

  it('a newsletter is Bulk: no verdict response; the incident page shows the score, verdict and reasons', async () => {
    const incidentId = await report('bulk-newsletter.eml', 'deals-1@shop.example', 'erin@corp.example')
    expect(
      (await api(`/api/v1/incidents/${incidentId}`, 'PATCH', { fields: { Classification: 'Reported Abuse' } })).status,
    ).toBe(200)
    const [finding] = await waitFor(async () => {
      const f = await findings(incidentId)
      return f.length ? f : undefined
    })
    expect(finding).toMatchObject({ disposition: 'bulk', setDisposition: 'Bulk' })
    expect(await dispositionHistory(incidentId)).toEqual([{ from: null, to: 'Bulk', by: 'response engine' }])
    await new Promise((r) => setTimeout(r, 1_500))
    expect(verdicts(incidentId)).toHaveLength(0)

    const s = await signInAs(t.api, (await makeUser(t.deps.db, ['Analysts'])).user.username)
    const page = await (await t.api.request(`/incidents/${incidentId}`, { headers: { cookie: s.cookie } })).text()
    expect(page).toContain('id="incident-analysis"')
    expect(page).toContain('Bulk')
    expect(page).toContain('shop.example was not seen in earlier alerts')
  })

  it("keeps an analyst's disposition: a later analysis records its verdict but does not override", async () => {
    const incidentId = await report('clean.eml', 'minutes-1@partner.example', 'erin@corp.example')
    expect(
      (await api(`/api/v1/incidents/${incidentId}`, 'PATCH', { fields: { 'Abuse Disposition': 'Malicious' } })).status,
    ).toBe(200)
    const run = await api(`/api/v1/incidents/${incidentId}/responses`, 'POST', {
      type: 'analysis.submit',
      params: { protectedDomains: ['corp.example'] },
    })
    expect(run.status, run.error?.message).toBe(202)
    const [finding] = await waitFor(async () => {
      const f = await findings(incidentId)
      return f.length ? f : undefined
    })
    expect(finding).toMatchObject({ disposition: 'clean', setDisposition: null })
    expect((await dispositionHistory(incidentId)).map((h) => h.to)).toEqual(['Malicious'])
  })

  it('refuses bad params naming the field, and an incident without a stored original fails the run clearly', async () => {
    const bad = await api(`/api/v1/sources/${src.source.id}/match-conditions`, 'POST', {
      name: 'bad',
      condition: { field: 'classification', op: 'eq', value: 'x' },
      responses: [{ type: 'analysis.submit', params: { protectedDomains: ['not a domain'] } }],
    })
    expect(bad.status).toBe(400)
    expect(bad.error?.message).toContain('protectedDomains')
    expect(bad.error?.message).not.toContain('not a domain')
    expect((await src.post(alertBody({ classification: 'spam' }, { message_id: '<none-1@x.example>' }))).status).toBe(
      200,
    )
    const incidentId = await waitFor(async () => {
      const [r] = await t.deps.db
        .select({ incidentId: alerts.incidentId })
        .from(alertEmails)
        .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
        .where(eq(alertEmails.messageId, '<none-1@x.example>'))
      return r?.incidentId ?? undefined
    })
    const run = await api(`/api/v1/incidents/${incidentId}/responses`, 'POST', { type: 'analysis.submit', params: {} })
    expect(run.status).toBe(202)
    const [failed] = await waitFor(async () => {
      const r = await t.deps.db.select().from(responseRuns).where(eq(responseRuns.incidentId, incidentId))
      return r.length && r[0]!.status === 'failed' ? r : undefined
    })
    expect(failed!.error).toBe('run: original message: none stored for this incident')
  })
})

describe('the look-ups of the analysis', () => {
  it('finds list hits by sender, wildcard host, URL and attachment hash; skips expired members and unnamed lists', async () => {
    const { original } = await extractReport(readFileSync(path.join(FIXTURES, 'attached-rfc822.eml')))
    const list = async (name: string, type: string, members: { member: string; expiration?: Date }[]) => {
      const { list: l } = await createList(t.deps.db, t.deps.keyring, SYSTEM, { name, type })
      for (const m of members) await addMember(t.deps.db, SYSTEM, l.id, m)
    }
    await list('Bad senders', 'email', [{ member: 'helpdesk@c0rp-helpdesk.example' }])
    await list('Bad hosts', 'host', [
      { member: '*.login-check.example' },
      { member: 'tinyurl.com', expiration: new Date(Date.now() - 60_000) },
    ])
    await list('Bad hashes', 'hash', [{ member: original.attachments[0]!.sha256 }])
    await list('Bad IPs', 'ip', [{ member: '203.0.113.9' }])
    await list('Bad URLs', 'url', [{ member: 'https://tinyurl.com/quota-fix' }])
    await list('Known good', 'host', [{ member: 'c0rp-helpdesk.example' }])
    const ctx = (lists: string[]) =>
      gatherAnalysisContext(t.deps.db, original, { incidentId: 0, before: new Date(), protectedDomains: [], lists })
    const hits = (await ctx(['Bad senders', 'Bad hosts', 'Bad hashes', 'Bad IPs', 'Bad URLs'])).listHits
    expect(hits.map((h) => `${h.list}:${h.value}`).sort()).toEqual(
      [
        'Bad senders:helpdesk@c0rp-helpdesk.example',
        'Bad hosts:*.login-check.example',
        `Bad hashes:${original.attachments[0]!.sha256}`,
        'Bad IPs:203.0.113.9',
        'Bad URLs:https://tinyurl.com/quota-fix',
      ].sort(),
    )
    // no names: every list counts (so an allow list must be left out by naming the block lists)
    expect((await ctx([])).listHits.map((h) => h.list)).toContain('Known good')
  })

  it('a sender domain is new until an alert of another, earlier incident carried it', async () => {
    const { original } = await extractReport(readFileSync(path.join(FIXTURES, 'forward-apple.eml')))
    const known = async () =>
      (
        await gatherAnalysisContext(t.deps.db, original, {
          incidentId: 0,
          before: new Date(),
          protectedDomains: [],
          lists: [],
        })
      ).isSenderDomainKnown
    expect(await known()).toBe(false)
    expect((await src.post(alertBody({}, { sender: 'Someone@Parcel-Hold.example' }))).status).toBe(200)
    await waitFor(known)
    const [own] = await t.deps.db
      .select({ incidentId: alerts.incidentId })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(sql`lower(${alertEmails.sender}) = 'someone@parcel-hold.example'`)
    // the incident's own alerts and later alerts do not count
    expect(
      (
        await gatherAnalysisContext(t.deps.db, original, {
          incidentId: own!.incidentId!,
          before: new Date(),
          protectedDomains: [],
          lists: [],
        })
      ).isSenderDomainKnown,
    ).toBe(false)
    expect(
      (
        await gatherAnalysisContext(t.deps.db, original, {
          incidentId: 0,
          before: new Date(Date.now() - 3_600_000),
          protectedDomains: [],
          lists: [],
        })
      ).isSenderDomainKnown,
    ).toBe(false)
  })
})
