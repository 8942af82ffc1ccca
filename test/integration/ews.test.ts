import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectorError } from '../../core/src/connectors/errors.ts'
import { instantiateConnector } from '../../core/src/connectors/index.ts'
import type {
  Connector,
  DirectoryExpand,
  MailCopy,
  MailRemediate,
  MailSearch,
} from '../../core/src/connectors/types.ts'
import { startTestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { startEwsPeer } from '../peers/ews.ts'
import { okValue, peerContext, untilSettled } from '../peers/mail-context.ts'

/**
 * The ews connector against a loopback EWS SOAP peer (HTTPS, Basic auth, impersonation, folders,
 * recoverable items, ids that change on move, throttling). Outcomes are read from the peer's
 * mailboxes: which folder holds the message, whether that folder is hidden, the read flag.
 */
const users = ['alice@corp.test', 'bob@corp.test', 'carol@corp.test', 'dave@corp.test', 'svc-test@corp.test']
for (let i = 0; i < 6; i++) users.push(`u${i}@corp.test`)
type Ews = Connector & MailSearch & MailRemediate & DirectoryExpand
let peer: Awaited<ReturnType<typeof startEwsPeer>>
let ctx: ReturnType<typeof peerContext>
const settings = (p: typeof peer, extra: Record<string, unknown> = {}) => ({
  url: p.url,
  username: 'CORP\\svc-clawback',
  domains: 'corp.test',
  testMailbox: 'svc-test@corp.test',
  maxConcurrency: 4,
  ...extra,
})
let ews: Ews

beforeAll(async () => {
  peer = await startEwsPeer({
    username: 'CORP\\svc-clawback',
    password: 'pw-1',
    mailboxes: users,
    impersonates: users,
    maxConcurrency: 4,
    latencyMs: 15,
    lists: {
      'all@corp.test': ['alice@corp.test', 'team@corp.test'],
      'team@corp.test': ['bob@corp.test', 'sub@corp.test'],
      'sub@corp.test': ['carol@corp.test', 'team@corp.test'],
    },
  })
  ctx = peerContext(peer.ca)
  ews = instantiateConnector('ews', settings(peer), { password: 'pw-1' }) as Ews
})
afterAll(async () => {
  await ctx.close()
  await peer.close()
})
afterEach(() => {
  expect(peer.violations).toEqual([])
})

describe('ews connector', () => {
  it('finds copies in every folder and the dumpster, quarantines into a hidden folder, restores folder and read state', async () => {
    const mid = '<evil-7@phish.example>'
    const base = { messageId: mid, from: 'eve@phish.example', subject: 'Payroll update' }
    peer.deliver('alice@corp.test', { ...base, isRead: false })
    peer.deliver('bob@corp.test', { ...base, folder: 'Projects', isRead: true })
    peer.deliver('carol@corp.test', { ...base, folder: 'deleteditems', isRead: true })
    peer.deliver('dave@corp.test', { ...base, folder: 'recoverableitemsdeletions', isRead: false })
    peer.deliver('alice@corp.test', { ...base, messageId: '<other@phish.example>' })
    const mailboxes = ['alice', 'bob', 'carol', 'dave'].map((u) => `${u}@corp.test`)
    const found = await ews.findMessages(
      [
        ...mailboxes.map((mailbox) => ({ mailbox, locator: { by: 'messageId' as const, messageId: mid } })),
        { mailbox: 'ghost@corp.test', locator: { by: 'messageId', messageId: mid } },
        { mailbox: 'alice@elsewhere.test', locator: { by: 'messageId', messageId: mid } },
      ],
      ctx,
    )
    const originals = found.slice(0, 4).map((r) => {
      const { copies, unreachable } = okValue(r)
      expect(unreachable).toEqual([])
      expect(copies).toHaveLength(1)
      return copies[0]!
    })
    expect(originals.map((c) => [c.place, c.folderName, c.isRead])).toEqual([
      ['inbox', 'Inbox', false],
      ['folder', 'Projects', true],
      ['deleted', 'Deleted Items', true],
      ['recoverable', 'Deletions', false],
    ])
    expect(found[4]).toMatchObject({
      ok: false,
      error: { kind: 'not_found', message: expect.stringMatching(/ErrorNonExistentMailbox/) },
    })
    expect(found[5]).toMatchObject({ ok: false, error: { kind: 'rejected' } })

    const quarantined = (await ews.quarantine(originals, ctx)).map(okValue)
    for (const mb of mailboxes)
      expect(peer.find(mb, mid)).toEqual([
        expect.objectContaining({ folder: 'Clawback Quarantine', isHidden: true, parentIsRoot: true }),
      ])
    // ids change on a move; the answer carries the new one
    expect(quarantined.map((q) => q.providerId)).toEqual(mailboxes.map((mb) => peer.find(mb, mid)[0]!.id))
    // a retried job (the same originals, their ids now stale) moves nothing and answers the quarantined copies
    const moves = () => peer.calls.filter((c) => c === 'MoveItem').length
    const n = moves()
    const again = (await ews.quarantine(originals, ctx)).map(okValue)
    expect(again.map((c) => [c.providerId, c.place])).toEqual(quarantined.map((c) => [c.providerId, 'quarantine']))
    expect(moves()).toBe(n + 4) // one refused MoveItem (ErrorItemNotFound) each, nothing moved
    expect(mailboxes.map((mb) => peer.find(mb, mid).length)).toEqual([1, 1, 1, 1])
    // search sees the quarantined copy in place 'quarantine'
    const seen = okValue(
      (await ews.findMessages([{ mailbox: 'alice@corp.test', locator: { by: 'messageId', messageId: mid } }], ctx))[0],
    )
    expect(seen.copies.map((c) => c.place)).toEqual(['quarantine'])

    const restored = (
      await ews.restore(
        originals.map((original, i) => ({ quarantined: quarantined[i]!, original })),
        ctx,
      )
    ).map(okValue)
    expect(mailboxes.map((mb) => peer.find(mb, mid).map((f) => [f.folder, f.isRead]))).toEqual([
      [['inbox', false]],
      [['Projects', true]],
      [['deleteditems', true]],
      [['recoverableitemsdeletions', false]],
    ])
    expect(restored.map((r) => r.place)).toEqual(['inbox', 'folder', 'deleted', 'recoverable'])
    // restoring again finds each copy already home
    const back = (
      await ews.restore(
        originals.map((original, i) => ({ quarantined: quarantined[i]!, original })),
        ctx,
      )
    ).map(okValue)
    expect(back.map((r) => r.providerId)).toEqual(mailboxes.map((mb) => peer.find(mb, mid)[0]!.id))
  })

  it('without a Message-ID finds by sender, subject and delivery window', async () => {
    const at = new Date('2026-11-02T10:00:00Z')
    peer.deliver('bob@corp.test', { from: 'eve@phish.example', subject: 'Wire 9', date: at, folder: 'Archive' })
    peer.deliver('bob@corp.test', { from: 'mallory@phish.example', subject: 'Wire 9', date: at })
    peer.deliver('bob@corp.test', {
      from: 'eve@phish.example',
      subject: 'Wire 9',
      date: new Date('2026-11-04T10:00:00Z'),
    })
    const [r] = await ews.findMessages(
      [
        {
          mailbox: 'bob@corp.test',
          locator: {
            by: 'attributes',
            sender: 'eve@phish.example',
            subject: 'Wire 9',
            receivedFrom: '2026-11-02T09:59:00Z',
            receivedTo: '2026-11-02T10:01:00Z',
          },
        },
      ],
      ctx,
    )
    expect(okValue(r).copies.map((c) => [c.folderName, c.internetMessageId])).toEqual([['Archive', null]])
  })

  it('finds forwards in Sent Items by References or a forward subject, with recipients', async () => {
    const mid = '<fw-7@phish.example>'
    const after = new Date(Date.now() - 60_000).toISOString()
    peer.deliver('alice@corp.test', {
      messageId: '<s1@corp.test>',
      from: 'alice@corp.test',
      to: ['bob@corp.test'],
      cc: ['carol@corp.test'],
      subject: 'RE: Payroll',
      references: mid,
      folder: 'sentitems',
    })
    peer.deliver('alice@corp.test', {
      messageId: '<s2@corp.test>',
      from: 'alice@corp.test',
      to: ['dave@corp.test'],
      subject: 'FW: Payroll',
      folder: 'sentitems',
    })
    peer.deliver('alice@corp.test', {
      messageId: '<s3@corp.test>',
      from: 'alice@corp.test',
      to: ['dave@corp.test'],
      subject: 'Lunch',
      folder: 'sentitems',
    })
    const [r] = await ews.findForwards([{ mailbox: 'alice@corp.test', messageId: mid, subject: 'Payroll', after }], ctx)
    expect(
      okValue(r)
        .map((f) => [f.messageId, f.recipients])
        .sort(),
    ).toEqual([
      ['<s1@corp.test>', ['bob@corp.test', 'carol@corp.test']],
      ['<s2@corp.test>', ['dave@corp.test']],
    ])
  })

  it('expands distribution lists recursively (nested, cycles once); a mailbox is no list', async () => {
    const r = await ews.expandGroups(['all@corp.test', 'alice@corp.test'], ctx)
    expect([...okValue(r[0])!].sort()).toEqual(['alice@corp.test', 'bob@corp.test', 'carol@corp.test'])
    expect(okValue(r[1])).toBeNull()
  })

  it('ErrorServerBusy and 503s: the back-off is kept by every mailbox, bounded retries finish, no limit exceeded', async () => {
    const mid = '<busy@phish.example>'
    const boxes = users.filter((u) => u.startsWith('u'))
    for (const u of boxes) peer.deliver(u, { messageId: mid, from: 'eve@phish.example', subject: 'busy', isRead: true })
    const found = await untilSettled(
      boxes.map((mailbox) => ({ mailbox, locator: { by: 'messageId' as const, messageId: mid } })),
      (items) => ews.findMessages(items, ctx),
    )
    const copies = found.results.map((r) => okValue(r).copies[0]!)
    peer.injectBusy(1, 400)
    peer.inject5xx(2)
    const q = await untilSettled(copies, (items) => ews.quarantine(items, ctx))
    expect(q.rounds).toBeGreaterThan(1)
    expect(q.results.every((r) => r.ok)).toBe(true)
    expect(boxes.map((u) => peer.find(u, mid).map((f) => f.folder))).toEqual(boxes.map(() => ['Clawback Quarantine']))
    peer.injectBusy(1, 300)
    const back = await untilSettled(
      copies.map((original, i) => ({ quarantined: okValue(q.results[i]) as MailCopy, original })),
      (items) => ews.restore(items, ctx),
    )
    expect(back.results.every((r) => r.ok)).toBe(true)
    expect(boxes.map((u) => peer.find(u, mid).map((f) => [f.folder, f.isRead]))).toEqual(
      boxes.map(() => [['inbox', true]]),
    )
  })

  it('test() proves impersonation and names the missing ApplicationImpersonation role; wrong password is auth', async () => {
    expect((await ews.test(ctx)).message).toBe('impersonation reaches svc-test@corp.test including Recoverable Items')
    peer.setImpersonates(users.filter((u) => u !== 'svc-test@corp.test'))
    const e = await ews.test(ctx).catch((err: ConnectorError) => err)
    expect(e).toMatchObject({
      kind: 'auth',
      message: expect.stringContaining('-Role ApplicationImpersonation -User CORP\\svc-clawback'),
    })
    peer.setImpersonates(users)
    const wrong = instantiateConnector('ews', settings(peer), { password: 'nope' }) as Ews
    await expect(
      wrong.findMessages([{ mailbox: 'alice@corp.test', locator: { by: 'messageId', messageId: '<x@y>' } }], ctx),
    ).rejects.toMatchObject({ kind: 'auth' })
  })
})

describe('ews full-access delegation', () => {
  it('reaches the mailboxes granted, reports the dumpster unreachable, and test() says so', async () => {
    const p = await startEwsPeer({
      username: 'svc',
      password: 'pw',
      mailboxes: ['a@corp.test', 'b@corp.test'],
      fullAccess: ['a@corp.test'],
    })
    const c = peerContext(p.ca)
    try {
      const conn = instantiateConnector(
        'ews',
        { url: p.url, username: 'svc', accessMode: 'delegation', domains: 'corp.test', testMailbox: 'a@corp.test' },
        { password: 'pw' },
      ) as Ews
      p.deliver('a@corp.test', { messageId: '<d@x>', from: 'eve@phish.example', subject: 'd', folder: 'deleteditems' })
      const r = await conn.findMessages(
        ['a@corp.test', 'b@corp.test'].map((mailbox) => ({
          mailbox,
          locator: { by: 'messageId' as const, messageId: '<d@x>' },
        })),
        c,
      )
      expect(okValue(r[0])).toMatchObject({
        unreachable: ['recoverableitemsdeletions'],
        unreachableWhy: expect.stringMatching(/full-access delegation; switch accessMode to impersonation/),
        copies: [{ place: 'deleted' }],
      })
      expect(r[1]).toMatchObject({
        ok: false,
        error: { kind: 'rejected', message: expect.stringMatching(/ErrorAccessDenied/) },
      })
      const q = (await conn.quarantine(okValue(r[0]).copies, c)).map(okValue)
      expect(p.find('a@corp.test', '<d@x>')).toEqual([
        expect.objectContaining({ folder: 'Clawback Quarantine', isHidden: true }),
      ])
      await conn.restore([{ quarantined: q[0]!, original: okValue(r[0]).copies[0]! }], c)
      expect(p.find('a@corp.test', '<d@x>').map((f) => f.folder)).toEqual(['deleteditems'])
      expect((await conn.test(c)).message).toMatch(/but not its Recoverable Items/)
      expect(p.violations).toEqual([])
    } finally {
      await c.close()
      await p.close()
    }
  })
})

describe('ews through the connectors API', () => {
  it('"test connection" of a stored on-premises instance trusts its private CA and names the missing role', async () => {
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
        kind: 'ews',
        name: 'Exchange',
        isOnPremises: true,
        // pasted into a one-line form field
        settings: { ...settings(peer), caCertificate: peer.ca.replace(/\n/g, ' ') },
        secrets: { password: 'pw-1' },
      })
      expect(created.status).toBe(201)
      const id = created.body.data.id
      expect((await call(`/api/v1/connectors/${id}/test`, 'POST')).body.data).toMatchObject({
        isOk: true,
        message: expect.stringContaining('impersonation reaches'),
      })
      peer.setImpersonates([])
      const refused = (await call(`/api/v1/connectors/${id}/test`, 'POST')).body.data
      peer.setImpersonates(users)
      expect(refused).toMatchObject({ isOk: false, message: expect.stringContaining('-Role ApplicationImpersonation') })
      const bad = await call('/api/v1/connectors', 'POST', {
        kind: 'ews',
        name: 'x',
        settings: { ...settings(peer), caCertificate: 'nope' },
        secrets: { password: 'p' },
      })
      expect(bad.status).toBe(400)
    } finally {
      await t.close()
    }
  })
})
