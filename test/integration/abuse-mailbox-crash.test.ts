import { eq, sql } from 'drizzle-orm'
import { ImapFlow } from 'imapflow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { abuseReports } from '../../core/src/db/schema/index.ts'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import { ingestAbuseReport } from '../../core/src/domain/abuse/ingest-abuse-report.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { drainIntake } from '../harness/intake.ts'
import { runNode } from '../harness/process.ts'
import { waitFor } from '../harness/wait-for.ts'
import { type DovecotPeer, eml, startDovecot } from '../peers/dovecot.ts'

/**
 * Exactly once across crashes, on a real Dovecot: a report recorded but not yet moved (the window
 * between the commit and the MOVE) is only moved by the next poller; a poller process SIGKILLed in
 * the middle of a mailbox leaves nothing lost and nothing twice once another worker takes over.
 */
const ABUSE = 'abuse@corp.example'
const PROCESSED = 'Clawback Processed'
let t: TestApp
let peer: DovecotPeer
let sourceId: number
const deps = () => ({ db: t.deps.db, keyring: t.deps.keyring, dataDir: t.dataDir, log: t.deps.log })

const api = async (p: string, method = 'GET', body?: unknown, key = '') => {
  const res = await t.api.request(p, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields it asserts
  return { status: res.status, ...((await res.json()) as { data?: any; error?: { message: string } }) }
}
const imap = async <T>(fn: (c: ImapFlow) => Promise<T>) => {
  const c = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: ABUSE, pass: peer.passwords[ABUSE]! },
    logger: false,
  })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.logout()
  }
}
const counts = () =>
  imap(async (c) => {
    const inbox = await c.status('INBOX', { messages: true })
    const done = await c.status(PROCESSED, { messages: true }).catch(() => ({ messages: 0 }))
    return { inbox: inbox ? (inbox.messages ?? 0) : 0, processed: done ? (done.messages ?? 0) : 0 }
  })
const recorded = async () =>
  ((await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(abuseReports)) as [{ n: number }])[0].n
const report = (n: number, tag: string) =>
  [
    `From: user${n % 7}@corp.example`,
    `To: ${ABUSE}`,
    `Subject: FW: ${tag} ${n}`,
    `Message-ID: <report-${tag}-${n}@corp.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'look',
    '--b',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="phish.eml"',
    '',
    eml({
      from: 'bad@evil.example',
      to: `user${n % 7}@corp.example`,
      subject: `${tag} ${n}`,
      messageId: `<${tag}-${n}@evil.example>`,
    }),
    '--b--',
    '',
  ].join('\n')

beforeAll(async () => {
  peer = await startDovecot({ users: [ABUSE] })
  t = await startTestApp()
  const admin = await makeApiKey(t.deps.db, ['Admins'])
  const connector = await api(
    '/api/v1/connectors',
    'POST',
    {
      kind: 'imap',
      name: 'dovecot',
      settings: { host: peer.host, port: peer.port, security: 'none', masterUser: peer.master.name },
      secrets: { masterPassword: peer.master.password },
      isOnPremises: true,
    },
    admin,
  )
  expect(connector.status, connector.error?.message).toBe(201)
  const created = await api(
    '/api/v1/abuse-mailboxes',
    'POST',
    { name: 'Abuse', settings: { connectorId: connector.data.id, mailbox: ABUSE } },
    admin,
  )
  expect(created.status, created.error?.message).toBe(201)
  sourceId = created.data.id
}, 120_000)
afterAll(async () => {
  await t?.close()
  await peer?.stop()
})

describe('abuse mailbox: exactly once across crashes', () => {
  it('a report recorded before a crash but not moved is only moved by the next poller, never stored twice', async () => {
    await peer.save(ABUSE, report(1, 'window'))
    // a poller stored it (the commit) and died before its MOVE
    const { uidValidity, uid, raw } = await imap(async (c) => {
      const box = await c.mailboxOpen('INBOX', { readOnly: true })
      const m = await c.fetchOne('1', { source: true, uid: true })
      return { uidValidity: box.uidValidity, uid: m ? m.uid : 0, raw: m ? m.source! : Buffer.alloc(0) }
    })
    const first = await ingestAbuseReport(
      t.deps.db,
      t.dataDir,
      { id: sourceId, name: 'Abuse', mailbox: ABUSE },
      `${uidValidity}:${uid}`,
      Buffer.from(raw),
    )
    expect(first.status).toBe('stored')
    expect(await recorded()).toBe(1)
    const stop = await startAbusePollers(deps(), { refreshMs: 200, leaseSeconds: 3 })
    try {
      await waitFor(async () => {
        const c = await counts()
        return c.inbox === 0 && c.processed === 1
      }, 'the move')
    } finally {
      await stop()
    }
    expect(await recorded()).toBe(1)
    await drainIntake(t)
    const alerts = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM alerts WHERE source_id = ${sourceId}`,
    )
    expect(alerts[0]!.n).toBe(1)
  })

  it('a poller process SIGKILLed mid-mailbox: after another takes over every report is stored exactly once', async () => {
    const N = 300
    for (let i = 0; i < N; i++) await peer.save(ABUSE, report(i, 'kill'))
    const env = {
      DATABASE_URL: t.testDb.url,
      CLAWBACK_DATA_DIR: t.dataDir,
      MASTER_KEY_FILE: t.deps.config.masterSecretFile,
      POLLER_BATCH: '10',
      POLLER_LEASE_SECONDS: '3',
    }
    const child = runNode('test/harness/abuse-poller-child.ts', [], env)
    await waitFor(async () => (await recorded()) >= 1 + 60, 'the child to be busy')
    child.child.kill('SIGKILL')
    await child.exited
    const atKill = await recorded()
    expect(atKill, child.output()).toBeLessThan(1 + N)
    // another worker takes the source over once the dead one's lease ran out
    const stop = await startAbusePollers(deps(), { refreshMs: 200, leaseSeconds: 3, batch: 50 })
    try {
      await waitFor(
        async () => {
          const c = await counts()
          return c.inbox === 0 && c.processed === 1 + N
        },
        'every report to be moved',
        240_000,
      )
    } finally {
      await stop()
    }
    expect(await recorded()).toBe(1 + N)
    await drainIntake(t)
    const [row] = await t.deps.db.execute<{ alerts: number; reports: number }>(sql`
      SELECT count(DISTINCT a.id)::int AS alerts, count(DISTINCT e.message_id)::int AS reports
      FROM alerts a JOIN alert_emails e ON e.alert_id = a.id AND e.is_abuse_copy
      WHERE a.source_id = ${sourceId} AND e.message_id LIKE '<report-kill-%'`)
    expect(row).toEqual({ alerts: N, reports: N })
    const keys = await t.deps.db
      .select({ key: abuseReports.providerKey })
      .from(abuseReports)
      .where(eq(abuseReports.sourceId, sourceId))
    expect(new Set(keys.map((k) => k.key)).size).toBe(1 + N)
  }, 420_000)
})
