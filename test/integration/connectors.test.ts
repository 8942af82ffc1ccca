import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, credentials } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { startSmtpPeer } from '../peers/smtp.ts'
import { startVirusTotalPeer } from '../peers/virustotal.ts'
import { startWebhookReceiver } from '../peers/webhook-receiver.ts'

/**
 * Connector instances through the native API: CRUD with the kind's settings schema, secrets
 * encrypted and never returned, the egress policy, and "test connection" against real peers
 * (smtp-server, an HTTP webhook receiver verifying signatures, a VirusTotal API v3 peer).
 */
let t: TestApp
let admin: string
let analyst: string
beforeAll(async () => {
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  analyst = await makeApiKey(t.deps.db, ['Analysts'])
})
afterAll(() => t.close())

type Body = { data?: Record<string, unknown> & { id?: number }; error?: { message: string } }
const req = async (path: string, method = 'GET', body?: unknown, key = admin) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Body }
}
const testIt = async (id: number) =>
  (await req(`/api/v1/connectors/${id}/test`, 'POST')).body.data as { isOk: boolean; message: string }

describe('connectors API', () => {
  it('lists the registered kinds with their settings schema and secret names', async () => {
    const { status, body } = await req('/api/v1/connector-kinds')
    expect(status).toBe(200)
    const kinds = body.data as unknown as {
      kind: string
      capabilities: string[]
      settings: { properties: object }
      secrets: { name: string }[]
    }[]
    const webhook = kinds.find((k) => k.kind === 'webhook')!
    expect(webhook.capabilities).toEqual(['webhook.post'])
    expect(Object.keys(webhook.settings.properties)).toContain('url')
    expect(webhook.secrets.map((s) => s.name)).toEqual(['signingSecret'])
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['smtp', 'virustotal', 'webhook']))
  })

  it('validates settings with the kind schema, naming the field, and requires required secrets', async () => {
    let r = await req('/api/v1/connectors', 'POST', { kind: 'webhook', name: 'x', settings: { url: 'ftp://nope' } })
    expect(r.status).toBe(400)
    expect(r.body.error!.message).toMatch(/^settings\.url:/)
    r = await req('/api/v1/connectors', 'POST', {
      kind: 'webhook',
      name: 'x',
      settings: { url: 'https://h.example/', extra: 1 },
    })
    expect(r.body.error!.message).toMatch(/^settings/)
    r = await req('/api/v1/connectors', 'POST', { kind: 'webhook', name: 'x', settings: { url: 'https://h.example/' } })
    expect(r.status).toBe(400)
    expect(r.body.error!.message).toMatch(/^secrets\.signingSecret: required/)
    r = await req('/api/v1/connectors', 'POST', { kind: 'nope', name: 'x', settings: {} })
    expect(r.body.error!.message).toMatch(/^kind: unknown connector kind/)
    r = await req('/api/v1/connectors', 'POST', {
      kind: 'webhook',
      name: 'x',
      settings: { url: 'https://h.example/' },
      secrets: { signingSecret: 's', other: 'y' },
    })
    expect(r.body.error!.message).toMatch(/^secrets\.other:/)
  })

  it('stores secrets encrypted, never returns them, keeps them on an empty update, and audits without values', async () => {
    const secret = 'hook-secret-value-123'
    const created = await req('/api/v1/connectors', 'POST', {
      kind: 'webhook',
      name: 'SOAR hook',
      settings: { url: 'https://soar.example/hook' },
      secrets: { signingSecret: secret },
    })
    expect(created.status).toBe(201)
    const id = created.body.data!.id!
    expect(created.body.data).toMatchObject({
      kind: 'webhook',
      secretsSet: ['signingSecret'],
      isOnPremises: false,
      lastTest: null,
    })
    expect(JSON.stringify(created.body)).not.toContain(secret)
    const [cred] = await t.deps.db.select().from(credentials).where(eq(credentials.ownerKind, 'connector'))
    expect(cred!.ciphertext.toString('latin1')).not.toContain(secret)
    const updated = await req(`/api/v1/connectors/${id}`, 'PATCH', {
      settings: { url: 'https://soar.example/v2' },
      secrets: { signingSecret: '' },
    })
    expect(updated.status).toBe(200)
    expect(updated.body.data).toMatchObject({
      settings: { url: 'https://soar.example/v2', timeoutSeconds: 10 },
      secretsSet: ['signingSecret'],
    })
    // a PATCH without settings keeps them (it used to read a missing `settings` as {} and refuse)
    const flagged = await req(`/api/v1/connectors/${id}`, 'PATCH', { isOnPremises: true })
    expect(flagged.status).toBe(200)
    expect(flagged.body.data).toMatchObject({ isOnPremises: true, settings: { url: 'https://soar.example/v2' } })
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectType, 'connector'))
    expect(audit.map((a) => a.action)).toEqual(['connector.create', 'connector.update', 'connector.update'])
    expect(JSON.stringify(audit)).not.toContain(secret)
    expect(
      (
        await req('/api/v1/connectors', 'POST', {
          kind: 'webhook',
          name: 'SOAR hook',
          settings: { url: 'https://a.example/' },
          secrets: { signingSecret: 'x' },
        })
      ).status,
    ).toBe(409)
    expect((await req(`/api/v1/connectors/${id}`, 'DELETE')).status).toBe(200)
    expect(await t.deps.db.select().from(credentials).where(eq(credentials.ownerKind, 'connector'))).toHaveLength(0)
    expect((await req(`/api/v1/connectors/${id}`)).status).toBe(404)
  })

  it('is for system.manage only: an analyst gets 403 and cannot read settings', async () => {
    expect((await req('/api/v1/connectors', 'GET', undefined, analyst)).status).toBe(403)
    expect((await req('/api/v1/connector-kinds', 'GET', undefined, analyst)).status).toBe(403)
  })
})

describe('test connection against real peers', () => {
  it('webhook: a signed ping the receiver verifies; a cloud connector may not reach loopback', async () => {
    const hook = await startWebhookReceiver('s3cret')
    try {
      const make = async (name: string, isOnPremises: boolean) =>
        (
          await req('/api/v1/connectors', 'POST', {
            kind: 'webhook',
            name,
            settings: { url: hook.url },
            secrets: { signingSecret: 's3cret' },
            isOnPremises,
          })
        ).body.data!.id!
      const cloud = await make('hook cloud', false)
      const refused = await testIt(cloud)
      expect(refused).toMatchObject({
        isOk: false,
        message: expect.stringMatching(/egress policy: 127\.0\.0\.1 is a loopback/),
      })
      expect(hook.deliveries).toHaveLength(0)
      const onPrem = await make('hook on-prem', true)
      expect(await testIt(onPrem)).toMatchObject({ isOk: true, message: expect.stringMatching(/HTTP 200/) })
      expect(hook.deliveries).toEqual([
        expect.objectContaining({ isSignatureValid: true, body: expect.objectContaining({ type: 'ping' }) }),
      ])
      const shown = (await req(`/api/v1/connectors/${onPrem}`)).body.data!
      expect(shown.lastTest).toMatchObject({ isOk: true })
    } finally {
      await hook.close()
    }
  })

  it('smtp: AUTH accepted, wrong password reported as refused credentials', async () => {
    const smtp = await startSmtpPeer({ user: { name: 'relay', password: 'pw-right' } })
    try {
      const make = async (name: string, password: string) =>
        (
          await req('/api/v1/connectors', 'POST', {
            kind: 'smtp',
            name,
            settings: {
              host: '127.0.0.1',
              port: smtp.port,
              security: 'none',
              username: 'relay',
              from: 'clawback@corp.example.test',
            },
            secrets: { password },
            isOnPremises: true,
          })
        ).body.data!.id!
      expect(await testIt(await make('relay ok', 'pw-right'))).toMatchObject({
        isOk: true,
        message: expect.stringMatching(/accepted the connection and the login/),
      })
      expect(await testIt(await make('relay bad', 'pw-wrong'))).toMatchObject({
        isOk: false,
        message: expect.stringMatching(/credentials were refused/),
      })
    } finally {
      await smtp.close()
    }
  })

  it('virustotal: a good key passes, a bad key is named, the quota is reported as throttling', async () => {
    const key = 'a'.repeat(64)
    const vt = await startVirusTotalPeer({ apiKey: key, perMinute: 2, objects: { '8.8.8.8': { harmless: 60 } } })
    try {
      const make = async (name: string, apiKey: string) =>
        (
          await req('/api/v1/connectors', 'POST', {
            kind: 'virustotal',
            name,
            settings: { baseUrl: vt.baseUrl },
            secrets: { apiKey },
            isOnPremises: true,
          })
        ).body.data!.id!
      const good = await make('vt', key)
      expect(await testIt(good)).toMatchObject({ isOk: true })
      expect(await testIt(await make('vt bad', 'b'.repeat(64)))).toMatchObject({
        isOk: false,
        message: expect.stringMatching(/credentials were refused: virustotal: HTTP 401/),
      })
      await testIt(good)
      expect(await testIt(good)).toMatchObject({
        isOk: false,
        message: expect.stringMatching(/throttled: virustotal: HTTP 429/),
      })
    } finally {
      await vt.close()
    }
  })
})
