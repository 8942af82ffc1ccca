/**
 * Abuse mailbox on real Dovecot, through the all-in-one process (api + worker with its abuse
 * pollers, embedded PostgreSQL):
 *  1. latency: a user report lands in the abuse mailbox (doveadm save) → incident with its analysis
 *     verdict stored (the match condition created with the source), one report after another; the
 *     poller waits with IMAP IDLE. Read from the database every 20 ms.
 *  2. backlog: BENCH_BACKLOG reports (10,000) APPENDed to a second abuse mailbox before its source
 *     exists; then the source is created and the time until every report is stored and moved (and
 *     until every alert is linked) is measured, with the server process's RSS sampled every 5 s.
 *
 *   npx node test/bench/abuse-imap.ts     # BENCH_REPORTS (30), BENCH_BACKLOG (10000); ports 19120-19123
 *
 * Targets (issue 18): p50 ≤ 5 s, p99 ≤ 15 s; 10,000 reports ≤ 5 min with memory flat.
 */
import { readFileSync, rmSync } from 'node:fs'
import { ImapFlow } from 'imapflow'
import postgres from 'postgres'
import { eml, startDovecot } from '../peers/dovecot.ts'

process.env.BENCH_PORT ??= '19120'
process.env.BENCH_CONSOLE_PORT ??= '19121'
process.env.BENCH_PG_PORT ??= '19122'
process.env.BENCH_DATA_DIR ??= 'test/.tmp/bench-abuse'
const { BENCH, benchDbUrl, ctl, pct, startServer, stopServer } = await import('./server.ts')

const REPORTS = Number(process.env.BENCH_REPORTS ?? 30)
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 10_000)
const ABUSE = 'abuse@corp.example'
const BULK = 'abuse-bulk@corp.example'

const report = (tag: string, i: number) =>
  [
    `From: user${i % 50}@corp.example`,
    `To: ${ABUSE}`,
    `Subject: FW: Action required ${tag} ${i}`,
    `Message-ID: <report-${tag}-${i}@corp.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Is this phishing?',
    '--b',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="phish.eml"',
    '',
    'Authentication-Results: mx.corp.example; spf=fail smtp.mailfrom=c0rp-helpdesk.example; dkim=fail header.d=c0rp-helpdesk.example; dmarc=fail header.from=c0rp-helpdesk.example',
    'Reply-To: replies@freemail.example',
    eml({
      from: 'helpdesk@c0rp-helpdesk.example',
      to: `user${i % 50}@corp.example`,
      subject: `Action required ${tag} ${i}`,
      messageId: `<${tag}-${i}@c0rp-helpdesk.example>`,
      body: `Your mailbox is full: http://198.51.100.7/login?u=${i} and https://bit.ly/x${i}`,
    }),
    '--b--',
    '',
  ].join('\r\n')

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : NaN
}

rmSync(BENCH.dataDir, { recursive: true, force: true })
const peer = await startDovecot({ users: [ABUSE, BULK], port: Number(process.env.BENCH_IMAP_PORT ?? 19123) })
const server = await startServer()
const sql = postgres(benchDbUrl(), { max: 2, onnotice: () => {} })
try {
  const base = `http://127.0.0.1:${BENCH.port}`
  const key = ctl('api-key', 'create', '--name', 'bench-abuse', '--team', 'Admins').trim()
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return ((await res.json()) as { data: { id: number } }).data
  }
  const connector = await api('/api/v1/connectors', {
    kind: 'imap',
    name: 'dovecot',
    settings: { host: peer.host, port: peer.port, security: 'none', masterUser: peer.master.name },
    secrets: { masterPassword: peer.master.password },
    isOnPremises: true,
  })
  await api('/api/v1/abuse-mailboxes', {
    name: 'Abuse desk',
    settings: { connectorId: connector.id, mailbox: ABUSE, intervalSeconds: 60 },
  })
  const verdictOf = async (messageId: string) => {
    const rows = await sql`
      SELECT f.data->>'disposition' AS disposition FROM alert_emails e
      JOIN alerts a ON a.id = e.alert_id
      JOIN enrichment_findings f ON f.incident_id = a.incident_id AND f.kind = 'message_verdict'
      WHERE e.message_id = ${messageId} AND NOT e.is_abuse_copy LIMIT 1`
    return rows[0]?.disposition as string | undefined
  }
  // 1. latency (IDLE)
  await new Promise((r) => setTimeout(r, 2000)) // the poller opened the mailbox and idles
  const times: number[] = []
  const verdicts: Record<string, number> = {}
  for (let i = 0; i < REPORTS; i++) {
    const t0 = performance.now()
    await peer.save(ABUSE, report('lat', i))
    let v = await verdictOf(`<lat-${i}@c0rp-helpdesk.example>`)
    while (!v) {
      if (performance.now() - t0 > 60_000) throw new Error(`report ${i}: no verdict within 60 s`)
      await new Promise((r) => setTimeout(r, 20))
      v = await verdictOf(`<lat-${i}@c0rp-helpdesk.example>`)
    }
    verdicts[v] = (verdicts[v] ?? 0) + 1
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      phase: 'report → incident with verdict (IMAP IDLE)',
      reports: REPORTS,
      p50_ms: Math.round(pct(times, 50)),
      p99_ms: Math.round(pct(times, 99)),
      min_ms: Math.round(times[0]!),
      max_ms: Math.round(times.at(-1)!),
      verdicts,
    }),
  )

  // 2. backlog of BACKLOG reports in one mailbox
  const client = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: BULK, pass: peer.passwords[BULK]! },
    logger: false,
  })
  client.on('error', () => {})
  await client.connect()
  const a0 = performance.now()
  for (let i = 0; i < BACKLOG; i++) await client.append('INBOX', report('bulk', i))
  await client.logout()
  console.log(
    JSON.stringify({ phase: 'appended', reports: BACKLOG, seconds: Math.round((performance.now() - a0) / 1000) }),
  )
  const rss: number[] = [rssMb(server.pid!)]
  const t0 = performance.now()
  const bulk = await api('/api/v1/abuse-mailboxes', {
    name: 'Bulk',
    settings: { connectorId: connector.id, mailbox: BULK, intervalSeconds: 60 },
  })
  let stored = 0
  let storedAt = 0
  let lastSample = performance.now()
  for (;;) {
    const [r] = await sql`SELECT count(*)::int AS n FROM abuse_reports WHERE source_id = ${bulk.id}`
    stored = r!.n as number
    if (stored >= BACKLOG && !storedAt) storedAt = performance.now()
    if (storedAt) {
      const [l] =
        await sql`SELECT count(*)::int AS n FROM alerts WHERE source_id = ${bulk.id} AND incident_id IS NOT NULL`
      if ((l!.n as number) >= BACKLOG) break
    }
    if (performance.now() - lastSample > 5000) {
      rss.push(rssMb(server.pid!))
      lastSample = performance.now()
      console.log(JSON.stringify({ t_s: Math.round((performance.now() - t0) / 1000), stored, rss_mb: rss.at(-1) }))
    }
    if (performance.now() - t0 > 900_000) throw new Error(`backlog: only ${stored} stored after 15 min`)
    await new Promise((r) => setTimeout(r, 500))
  }
  const linkedAt = performance.now()
  const [box] = await sql`SELECT backlog, processed FROM abuse_mailbox_state WHERE source_id = ${bulk.id}`
  console.log(
    JSON.stringify({
      phase: 'backlog processed',
      reports: BACKLOG,
      stored_and_moved_s: Math.round((storedAt - t0) / 100) / 10,
      linked_s: Math.round((linkedAt - t0) / 100) / 10,
      per_second: Math.round(BACKLOG / ((storedAt - t0) / 1000)),
      health: box,
      rss_mb_samples: rss,
    }),
  )
} finally {
  await sql.end()
  await stopServer(server)
  await peer.stop()
}
