import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

// Notification templates through the native API, and the test send through the smtp connector to
// a real SMTP server.
let t: TestApp
let smtp: SmtpPeer
const keys = { admin: '', analyst: '' }
let connectorId = 0
type Body = { data?: Record<string, unknown> & { id?: number }; error?: { message: string } }
const api = async (key: string, path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Body }
}

beforeAll(async () => {
  t = await startTestApp()
  smtp = await startSmtpPeer({ reject: ['gone@corp.example'] })
  keys.admin = await makeApiKey(t.deps.db, ['Admins'])
  keys.analyst = await makeApiKey(t.deps.db, ['Analysts'])
  connectorId = (
    await api(keys.admin, '/api/v1/connectors', 'POST', {
      kind: 'smtp',
      name: 'relay',
      settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
      isOnPremises: true,
    })
  ).body.data!.id!
})
afterAll(async () => {
  await smtp?.close()
  await t?.close()
})

it('lists the two built-in templates; creates, edits and deletes one; refuses bad input naming the field', async () => {
  const list = (await api(keys.analyst, '/api/v1/notification-templates')).body.data as unknown as {
    name: string
    isBuiltin: boolean
  }[]
  expect(list.filter((x) => x.isBuiltin).map((x) => x.name)).toEqual(['Message quarantined', 'Message released'])
  const draft = { name: 'VIP warning', subject: 'About {{subject}}', body: 'From {{sender}} to {{recipients}}' }
  expect((await api(keys.analyst, '/api/v1/notification-templates', 'POST', draft)).status).toBe(403)
  const created = await api(keys.admin, '/api/v1/notification-templates', 'POST', draft)
  expect(created.status).toBe(201)
  const id = created.body.data!.id!
  const dup = await api(keys.admin, '/api/v1/notification-templates', 'POST', draft)
  expect(dup.status).toBe(409)
  expect(dup.body.error?.message).toMatch(/^name/)
  const bad = await api(keys.admin, '/api/v1/notification-templates', 'POST', { ...draft, name: 'x', body: '' })
  expect(bad.status).toBe(400)
  expect(bad.body.error?.message).toMatch(/body/)
  const edited = await api(keys.admin, `/api/v1/notification-templates/${id}`, 'PUT', {
    ...draft,
    subject: 'New {{incident.id}}',
  })
  expect(edited.body.data?.subject).toBe('New {{incident.id}}')
  const builtin = (list as unknown as { id: number }[])[0]!.id
  expect((await api(keys.admin, `/api/v1/notification-templates/${builtin}`, 'DELETE')).status).toBe(409)
  expect((await api(keys.admin, `/api/v1/notification-templates/${id}`, 'DELETE')).status).toBe(200)
  expect((await api(keys.admin, `/api/v1/notification-templates/${id}`, 'PUT', draft)).status).toBe(404)
})

it('test-send renders the template with the sample incident and delivers it to the address given; a refusal is reported', async () => {
  const tpl = (
    await api(keys.admin, '/api/v1/notification-templates', 'POST', {
      name: 'Test me',
      subject: 'Incident {{incident.id}}: {{subject}}',
      body: 'Sender: {{sender}}\nStatus: {{quarantine.status}}\nUnknown: {{nope}}',
    })
  ).body.data!.id!
  const sent = await api(keys.admin, `/api/v1/notification-templates/${tpl}/test-send`, 'POST', {
    connectorId,
    to: 'me@corp.example',
  })
  expect(sent.status).toBe(200)
  expect(sent.body.data).toEqual({ sent: true, error: null, rejected: [] })
  const got = smtp.messages.filter((m) => m.envelopeTo.includes('me@corp.example'))
  expect(got).toHaveLength(1)
  expect(got[0]!.mail.subject).toBe('[test] Incident 12345: Your invoice is overdue')
  expect(got[0]!.mail.text).toContain('Sender: billing@examp1e-invoices.test')
  expect(got[0]!.mail.text).toContain('Unknown: {{nope}}')
  const refused = await api(keys.admin, `/api/v1/notification-templates/${tpl}/test-send`, 'POST', {
    connectorId,
    to: 'gone@corp.example',
  })
  expect(refused.body.data?.sent).toBe(false)
  expect(String(refused.body.data?.error)).toMatch(/550|unavailable/)
  const badTo = await api(keys.admin, `/api/v1/notification-templates/${tpl}/test-send`, 'POST', {
    connectorId,
    to: 'x',
  })
  expect(badTo.status).toBe(400)
  expect(badTo.body.error?.message).toMatch(/^to/)
  expect(
    (
      await api(keys.analyst, `/api/v1/notification-templates/${tpl}/test-send`, 'POST', {
        connectorId,
        to: 'a@b.example',
      })
    ).status,
  ).toBe(403)
})
