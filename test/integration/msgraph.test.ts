import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConnectorError } from '../../core/src/connectors/errors.ts'
import { createHttpClient, resolveUnderPolicy } from '../../core/src/connectors/http.ts'
import { instantiateConnector } from '../../core/src/connectors/index.ts'
import { GraphConnector } from '../../core/src/connectors/msgraph/client.ts'
import { ZGraphSettings } from '../../core/src/connectors/msgraph/manifest.ts'
import { type CallContext, type MailCopy, supports } from '../../core/src/connectors/types.ts'
import { createLogger } from '../../core/src/log.ts'
import { startTestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { type GraphPeer, startGraphPeer } from '../peers/graph.ts'

/**
 * The msgraph connector against the loopback Graph peer (test/peers/graph.ts), through the real
 * @microsoft/microsoft-graph-client and @azure/identity. Outcomes are read from the peer's mailbox
 * state (where the message is, its read flag), not from our own calls; every test ends with the
 * peer having recorded no limit violation.
 */
let peer: GraphPeer
let http: ReturnType<typeof createHttpClient>
let ctx: CallContext

const settingsFor = (p: GraphPeer, extra: Record<string, unknown> = {}) =>
  ZGraphSettings.parse({
    tenantId: p.tenantId,
    clientId: p.clientId,
    authorityHost: p.authorityHost,
    graphBaseUrl: p.baseUrl,
    domains: ['contoso.example'],
    ...extra,
  })
const connector = (limits?: ConstructorParameters<typeof GraphConnector>[2]) =>
  new GraphConnector(settingsFor(peer), { clientSecret: peer.clientSecret }, limits)
const byId = (messageId: string) => ({ by: 'messageId' as const, messageId })
const values = <T>(items: ({ ok: true; value: T } | { ok: false; error: ConnectorError })[]) =>
  items.map((i) => {
    if (!i.ok) throw i.error
    return i.value
  })

beforeAll(async () => {
  peer = await startGraphPeer()
  http = createHttpClient({ policy: { isOnPremises: true }, ca: peer.ca })
  ctx = {
    signal: new AbortController().signal,
    log: createLogger('silent'),
    http,
    resolve: (host) => resolveUnderPolicy({ isOnPremises: true }, host),
  }
})
afterEach(() => {
  expect(peer.violations).toEqual([])
  Object.assign(peer.inject, { memberFailureRate: 0, batchFailureRate: 0, failNextBatches: 0, resetNextBatches: 0 })
  peer.inject.throttle.clear()
  peer.state.denied.clear()
})
afterAll(async () => {
  await http.close()
  await peer.close()
})

describe('msgraph connector', () => {
  it('is registered with the capabilities it implements', () => {
    const c = instantiateConnector('msgraph', settingsFor(peer), { clientSecret: 'x' })
    expect(supports(c, 'mail.search') && supports(c, 'mail.remediate') && supports(c, 'directory.expand')).toBe(true)
    expect(typeof (c as GraphConnector).findMessages).toBe('function')
    expect(() => ZGraphSettings.parse({ tenantId: 't', clientId: 'c', graphBaseUrl: 'http://x' })).toThrow(
      /graphBaseUrl|https/,
    )
  })

  it('finds, quarantines into a hidden folder and restores with the read state, as the mailbox shows it', async () => {
    const mid = '<round-trip@evil.example>'
    peer.state.deliver('ann@contoso.example', { internetMessageId: mid, isRead: true })
    peer.state.deliver('bob@contoso.example', { internetMessageId: mid, isRead: false })
    peer.state.deliver('bob@contoso.example', { internetMessageId: '<other@x>' })
    const c = connector()
    const found = values(
      await c.findMessages(
        [
          { mailbox: 'ann@contoso.example', locator: byId(mid) },
          { mailbox: 'bob@contoso.example', locator: byId(mid) },
        ],
        ctx,
      ),
    )
    expect(found.map((f) => f.copies.map((x) => [x.place, x.isRead, x.folderName]))).toEqual([
      [['inbox', true, 'Inbox']],
      [['inbox', false, 'Inbox']],
    ])
    const originals = found.flatMap((f) => f.copies)
    const quarantined = values(await c.quarantine(originals, ctx))
    for (const mailbox of ['ann@contoso.example', 'bob@contoso.example'])
      expect(peer.state.locate(mailbox, mid).map((l) => [l.folder, l.isHidden])).toEqual([
        ['Clawback Quarantine', true],
      ])
    expect(quarantined.every((q) => q.place === 'quarantine')).toBe(true)
    // a retried quarantine never moves twice and answers the copies as they are
    expect(values(await c.quarantine(quarantined, ctx)).map((q) => q.providerId)).toEqual(
      quarantined.map((q) => q.providerId),
    )
    // a fresh instance (another job) finds the copies in quarantine and reuses the one hidden folder
    const again = values(await connector().findMessages([{ mailbox: 'ann@contoso.example', locator: byId(mid) }], ctx))
    expect(again[0]!.copies.map((x) => x.place)).toEqual(['quarantine'])
    // the user read bob's copy? no: the user cannot see it; restore puts both back as they were
    const restored = values(
      await c.restore(
        quarantined.map((q, i) => ({ quarantined: q, original: originals[i]! })),
        ctx,
      ),
    )
    expect(restored.map((r) => [r.place, r.isRead])).toEqual([
      ['inbox', true],
      ['inbox', false],
    ])
    expect(peer.state.locate('ann@contoso.example', mid).map((l) => [l.folder, l.isRead])).toEqual([['inbox', true]])
    expect(peer.state.locate('bob@contoso.example', mid).map((l) => [l.folder, l.isRead])).toEqual([['inbox', false]])
    const folders = [...peer.state.users.get('ann@contoso.example')!.folders.values()]
    expect(folders.filter((f) => f.displayName === 'Clawback Quarantine')).toHaveLength(1)
  })

  it('restores a copy the user had deleted to Deleted Items; ids change on move only without ImmutableId', async () => {
    const mid = '<deleted-first@evil.example>'
    const msg = peer.state.deliver('carol@contoso.example', {
      internetMessageId: mid,
      folder: 'deleteditems',
      isRead: true,
    })
    const c = connector()
    const [found] = values(await c.findMessages([{ mailbox: 'carol@contoso.example', locator: byId(mid) }], ctx))
    expect(found!.copies.map((x) => [x.place, x.folderName, x.providerId])).toEqual([
      ['deleted', 'Deleted Items', msg.immutableId],
    ])
    const [q] = values(await c.quarantine(found!.copies, ctx))
    expect(q!.providerId).toBe(msg.immutableId) // immutable: the id survived the move
    const [r] = values(await c.restore([{ quarantined: q!, original: found!.copies[0]! }], ctx))
    expect(r!.place).toBe('deleted')
    expect(peer.state.locate('carol@contoso.example', mid).map((l) => [l.folder, l.isRead])).toEqual([
      ['deleteditems', true],
    ])
    // the same move without the Prefer header: the message gets a new id and the old one is gone
    const before = msg.restId
    const [moved] = await c.transport.run(
      [
        {
          key: 'carol@contoso.example',
          method: 'POST',
          url: `/users/carol@contoso.example/messages/${before}/move`,
          body: { destinationId: 'inbox' },
          headers: { Prefer: 'return=representation' },
        },
      ],
      ctx,
    )
    expect(moved).toMatchObject({ status: 201 })
    const newId = (moved as { body: { id: string } }).body.id
    expect(newId).not.toBe(before)
    const [stale] = await c.transport.run(
      [
        {
          key: 'carol@contoso.example',
          method: 'GET',
          url: `/users/carol@contoso.example/messages/${before}`,
          headers: { Prefer: 'x' },
        },
      ],
      ctx,
    )
    expect(stale).toMatchObject({ status: 404 })
  })

  it('searches Recoverable Items, reports it unreachable when refused, and answers an unknown mailbox per item', async () => {
    const mid = '<purged@evil.example>'
    peer.state.deliver('dave@contoso.example', { internetMessageId: mid, folder: 'recoverableitemsdeletions' })
    peer.state.deliver('erin@contoso.example', { internetMessageId: mid })
    peer.state.recoverableDenied.add('erin@contoso.example')
    const c = connector()
    const res = await c.findMessages(
      ['dave@contoso.example', 'erin@contoso.example', 'nobody@contoso.example'].map((mailbox) => ({
        mailbox,
        locator: byId(mid),
      })),
      ctx,
    )
    expect(res[0]).toMatchObject({ ok: true, value: { copies: [{ place: 'recoverable' }], unreachable: [] } })
    expect(res[1]).toMatchObject({
      ok: true,
      value: { copies: [{ place: 'inbox' }], unreachable: ['recoverableitemsdeletions'] },
    })
    expect(res[2]).toMatchObject({ ok: false, error: { kind: 'not_found' } })
    // quarantine from the dumpster and back
    const orig = (res[0] as { value: { copies: MailCopy[] } }).value.copies[0]!
    const [q] = values(await c.quarantine([orig], ctx))
    expect(peer.state.locate('dave@contoso.example', mid)[0]!.isHidden).toBe(true)
    values(await c.restore([{ quarantined: q!, original: orig }], ctx))
    expect(peer.state.locate('dave@contoso.example', mid)[0]!.folder).toBe('recoverableitemsdeletions')
  })

  it('finds by sender + subject + time window without a Message-ID, and finds forwards in Sent Items', async () => {
    const at = new Date('2026-11-30T10:00:00Z').toISOString()
    peer.state.deliver('fay@contoso.example', {
      internetMessageId: '<a@x>',
      from: 'boss@evil.example',
      subject: "Pay 'now'",
      receivedDateTime: at,
    })
    peer.state.deliver('fay@contoso.example', {
      internetMessageId: '<b@x>',
      from: 'boss@evil.example',
      subject: "Pay 'now'",
      receivedDateTime: '2026-11-01T00:00:00Z',
    })
    peer.state.deliver('fay@contoso.example', {
      internetMessageId: '<fw1@x>',
      folder: 'sentitems',
      subject: "FW: Pay 'now'",
      sentDateTime: '2026-11-30T11:00:00Z',
      toRecipients: ['gus@contoso.example'],
    })
    peer.state.deliver('fay@contoso.example', {
      internetMessageId: '<fw2@x>',
      folder: 'sentitems',
      subject: 'see below',
      sentDateTime: '2026-11-30T12:00:00Z',
      toRecipients: ['hal@contoso.example'],
      internetMessageHeaders: [{ name: 'References', value: '<a@x>' }],
    })
    peer.state.deliver('fay@contoso.example', {
      internetMessageId: '<old@x>',
      folder: 'sentitems',
      subject: "FW: Pay 'now'",
      sentDateTime: '2026-11-29T11:00:00Z',
    })
    const c = connector()
    const [found] = values(
      await c.findMessages(
        [
          {
            mailbox: 'fay@contoso.example',
            locator: {
              by: 'attributes',
              sender: 'boss@evil.example',
              subject: "Pay 'now'",
              receivedFrom: '2026-11-30T09:00:00Z',
              receivedTo: '2026-11-30T11:00:00Z',
            },
          },
        ],
        ctx,
      ),
    )
    expect(found!.copies.map((x) => x.internetMessageId)).toEqual(['<a@x>'])
    const [fw] = values(
      await c.findForwards(
        [{ mailbox: 'fay@contoso.example', messageId: '<a@x>', subject: "Pay 'now'", after: at }],
        ctx,
      ),
    )
    expect(fw!.map((f) => [f.messageId, f.recipients]).sort()).toEqual([
      ['<fw1@x>', ['gus@contoso.example']],
      ['<fw2@x>', ['hal@contoso.example']],
    ])
  })

  it('expands distribution lists transitively over several pages; a plain address is not a group', async () => {
    peer.state.groupPageSize = 3
    const inner = Array.from({ length: 5 }, (_, i) => `in${i}@contoso.example`)
    peer.state.addGroup('inner@contoso.example', inner)
    peer.state.addGroup('all@contoso.example', [
      'inner@contoso.example',
      'x1@contoso.example',
      'in0@contoso.example',
      'x2@contoso.example',
    ])
    const res = await connector().expandGroups(['all@contoso.example', 'ann@contoso.example'], ctx)
    expect(res[0]).toMatchObject({ ok: true })
    expect((res[0] as { value: string[] }).value.sort()).toEqual(
      [...inner, 'x1@contoso.example', 'x2@contoso.example'].sort(),
    )
    expect(res[1]).toEqual({ ok: true, value: null })
    peer.state.denied.add('GroupMember.Read.All')
    expect((await connector().expandGroups(['all@contoso.example'], ctx))[0]).toMatchObject({
      ok: false,
      error: { kind: 'auth', message: expect.stringMatching(/GroupMember\.Read\.All/) },
    })
  })

  it('waits out 429 storms, dropped connections and 5xx batches; a mailbox throttled past the budget answers rate_limited alone', async () => {
    const mid = '<storm@evil.example>'
    const boxes = Array.from({ length: 12 }, (_, i) => `storm${i}@contoso.example`)
    for (const m of boxes) peer.state.deliver(m, { internetMessageId: mid })
    peer.inject.throttle.set('storm0@contoso.example', 3)
    peer.inject.throttle.set('storm1@contoso.example', 2)
    peer.inject.failNextBatches = 1
    peer.inject.resetNextBatches = 1
    const c = connector({ retryBudgetMs: 8_000 })
    const found = values(
      await c.findMessages(
        boxes.map((mailbox) => ({ mailbox, locator: byId(mid) })),
        ctx,
      ),
    )
    expect(found.every((f) => f.copies.length === 1)).toBe(true)
    peer.inject.throttle.set('storm2@contoso.example', 1_000)
    const res = await c.quarantine(
      found.flatMap((f) => f.copies),
      ctx,
    )
    expect(res[2]).toMatchObject({ ok: false, error: { kind: 'rate_limited', retryAfterMs: expect.any(Number) } })
    expect(res.filter((r) => r.ok)).toHaveLength(11)
    expect(boxes.filter((m) => peer.state.locate(m, mid)[0]!.isHidden)).toHaveLength(11)
  })

  it('with 10 % injected 429/5xx/dropped batches every copy is quarantined exactly once, then all restored with read state', async () => {
    const mid = '<chaos@evil.example>'
    const boxes = Array.from({ length: 60 }, (_, i) => `chaos${i}@contoso.example`)
    boxes.forEach((m, i) => {
      peer.state.deliver(m, { internetMessageId: mid, isRead: i % 2 === 0 })
    })
    Object.assign(peer.inject, { memberFailureRate: 0.1, batchFailureRate: 0.1 })
    const c = connector({ retryBudgetMs: 30_000, maxAttempts: 12 })
    const found = values(
      await c.findMessages(
        boxes.map((mailbox) => ({ mailbox, locator: byId(mid) })),
        ctx,
      ),
    )
    const originals = found.flatMap((f) => f.copies)
    expect(originals).toHaveLength(60)
    const quarantined = values(await c.quarantine(originals, ctx))
    for (const m of boxes) expect(peer.state.locate(m, mid).map((l) => l.isHidden)).toEqual([true])
    for (const m of boxes)
      expect(
        [...peer.state.users.get(m)!.folders.values()].filter((f) => f.displayName === 'Clawback Quarantine'),
      ).toHaveLength(1)
    values(
      await c.restore(
        quarantined.map((q, i) => ({ quarantined: q, original: originals[i]! })),
        ctx,
      ),
    )
    boxes.forEach((m, i) => {
      expect(peer.state.locate(m, mid).map((l) => [l.folder, l.isRead])).toEqual([['inbox', i % 2 === 0]])
    })
  })

  it('gets a new credential once when Graph revokes the token', async () => {
    peer.state.deliver('ivy@contoso.example', { internetMessageId: '<t@x>' })
    const c = connector()
    values(await c.findMessages([{ mailbox: 'ivy@contoso.example', locator: byId('<t@x>') }], ctx))
    const tokens = peer.stats.tokenRequests
    peer.expireTokens()
    const [again] = values(await c.findMessages([{ mailbox: 'ivy@contoso.example', locator: byId('<t@x>') }], ctx))
    expect(again!.copies).toHaveLength(1)
    expect(peer.stats.tokenRequests).toBe(tokens + 1)
  })

  it('test() proves the token and each permission, and names the one missing', async () => {
    expect((await connector().test(ctx)).message).toMatch(/token issued/)
    for (const permission of ['User.Read.All', 'Mail.ReadWrite', 'GroupMember.Read.All'] as const) {
      peer.state.denied.clear()
      peer.state.denied.add(permission)
      const err = await connector()
        .test(ctx)
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConnectorError)
      expect(err).toMatchObject({ kind: 'auth', message: expect.stringContaining(permission) })
    }
    const wrong = new GraphConnector(settingsFor(peer), { clientSecret: 'wrong' })
    expect(await wrong.test(ctx).catch((e: unknown) => e)).toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/refused the client id or secret/),
    })
  })

  it('test() with testMailbox opens its folders and Recoverable Items and names what is missing: the permission, a scope, the dumpster', async () => {
    const probe = 'probe@contoso.example'
    // (the test connection lists two users: one answering tells a scope from a missing permission)
    if (peer.state.users.size === 0) peer.state.addMailbox('first@contoso.example')
    peer.state.addMailbox(probe)
    const withProbe = () =>
      new GraphConnector(settingsFor(peer, { testMailbox: probe }), { clientSecret: peer.clientSecret })
    const failure = (c: GraphConnector) => c.test(ctx).catch((e: unknown) => e as ConnectorError)
    try {
      expect((await withProbe().test(ctx)).message).toMatch(
        /read probe@contoso\.example's folders and its Recoverable Items and the groups/,
      )
      // Mail.ReadWrite not granted: every mailbox answers 403 ErrorAccessDenied
      peer.state.denied.add('Mail.ReadWrite')
      const missing = await failure(withProbe())
      expect(missing).toMatchObject({ kind: 'auth' })
      expect(missing.message).toMatch(
        /probe@contoso\.example answers ErrorAccessDenied: grant the application permission Mail\.ReadWrite/,
      )
      peer.state.denied.clear()
      // granted, but the mailbox is outside the app's Exchange Online scope: the first user's Inbox answers
      peer.state.outOfScope.add(probe)
      const scoped = await failure(withProbe())
      expect(scoped).toMatchObject({ kind: 'auth' })
      expect(scoped.message).toMatch(
        /Mail\.ReadWrite is granted .* but probe@contoso\.example answers ErrorAccessDenied/,
      )
      expect(scoped.message).toMatch(/RBAC for Applications or Application Access Policy scope excludes it/)
      expect(scoped.message).toContain(
        `Test-ServicePrincipalAuthorization -Identity ${peer.clientId} -Resource ${probe}`,
      )
      // the same hint when a quarantine meets that 403
      peer.state.deliver(probe, { internetMessageId: '<scoped@evil.example>' })
      const [found] = await connector().findMessages([{ mailbox: probe, locator: byId('<scoped@evil.example>') }], ctx)
      expect(found).toMatchObject({ ok: false, error: { kind: 'auth' } })
      expect((found as { error: ConnectorError }).error.message).toMatch(
        /ErrorAccessDenied; grant the application permission Mail\.ReadWrite .*scope may exclude probe@contoso\.example/,
      )
      peer.state.outOfScope.clear()
      // the folders answer but Recoverable Items is refused
      peer.state.recoverableDenied.add(probe)
      const dumpster = await failure(withProbe())
      expect(dumpster).toMatchObject({ kind: 'auth' })
      expect(dumpster.message).toMatch(
        /folders answer but its Recoverable Items \(recoverableitemsdeletions\) answer ErrorAccessDenied/,
      )
      peer.state.recoverableDenied.clear()
      // a testMailbox the tenant does not have
      const unknown = new GraphConnector(settingsFor(peer, { testMailbox: 'ghost@contoso.example' }), {
        clientSecret: peer.clientSecret,
      })
      expect(await failure(unknown)).toMatchObject({
        kind: 'not_found',
        message: expect.stringContaining('ErrorInvalidUser'),
      })
    } finally {
      peer.state.outOfScope.clear()
      peer.state.recoverableDenied.clear()
    }
  })

  it('the peer records a client that breaks the limits (so the zero-violation checks can fail)', async () => {
    const boxes = ['greedy0@contoso.example', 'greedy1@contoso.example']
    for (const m of boxes) peer.state.deliver(m, { internetMessageId: '<g@x>' })
    const greedy = connector({ perMailbox: 30, batchSize: 30, retryBudgetMs: 2_000 })
    const ops = Array.from({ length: 24 }, (_, i) => ({
      key: boxes[i % 2]!,
      method: 'GET' as const,
      url: `/users/${boxes[i % 2]}/mailFolders/inbox`,
    }))
    await greedy.transport.run(ops, ctx).catch(() => undefined)
    // many small batches to one mailbox at once: more than 4 of its requests in flight
    const oneBox = connector({ perMailbox: 30, batchSize: 4, batchesInFlight: 8, retryBudgetMs: 5_000 })
    await oneBox.transport.run(
      Array.from({ length: 64 }, () => ops[0]!),
      ctx,
    )
    expect(peer.violations.some((v) => /\$batch of 24 members/.test(v))).toBe(true)
    expect(peer.violations.some((v) => /greedy0@contoso\.example: \d+ concurrent requests \(limit 4\)/.test(v))).toBe(
      true,
    )
    peer.violations.length = 0
  })
})

describe('msgraph through the connectors API', () => {
  it('"test connection" of a stored instance (trusting its caCertificate) names the missing permission', async () => {
    const t = await startTestApp()
    try {
      const key = await makeApiKey(t.deps.db, ['Admins'])
      const call = async (path: string, method: string, body?: unknown) => {
        const res = await t.api.request(path, {
          method,
          headers: { authorization: key, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
        return {
          status: res.status,
          body: (await res.json()) as { data: { id: number; isOk: boolean; message: string } },
        }
      }
      const created = await call('/api/v1/connectors', 'POST', {
        kind: 'msgraph',
        name: 'Contoso',
        isOnPremises: true,
        settings: {
          tenantId: peer.tenantId,
          clientId: peer.clientId,
          authorityHost: peer.authorityHost,
          graphBaseUrl: peer.baseUrl,
          domains: ['contoso.example'],
          caCertificate: peer.ca,
        },
        secrets: { clientSecret: peer.clientSecret },
      })
      expect(created.status).toBe(201)
      const test = async () => (await call(`/api/v1/connectors/${created.body.data.id}/test`, 'POST')).body.data
      expect(await test()).toMatchObject({ isOk: true, message: expect.stringContaining('token issued') })
      for (const permission of ['Mail.ReadWrite', 'User.Read.All'] as const) {
        peer.state.denied.clear()
        peer.state.denied.add(permission)
        expect(await test()).toMatchObject({
          isOk: false,
          message: expect.stringContaining(`lacks the application permission ${permission}`),
        })
      }
      peer.state.denied.clear()
      // the optional testMailbox (a setting of the schema the API and the console form validate)
      peer.state.addMailbox('probe2@contoso.example')
      const patched = await call(`/api/v1/connectors/${created.body.data.id}`, 'PATCH', {
        settings: {
          tenantId: peer.tenantId,
          clientId: peer.clientId,
          authorityHost: peer.authorityHost,
          graphBaseUrl: peer.baseUrl,
          domains: ['contoso.example'],
          caCertificate: peer.ca,
          testMailbox: 'probe2@contoso.example',
        },
      })
      expect(patched.status, JSON.stringify(patched.body)).toBe(200)
      peer.state.recoverableDenied.add('probe2@contoso.example')
      expect(await test()).toMatchObject({
        isOk: false,
        message: expect.stringMatching(/probe2@contoso\.example's folders answer but its Recoverable Items/),
      })
      peer.state.recoverableDenied.clear()
      expect(await test()).toMatchObject({
        isOk: true,
        message: expect.stringContaining("read probe2@contoso.example's folders and its Recoverable Items"),
      })
      const badProbe = await call(`/api/v1/connectors/${created.body.data.id}`, 'PATCH', {
        settings: { tenantId: peer.tenantId, clientId: peer.clientId, testMailbox: 'not an address' },
      })
      expect(badProbe.status).toBe(400)
      expect(JSON.stringify(badProbe.body)).toContain('testMailbox')
      expect(JSON.stringify(badProbe.body)).not.toContain('not an address')
      const bad = await call('/api/v1/connectors', 'POST', {
        kind: 'msgraph',
        name: 'x',
        settings: { tenantId: 't', clientId: 'c', caCertificate: 'nope' },
        secrets: { clientSecret: 's' },
      })
      expect(bad.status).toBe(400)
      expect(JSON.stringify(bad.body)).toContain('caCertificate')
    } finally {
      await t.close()
    }
  })
})
