import { ImapFlow } from 'imapflow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DovecotPeer, eml, startDovecot } from '../../../../test/peers/dovecot.ts'
import { createLogger } from '../../log.ts'
import { ConnectorError } from '../errors.ts'
import { createHttpClient, resolveUnderPolicy } from '../http.ts'
import type { CallContext, MailCopy } from '../types.ts'
import { ImapConnector } from './client.ts'
import { ZImapSettings } from './manifest.ts'

const ALICE = 'alice@corp.example'
const BOB = 'bob@corp.example'
let peer: DovecotPeer
let imap: ImapConnector
const policy = { isOnPremises: true }
const ctx: CallContext = {
  signal: new AbortController().signal,
  log: createLogger('silent'),
  http: createHttpClient({ policy }),
  resolve: (host) => resolveUnderPolicy(policy, host),
}

/** What the user sees, logged in as themselves: folder → [Message-ID, seen][] */
const userView = async (mailbox: string) => {
  const c = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: mailbox, pass: peer.passwords[mailbox]! },
    logger: false,
  })
  await c.connect()
  const view: Record<string, [string, boolean][]> = {}
  try {
    for (const f of await c.list()) {
      const lock = await c.getMailboxLock(f.path, { readOnly: true })
      try {
        const rows = (await c.fetchAll('1:*', { envelope: true, flags: true }).catch(() => [])) as {
          envelope?: { messageId?: string }
          flags?: Set<string>
        }[]
        if (rows.length) view[f.path] = rows.map((r) => [r.envelope?.messageId ?? '', r.flags?.has('\\Seen') ?? false])
      } finally {
        lock.release()
      }
    }
  } finally {
    await c.logout()
  }
  return view
}

beforeAll(async () => {
  peer = await startDovecot({ users: [ALICE, BOB] })
  imap = new ImapConnector(
    ZImapSettings.parse({
      host: peer.host,
      port: peer.port,
      security: 'none',
      masterUser: peer.master.name,
      testMailbox: ALICE,
    }),
    { masterPassword: peer.master.password },
  )
})
afterAll(async () => {
  await peer?.stop()
})

describe('imap connector on real Dovecot', () => {
  it('finds copies in every folder, quarantines into a hidden folder and restores folder and read state', async () => {
    await peer.save(
      ALICE,
      eml({ from: 'x@evil.example', to: ALICE, subject: 'Invoice', messageId: '<q1@evil.example>' }),
    )
    await peer.save(
      ALICE,
      eml({ from: 'x@evil.example', to: ALICE, subject: 'Invoice', messageId: '<q1@evil.example>' }),
      'Trash',
    )
    await peer.save(
      ALICE,
      eml({ from: 'x@evil.example', to: ALICE, subject: 'other', messageId: '<q1@evil.example.org>' }),
    )
    // the user read the Trash copy before deleting it
    const c = new ImapFlow({
      host: peer.host,
      port: peer.port,
      secure: false,
      auth: { user: ALICE, pass: peer.passwords[ALICE]! },
      logger: false,
    })
    await c.connect()
    await c.mailboxOpen('Trash')
    await c.messageFlagsAdd('1:*', ['\\Seen'])
    await c.logout()

    const [found] = await imap.findMessages(
      [{ mailbox: ALICE, locator: { by: 'messageId', messageId: '<q1@evil.example>' } }],
      ctx,
    )
    expect(found?.ok).toBe(true)
    const copies = (found as { value: { copies: MailCopy[] } }).value.copies
    expect(copies.map((x) => [x.folderId, x.place, x.isRead]).sort()).toEqual([
      ['INBOX', 'inbox', false],
      ['Trash', 'deleted', true],
    ])

    const moved = await imap.quarantine(copies, ctx)
    expect(moved.every((m) => m.ok && m.value.place === 'quarantine')).toBe(true)
    const after = await userView(ALICE)
    expect(after.INBOX).toEqual([['<q1@evil.example.org>', false]])
    expect(after.Trash).toBeUndefined()
    expect(after['Clawback Quarantine']?.length).toBe(2)
    // hidden: not subscribed
    const c2 = new ImapFlow({
      host: peer.host,
      port: peer.port,
      secure: false,
      auth: { user: ALICE, pass: peer.passwords[ALICE]! },
      logger: false,
    })
    await c2.connect()
    const qFolder = (await c2.list()).find((f) => f.path === 'Clawback Quarantine')
    expect(qFolder).toBeDefined()
    expect(qFolder?.subscribed ?? false).toBe(false)
    await c2.logout()

    // a retried quarantine finds them in place 'quarantine' and moves nothing
    const [again] = await imap.findMessages(
      [{ mailbox: ALICE, locator: { by: 'messageId', messageId: '<q1@evil.example>' } }],
      ctx,
    )
    const inQ = (again as { value: { copies: MailCopy[] } }).value.copies
    expect(inQ.every((x) => x.place === 'quarantine')).toBe(true)
    expect(
      (await imap.quarantine(inQ, ctx)).every(
        (m) => m.ok && m.value.providerId === inQ.find((x) => x.providerId === m.value.providerId)?.providerId,
      ),
    ).toBe(true)

    const restored = await imap.restore(
      moved.map((m, i) => ({ quarantined: (m as { value: MailCopy }).value, original: copies[i]! })),
      ctx,
    )
    expect(restored.every((r) => r.ok)).toBe(true)
    const back = await userView(ALICE)
    expect(back.INBOX?.sort()).toEqual(
      [
        ['<q1@evil.example.org>', false],
        ['<q1@evil.example>', false],
      ].sort(),
    )
    expect(back.Trash).toEqual([['<q1@evil.example>', true]])
    expect(back['Clawback Quarantine']).toBeUndefined()
  })

  it('searches by sender, subject and delivery window without a Message-ID', async () => {
    await peer.save(BOB, eml({ from: 'Crook <crook@evil.example>', to: BOB, subject: 'Reset your password' }))
    await peer.save(BOB, eml({ from: 'crook@evil.example', to: BOB, subject: 'Reset your password now' }))
    const now = Date.now()
    const [r] = await imap.findMessages(
      [
        {
          mailbox: BOB,
          locator: {
            by: 'attributes',
            sender: 'crook@evil.example',
            subject: 'reset your password',
            receivedFrom: new Date(now - 600_000).toISOString(),
            receivedTo: new Date(now + 600_000).toISOString(),
          },
        },
      ],
      ctx,
    )
    const copies = (r as { value: { copies: MailCopy[] } }).value.copies
    expect(copies.map((x) => x.subject)).toEqual(['Reset your password'])
  })

  it('finds forwards in the Sent folder by References / In-Reply-To', async () => {
    await peer.save(
      BOB,
      eml({
        from: BOB,
        to: 'carol@corp.example',
        subject: 'Fwd: Invoice',
        messageId: '<fw1@corp.example>',
        references: '<q9@evil.example>',
      }),
      'Sent',
    )
    const [r] = await imap.findForwards(
      [
        {
          mailbox: BOB,
          messageId: '<q9@evil.example>',
          subject: 'Invoice',
          after: new Date(Date.now() - 3_600_000).toISOString(),
        },
      ],
      ctx,
    )
    expect(r).toEqual({
      ok: true,
      value: [{ messageId: '<fw1@corp.example>', recipients: ['carol@corp.example'], sentAt: expect.any(String) }],
    })
  })

  it('answers an unknown mailbox per item and names a wrong master password in test()', async () => {
    const res = await imap.findMessages(
      [
        { mailbox: 'nobody@corp.example', locator: { by: 'messageId', messageId: '<x@y>' } },
        { mailbox: BOB, locator: { by: 'messageId', messageId: '<x@y>' } },
      ],
      ctx,
    )
    expect(res[0]).toMatchObject({ ok: false, error: { kind: 'not_found' } })
    expect(res[1]).toEqual({ ok: true, value: { copies: [], unreachable: [] } })
    expect((await imap.test(ctx)).message).toMatch(/logged in to alice@corp.example/)
    const wrong = new ImapConnector(
      ZImapSettings.parse({
        host: peer.host,
        port: peer.port,
        security: 'none',
        masterUser: peer.master.name,
        testMailbox: ALICE,
      }),
      { masterPassword: 'wrong' },
    )
    const err = await wrong.test(ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectorError)
    expect((err as ConnectorError).kind).toBe('auth')
  })
})
