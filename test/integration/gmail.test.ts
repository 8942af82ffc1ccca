import { generateKeyPairSync } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectorError } from '../../core/src/connectors/errors.ts'
import { GmailConnector } from '../../core/src/connectors/gmail/client.ts'
import { instantiateConnector } from '../../core/src/connectors/index.ts'
import type {
  Connector,
  DirectoryExpand,
  MailCopy,
  MailRemediate,
  MailSearch,
} from '../../core/src/connectors/types.ts'
import { GMAIL_SCOPE, GROUPS_SCOPE, startGmailPeer } from '../peers/gmail.ts'
import { okValue, peerContext, untilSettled } from '../peers/mail-context.ts'

/**
 * The gmail connector against a loopback Gmail API + Admin SDK + OAuth token peer, through the
 * real @googleapis clients and google-auth-library (a signed JWT per user). Outcomes are read
 * from the peer's mailboxes: labels, read state, the hidden quarantine label.
 */
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 })
const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()
const clientEmail = 'clawback@acme-sec.iam.gserviceaccount.com'
const users = ['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@acme.test', 'admin@acme.test']
for (let i = 0; i < 6; i++) users.push(`u${i}@acme.test`)

type Gmail = Connector & MailSearch & MailRemediate & DirectoryExpand
let peer: Awaited<ReturnType<typeof startGmailPeer>>
let ctx: ReturnType<typeof peerContext>
let gmail: Gmail
const settingsFor = (p: typeof peer) => ({
  clientEmail,
  clientId: '104857600000000000001',
  domains: 'acme.test, acme.example',
  adminSubject: 'admin@acme.test',
  rootUrl: p.rootUrl,
  adminRootUrl: p.rootUrl,
  tokenUrl: p.tokenUrl,
})

beforeAll(async () => {
  peer = await startGmailPeer({
    clientEmail,
    publicKeyPem,
    users,
    admin: 'admin@acme.test',
    pageSize: 2,
    groups: {
      'all@acme.test': ['alice@acme.test', 'team@acme.test'],
      'team@acme.test': ['bob@acme.test', 'carol@acme.test', 'deep@acme.test'],
      'deep@acme.test': ['dave@acme.test', 'alice@acme.test'],
    },
  })
  ctx = peerContext(peer.ca)
  // through the registry, as a job opens it; the key as a one-line form field leaves it
  gmail = instantiateConnector('gmail', settingsFor(peer), { privateKey: privateKey.replace(/\n/g, ' ') }) as Gmail
})
afterAll(async () => {
  await ctx.close()
  await peer.close()
})
afterEach(() => {
  expect(peer.violations).toEqual([])
})

const sorted = (ids: string[] | undefined) => [...(ids ?? [])].sort()

describe('gmail connector', () => {
  it('finds every copy (Trash and Spam too), quarantines behind a hidden label, restores labels and read state exactly', async () => {
    const mid = '<evil-1@phish.example>'
    const base = { messageId: mid, from: 'Eve <eve@phish.example>', to: 'x@acme.test', subject: 'Your invoice' }
    const ids = {
      alice: peer.deliver('alice@acme.test', { ...base, labels: ['INBOX', 'UNREAD', 'Projects', 'CATEGORY_PERSONAL'] }),
      bob: peer.deliver('bob@acme.test', { ...base, labels: ['INBOX', 'STARRED', 'IMPORTANT'] }),
      carol: peer.deliver('carol@acme.test', { ...base, labels: ['TRASH'] }),
      dave: peer.deliver('dave@acme.test', { ...base, labels: ['SPAM', 'UNREAD'] }),
    }
    peer.deliver('alice@acme.test', { ...base, messageId: '<other@phish.example>' })
    const before = Object.fromEntries(
      Object.entries(ids).map(([u, id]) => [u, sorted(peer.message(`${u}@acme.test`, id)!.labelIds)]),
    )
    const found = await gmail.findMessages(
      [
        ...Object.keys(ids).map((u) => ({
          mailbox: `${u}@acme.test`,
          locator: { by: 'messageId' as const, messageId: mid },
        })),
        { mailbox: 'nobody@acme.test', locator: { by: 'messageId', messageId: mid } },
        { mailbox: 'alice@elsewhere.test', locator: { by: 'messageId', messageId: mid } },
      ],
      ctx,
    )
    const copies = found.slice(0, 4).map((r) => okValue(r).copies)
    expect(copies.map((c) => c.length)).toEqual([1, 1, 1, 1])
    const [a, b, c, d] = copies.map((cs) => cs[0]!)
    expect([a!.place, b!.place, c!.place, d!.place]).toEqual(['inbox', 'inbox', 'deleted', 'junk'])
    expect([a!.isRead, b!.isRead, c!.isRead, d!.isRead]).toEqual([false, true, true, false])
    expect(a).toMatchObject({ internetMessageId: mid, subject: 'Your invoice', providerId: ids.alice })
    expect(found[4]).toMatchObject({ ok: false, error: { kind: 'not_found' } })
    expect(found[5]).toMatchObject({ ok: false, error: { kind: 'rejected' } })

    const originals = [a!, b!, c!, d!]
    const q = await gmail.quarantine(originals, ctx)
    const quarantined = q.map(okValue)
    expect(quarantined.map((x) => x.place)).toEqual(['quarantine', 'quarantine', 'quarantine', 'quarantine'])
    const label = peer.labels('alice@acme.test').find((l) => l.name === 'Clawback Quarantine')!
    expect(label).toMatchObject({ labelListVisibility: 'labelHide', messageListVisibility: 'hide', type: 'user' })
    // only the hidden label stays, and UNREAD where the message was unread
    expect(peer.message('alice@acme.test', ids.alice)!.labelIds).toEqual(['UNREAD', label.id])
    expect(peer.message('bob@acme.test', ids.bob)!.labelIds).toHaveLength(1)
    expect(peer.message('carol@acme.test', ids.carol)!.labelIds).not.toContain('TRASH')
    // a retried job does not move twice: answered as is, no modify
    const modifies = () => peer.calls.filter((c) => c.endsWith('/modify')).length
    const n = modifies()
    expect((await gmail.quarantine(originals, ctx)).map(okValue).map((x) => x.place)).toEqual(
      quarantined.map((x) => x.place),
    )
    expect(modifies()).toBe(n)
    // search still sees the copies, now in quarantine
    const again = await gmail.findMessages(
      [{ mailbox: 'carol@acme.test', locator: { by: 'messageId', messageId: mid } }],
      ctx,
    )
    expect(okValue(again[0]).copies[0]!.place).toBe('quarantine')

    const restored = (
      await gmail.restore(
        originals.map((o, i) => ({ quarantined: quarantined[i]!, original: o })),
        ctx,
      )
    ).map(okValue)
    expect(restored.map((r) => r.place)).toEqual(['inbox', 'inbox', 'deleted', 'junk'])
    expect(restored.map((r) => r.isRead)).toEqual([false, true, true, false])
    for (const [u, id] of Object.entries(ids))
      expect(sorted(peer.message(`${u}@acme.test`, id)!.labelIds)).toEqual(before[u])
    // restoring again changes nothing
    const m = modifies()
    await gmail.restore(
      originals.map((o, i) => ({ quarantined: quarantined[i]!, original: o })),
      ctx,
    )
    expect(modifies()).toBe(m)
  })

  it('without a Message-ID finds by sender, exact subject and delivery window', async () => {
    const at = new Date('2026-11-02T10:00:00Z')
    const want = peer.deliver('bob@acme.test', {
      from: 'eve@phish.example',
      to: 'bob@acme.test',
      subject: 'Wire 42',
      date: at,
    })
    peer.deliver('bob@acme.test', {
      from: 'eve@phish.example',
      to: 'bob@acme.test',
      subject: 'Wire 42 again',
      date: at,
    })
    peer.deliver('bob@acme.test', { from: 'mallory@phish.example', to: 'bob@acme.test', subject: 'Wire 42', date: at })
    peer.deliver('bob@acme.test', {
      from: 'eve@phish.example',
      to: 'bob@acme.test',
      subject: 'Wire 42',
      date: new Date('2026-11-03T10:00:00Z'),
    })
    const [r] = await gmail.findMessages(
      [
        {
          mailbox: 'bob@acme.test',
          locator: {
            by: 'attributes',
            sender: 'eve@phish.example',
            subject: 'Wire 42',
            receivedFrom: '2026-11-02T09:59:00Z',
            receivedTo: '2026-11-02T10:01:00Z',
          },
        },
      ],
      ctx,
    )
    expect(okValue(r).copies.map((c) => c.providerId)).toEqual([want])
  })

  it('finds forwards a mailbox sent (References or a Fwd: subject), with their recipients', async () => {
    const mid = '<fw-orig@phish.example>'
    const after = new Date(Date.now() - 60_000).toISOString()
    peer.deliver('alice@acme.test', {
      messageId: '<f1@acme.test>',
      from: 'alice@acme.test',
      to: 'Bob <bob@acme.test>',
      cc: '"Carol, C" <carol@acme.test>',
      subject: 'Fwd: Pay now',
      references: mid,
      labels: ['SENT'],
    })
    peer.deliver('alice@acme.test', {
      messageId: '<f2@acme.test>',
      from: 'alice@acme.test',
      to: 'dave@acme.test',
      subject: 'FW: Pay now',
      labels: ['SENT'],
    })
    peer.deliver('alice@acme.test', {
      messageId: '<f3@acme.test>',
      from: 'alice@acme.test',
      to: 'dave@acme.test',
      subject: 'Pay now please',
      labels: ['SENT'],
    })
    peer.deliver('alice@acme.test', {
      messageId: '<f4@acme.test>',
      from: 'alice@acme.test',
      to: 'dave@acme.test',
      subject: 'Fwd: Pay now',
      labels: ['SENT'],
      date: new Date(Date.now() - 3_600_000),
    })
    const [r] = await gmail.findForwards(
      [{ mailbox: 'alice@acme.test', messageId: mid, subject: 'Pay now', after }],
      ctx,
    )
    expect(
      okValue(r)
        .map((f) => [f.messageId, f.recipients])
        .sort(),
    ).toEqual([
      ['<f1@acme.test>', ['bob@acme.test', 'carol@acme.test']],
      ['<f2@acme.test>', ['dave@acme.test']],
    ])
  })

  it('expands Google Groups with derived membership (nested, paged); an address that is no group is null', async () => {
    const r = await gmail.expandGroups(['all@acme.test', 'alice@acme.test', 'team@acme.test'], ctx)
    expect(sorted(okValue(r[0])!)).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@acme.test'])
    expect(okValue(r[1])).toBeNull()
    expect(sorted(okValue(r[2])!)).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@acme.test'])
  })

  it('throttling, 5xx and revoked tokens: bounded retries get every copy quarantined exactly once', async () => {
    const mid = '<storm@phish.example>'
    const boxes = users.filter((u) => u.startsWith('u'))
    const ids = boxes.map((u) =>
      peer.deliver(u, { messageId: mid, from: 'eve@phish.example', to: u, subject: 'storm' }),
    )
    const found = await untilSettled(
      boxes.map((mailbox) => ({ mailbox, locator: { by: 'messageId' as const, messageId: mid } })),
      (items) => gmail.findMessages(items, ctx),
    )
    const copies = found.results.map((r) => okValue(r).copies[0]!)
    peer.inject(429, 3, /\/messages\//)
    peer.inject(503, 2, /\/modify$/)
    peer.expireTokens()
    const q = await untilSettled(copies, (items) => gmail.quarantine(items, ctx))
    expect(q.rounds).toBeGreaterThan(1)
    expect(q.results.every((r) => r.ok)).toBe(true)
    const label = (u: string) => peer.labels(u).find((l) => l.name === 'Clawback Quarantine')!.id
    expect(boxes.map((u, i) => peer.message(u, ids[i]!)!.labelIds)).toEqual(boxes.map((u) => ['UNREAD', label(u)]))
    peer.inject(500, 2, /\/messages\//)
    peer.expireTokens()
    const back = await untilSettled(
      copies.map((original, i) => ({ quarantined: okValue(q.results[i]) as MailCopy, original })),
      (items) => gmail.restore(items, ctx),
    )
    expect(back.results.every((r) => r.ok)).toBe(true)
    expect(boxes.map((u, i) => sorted(peer.message(u, ids[i]!)!.labelIds))).toEqual(
      boxes.map(() => ['INBOX', 'UNREAD']),
    )
  })

  it('a token revoked in the middle of a call is renewed once and the call completes', async () => {
    const mid = '<revoked@phish.example>'
    const id = peer.deliver('alice@acme.test', {
      messageId: mid,
      from: 'eve@phish.example',
      to: 'alice@acme.test',
      subject: 'r',
    })
    const tokenCalls = () => peer.calls.filter((c) => c === 'POST /token').length
    const find = () =>
      gmail.findMessages([{ mailbox: 'alice@acme.test', locator: { by: 'messageId', messageId: mid } }], ctx)
    await find() // alice's token is now cached
    const n = tokenCalls()
    peer.inject(401, 1, /\/messages\/[0-9a-f]+$/)
    const [r] = await find()
    expect(okValue(r).copies.map((c) => c.providerId)).toEqual([id])
    expect(tokenCalls()).toBe(n + 1)
  })

  it('test() passes with both scopes delegated and names the scope whose delegation is missing', async () => {
    expect((await gmail.test(ctx)).message).toMatch(/delegation works/)
    peer.setDelegatedScopes([GMAIL_SCOPE])
    const e1 = await gmail.test(ctx).catch((e: ConnectorError) => e)
    expect(e1).toMatchObject({ kind: 'auth' })
    expect((e1 as Error).message).toContain(`grant client 104857600000000000001 the scope ${GROUPS_SCOPE}`)
    peer.setDelegatedScopes([GROUPS_SCOPE])
    const e2 = await gmail.test(ctx).catch((e: ConnectorError) => e)
    expect((e2 as Error).message).toContain(`the scope ${GMAIL_SCOPE}`)
    peer.setDelegatedScopes([GMAIL_SCOPE, GROUPS_SCOPE])
  })
})

describe('gmail per-user quota', () => {
  it('paces one mailbox to the per-user quota: a burst beyond it completes with no call over the limit', async () => {
    const small = await startGmailPeer({
      clientEmail,
      publicKeyPem,
      users: ['q@acme.test'],
      admin: 'q@acme.test',
      userQuotaUnits: 60,
      quotaWindowMs: 1500,
    })
    const sctx = peerContext(small.ca)
    try {
      const connector = new GmailConnector(
        { ...settingsFor(small), adminSubject: 'q@acme.test', quarantineLabelName: 'Q', userQuotaUnitsPerMinute: 60 },
        { privateKey },
        { quotaWindowMs: 1500 },
      )
      const mids = Array.from({ length: 10 }, (_, i) => `<burst-${i}@phish.example>`)
      for (const messageId of mids)
        small.deliver('q@acme.test', { messageId, from: 'eve@phish.example', to: 'q@acme.test', subject: 'burst' })
      const started = Date.now()
      const r = await connector.findMessages(
        mids.map((messageId) => ({ mailbox: 'q@acme.test', locator: { by: 'messageId', messageId } })),
        sctx,
      )
      expect(r.map((x) => okValue(x).copies.length)).toEqual(mids.map(() => 1))
      // 101 units at 60 per 1.5 s window: at least one window waited
      expect(Date.now() - started).toBeGreaterThan(1400)
      expect(small.violations).toEqual([])
    } finally {
      await sctx.close()
      await small.close()
    }
  })
})
