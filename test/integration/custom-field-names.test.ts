import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

/**
 * Issue 13 item 19: a custom field named __proto__ (or constructor, prototype) was silently dropped
 * (an object key that sets the prototype); now it is a 400 naming it wherever custom fields come in.
 */
let t: TestApp
let key: string
let src: Awaited<ReturnType<typeof makeJsonSource>>
let incidentId: number
let fieldId: number

beforeAll(async () => {
  t = await startTestApp()
  key = await makeApiKey(t.deps.db, ['Admins', 'Analysts'])
  src = await makeJsonSource(t)
  incidentId = ((await (await src.post(alertBody())).json()) as { incident_id: number }).incident_id
  const f = await call('POST', '/api/v1/incident-fields', JSON.stringify({ name: 'Ticket', kind: 'text' }))
  fieldId = ((await f.json()) as { data: { id: number } }).data.id
})
afterAll(() => t.close())

/** Bodies are raw JSON text: a JS object literal could not even carry an own __proto__ key. */
const call = (method: string, path: string, body: string) =>
  t.api.request(path, { method, headers: { authorization: key, 'content-type': 'application/json' }, body })

const rows = async () =>
  (
    await t.deps.db.execute<{ n: string }>(
      sql`SELECT concat_ws(',', (SELECT count(*) FROM alerts), (SELECT count(*) FROM incident_fields), (SELECT count(*) FROM incident_history), (SELECT count(*) FROM audit_log)) AS n`,
    )
  )[0]!.n

const refused = async (res: Response, field: RegExp) => {
  const body = (await res.json()) as { error: { message: string } }
  expect(res.status).toBe(400)
  expect(body.error.message).toMatch(field)
}

const alertWith = (customFields: string) => {
  const text = JSON.stringify(alertBody({ custom_fields: 'PLACEHOLDER' }))
  return text.replace('"PLACEHOLDER"', customFields)
}

describe('reserved custom field names (issue 13 item 19)', () => {
  for (const name of ['__proto__', 'constructor', 'prototype']) {
    it(`${name}: intake (object and list forms), field definitions, PATCH and the compatible fields call`, async () => {
      const before = await rows()
      await refused(await src.post(alertWith(`{"${name}": "x", "ok": 1}`)), new RegExp(`^custom_fields\\.${name}: `))
      await refused(
        await src.post(alertWith(`[{"name": "${name}", "value": "x"}]`)),
        new RegExp(`^custom_fields\\.0\\.name: .*${name}`),
      )
      await refused(
        await src.post(alertWith(JSON.stringify(JSON.stringify({ [name]: 'x' })).replace(/^"|"$/g, '"'))),
        new RegExp(`^custom_fields\\.${name}: `),
      )
      await refused(
        await call('POST', '/api/v1/incident-fields', `{"name": "${name}", "kind": "text"}`),
        new RegExp(`^name: .*${name}`),
      )
      await refused(
        await call('PATCH', `/api/v1/incident-fields/${fieldId}`, `{"name": "${name}"}`),
        new RegExp(`^name: .*${name}`),
      )
      await refused(
        await call('PATCH', `/api/v1/incidents/${incidentId}`, `{"fields": {"${name}": "x"}}`),
        new RegExp(`^fields\\.${name}: `),
      )
      await refused(
        await call('POST', `/api/incidents/${incidentId}/incident_fields.json`, `{"fields": {"${name}": "x"}}`),
        new RegExp(`^fields\\.${name}: `),
      )
      expect(await rows()).toBe(before)
    })
  }
})
