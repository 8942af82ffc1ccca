import { Client } from 'ldapts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectorError } from '../../core/src/connectors/errors.ts'
import { supports } from '../../core/src/connectors/types.ts'
import { openConnector } from '../../core/src/domain/connectors/open-connector.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { type SambaPeer, startSambaPeer, USER_PASSWORD } from '../peers/samba.ts'

/**
 * The `ad` connector against a real Samba AD DC (test/peers/samba.ts): nested distribution-list
 * expansion with the in-chain rule, disabled accounts, addresses that are not groups, refused
 * credentials, AD's refusal of simple binds over plain LDAP, TLS verification, "test connection"
 * through the native API, and the egress policy. One Samba per machine: the peer's lock keeps
 * this file serial with any other user of it.
 */
let t: TestApp
let samba: SambaPeer
let admin: string
beforeAll(async () => {
  samba = await startSambaPeer()
  console.info(`samba peer ready in ${samba.startMs} ms`)
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
}, 600_000)
afterAll(async () => {
  await t?.close()
  await samba?.stop()
})

type Body = { data?: Record<string, unknown> & { id?: number }; error?: { message: string } }
const req = async (path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Body }
}
const testIt = async (id: number) =>
  (await req(`/api/v1/connectors/${id}/test`, 'POST')).body.data as { isOk: boolean; message: string }

let seq = 0
/** Creates an `ad` connector through the API (settings over the defaults) and returns its id. */
const make = async (
  settings: Record<string, unknown> = {},
  opts: { password?: string; isOnPremises?: boolean } = {},
) => {
  const r = await req('/api/v1/connectors', 'POST', {
    kind: 'ad',
    name: `dc ${++seq}`,
    settings: {
      url: samba.ldapsUrl,
      baseDn: samba.baseDn,
      bindDn: samba.upn('outsider'),
      caCertificate: samba.caPem,
      ...settings,
    },
    secrets: { bindPassword: opts.password ?? USER_PASSWORD },
    isOnPremises: opts.isOnPremises ?? true,
  })
  expect(r.status, JSON.stringify(r.body)).toBe(201)
  return r.body.data!.id!
}

/** Runs expandGroups on a stored connector the way a job does (openConnector: egress policy, secrets). */
const expand = async (id: number, addresses: string[], signal = AbortSignal.timeout(30_000)) => {
  const opened = await openConnector(t.deps.db, t.deps.keyring, id, {
    signal,
    log: t.deps.log,
  })
  try {
    if (!supports(opened.connector, 'directory.expand')) throw new Error('ad connector lacks directory.expand')
    return await opened.connector.expandGroups(addresses, opened.ctx)
  } finally {
    await opened.close()
  }
}

const caught = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    return err as ConnectorError
  }
  throw new Error('expected a rejection')
}

describe('ad connector: directory.expand against Samba AD', () => {
  it('expands a distribution list through nested security groups: every enabled member once', async () => {
    const id = await make()
    const [dl, byProxy, security] = await expand(id, [
      'all-staff@corp.example.test',
      'Everyone@Corp.Example.Test',
      'engineering@corp.example.test',
    ])
    // all-staff: alice, bob (also via engineering), dave (disabled: left out), engineering ⊃ platform ⊃
    // grace, erin and frank (frank has no mail)
    const everyone = [
      'alice@corp.example.test',
      'bob@corp.example.test',
      'erin@corp.example.test',
      'grace@corp.example.test',
    ]
    expect(dl).toEqual({ ok: true, value: everyone })
    expect(byProxy).toEqual({ ok: true, value: everyone })
    expect(security).toEqual({
      ok: true,
      value: ['bob@corp.example.test', 'erin@corp.example.test', 'grace@corp.example.test'],
    })
  })

  it('includes disabled members only when the setting asks, and pages through members', async () => {
    const id = await make({ includeDisabled: true, pageSize: 1 })
    const [dl] = await expand(id, ['all-staff@corp.example.test'])
    expect(dl).toEqual({
      ok: true,
      value: [
        'alice@corp.example.test',
        'bob@corp.example.test',
        'dave@corp.example.test',
        'erin@corp.example.test',
        'grace@corp.example.test',
      ],
    })
  })

  it('answers null for a user, an unknown address and filter syntax, in the order asked', async () => {
    const id = await make()
    expect(
      await expand(id, [
        'alice@corp.example.test',
        'nobody@corp.example.test',
        '*)(objectClass=*',
        'all-staff@corp.example.test)(mail=*',
        'platform@corp.example.test',
      ]),
    ).toEqual([
      { ok: true, value: null },
      { ok: true, value: null },
      { ok: true, value: null },
      { ok: true, value: null },
      { ok: true, value: null },
    ])
  })

  it('reports a wrong password as an auth error for the whole call', async () => {
    const id = await make({}, { password: 'wrong-password' })
    const err = await caught(expand(id, ['all-staff@corp.example.test']))
    expect(err).toBeInstanceOf(ConnectorError)
    expect(err.kind).toBe('auth')
    expect(err.message).toMatch(/bind DN or password was refused \(49/)
  })

  it('handles AD refusing a simple bind over plain LDAP, and binds after StartTLS', async () => {
    const plain = await make({ url: samba.ldapUrl, startTls: false })
    const err = await caught(expand(plain, ['all-staff@corp.example.test']))
    expect(err.kind).toBe('rejected')
    expect(err.message).toMatch(/unprotected connection \(8\); use ldaps:\/\/ or StartTLS/)
    const startTls = await make({ url: samba.ldapUrl })
    const [dl] = await expand(startTls, ['all-staff@corp.example.test'])
    expect(dl).toMatchObject({ ok: true, value: expect.arrayContaining(['alice@corp.example.test']) })
  })

  it('honours the abort signal: an aborted call fails as unavailable and leaves the next one working', async () => {
    const id = await make()
    const err = await caught(expand(id, ['all-staff@corp.example.test'], AbortSignal.abort()))
    expect(err).toMatchObject({ kind: 'unavailable', message: 'ad: aborted' })
    // aborted while connecting / binding: the socket is closed, nothing leaks out later
    const midway = await caught(expand(id, ['all-staff@corp.example.test'], AbortSignal.timeout(5)))
    expect(midway).toMatchObject({ kind: 'unavailable', message: 'ad: aborted' })
    expect((await expand(id, ['all-staff@corp.example.test']))[0]).toMatchObject({ ok: true })
  })

  it('verifies the certificate: without the CA it is refused as TLS, naming the problem', async () => {
    const id = await make({ caCertificate: undefined })
    const err = await caught(expand(id, ['all-staff@corp.example.test']))
    expect(err.kind).toBe('rejected')
    expect(err.message).toMatch(/TLS failed/)
  })
})

describe('ad connector: test connection through the API', () => {
  it('binds, finds the base DN and says so; names bad credentials, TLS and a missing base DN', async () => {
    expect(await testIt(await make())).toMatchObject({
      isOk: true,
      message: expect.stringMatching(
        /^bound to dc1\.corp\.example\.test over LDAPS; base DN DC=corp,DC=example,DC=test found/,
      ),
    })
    expect(await testIt(await make({}, { password: 'nope' }))).toMatchObject({
      isOk: false,
      message: expect.stringMatching(/credentials were refused: ad: the bind DN or password was refused/),
    })
    expect(await testIt(await make({ caCertificate: undefined }))).toMatchObject({
      isOk: false,
      message: expect.stringMatching(/TLS failed/),
    })
    expect(await testIt(await make({ baseDn: 'OU=Gone,DC=corp,DC=example,DC=test' }))).toMatchObject({
      isOk: false,
      message: expect.stringMatching(/base DN OU=Gone,DC=corp,DC=example,DC=test not found/),
    })
  })

  it('is refused by the egress policy for loopback until the connector is marked on-premises', async () => {
    const id = await make({}, { isOnPremises: false })
    expect(await testIt(id)).toMatchObject({
      isOk: false,
      message: expect.stringMatching(/egress policy: localhost resolves to (127\.0\.0\.1|::1) is a loopback/),
    })
    const literal = await make({ url: 'ldaps://127.0.0.1:636' }, { isOnPremises: false })
    expect(await testIt(literal)).toMatchObject({
      isOk: false,
      message: expect.stringMatching(/egress policy: 127\.0\.0\.1 is a loopback/),
    })
    // settings go along: the PATCH route's schema defaults an absent `settings` to {} (reported to the lead)
    const patched = await req(`/api/v1/connectors/${literal}`, 'PATCH', {
      isOnPremises: true,
      settings: {
        url: 'ldaps://127.0.0.1:636',
        baseDn: samba.baseDn,
        bindDn: samba.upn('outsider'),
        caCertificate: samba.caPem,
      },
    })
    expect(patched.status, JSON.stringify(patched.body)).toBe(200)
    expect(await testIt(literal)).toMatchObject({ isOk: true, message: expect.stringMatching(/over LDAPS/) })
  })

  it('validates the settings at the edge, naming the field without echoing it', async () => {
    const r = await req('/api/v1/connectors', 'POST', {
      kind: 'ad',
      name: 'bad url',
      settings: { url: 'https://secret-host.example', baseDn: 'DC=x', bindDn: 'u' },
      secrets: { bindPassword: 'p' },
    })
    expect(r.status).toBe(400)
    expect(r.body.error!.message).toMatch(/^settings\.url:/)
    expect(r.body.error!.message).not.toContain('secret-host')
    const pem = await req('/api/v1/connectors', 'POST', {
      kind: 'ad',
      name: 'bad pem',
      settings: { url: samba.ldapsUrl, baseDn: 'DC=x', bindDn: 'u', caCertificate: 'not a certificate' },
      secrets: { bindPassword: 'p' },
    })
    expect(pem.status).toBe(400)
    expect(pem.body.error!.message).toMatch(/^settings\.caCertificate: expected a PEM certificate/)
  })
})

describe('samba peer', () => {
  it('is a real AD: the disabled seed account cannot bind (49), an enabled one can', async () => {
    const client = new Client({ url: 'ldaps://127.0.0.1:636', tlsOptions: { ca: [samba.caPem] } })
    try {
      await client.bind(samba.upn('alice'), USER_PASSWORD)
      await client.unbind()
      await expect(client.bind(samba.upn('dave'), USER_PASSWORD)).rejects.toMatchObject({ code: 49 })
    } finally {
      await client.unbind()
    }
  })
})
