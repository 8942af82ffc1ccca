import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectorError } from '../../core/src/connectors/errors.ts'
import { createHttpClient, resolveUnderPolicy } from '../../core/src/connectors/http.ts'
import { instantiateConnector } from '../../core/src/connectors/index.ts'
import { GraphConnector } from '../../core/src/connectors/msgraph/client.ts'
import { ZGraphSettings } from '../../core/src/connectors/msgraph/manifest.ts'
import { type CallContext, supports } from '../../core/src/connectors/types.ts'
import { createLogger } from '../../core/src/log.ts'
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
})
