/**
 * Alert → message in quarantine, end to end on real Dovecot: the all-in-one process (api +
 * worker, embedded PostgreSQL), an imap connector, a match condition running mail.quarantine
 * automatically; for each alert the message is delivered to a mailbox (doveadm save), the JSON
 * alert is POSTed, and the time until the message shows in the quarantine folder — read over IMAP
 * as the user — is measured. Alerts one after another.
 *
 *   npx node test/bench/quarantine-imap.ts            # 50 alerts (BENCH_ALERTS)
 *
 * Targets (issue 17): p50 ≤ 1 s, p99 ≤ 2 s.
 */
import { rmSync } from 'node:fs'
import { ImapFlow } from 'imapflow'
import { eml, startDovecot } from '../peers/dovecot.ts'

process.env.BENCH_PORT ??= '18423'
process.env.BENCH_CONSOLE_PORT ??= '18424'
process.env.BENCH_PG_PORT ??= '18425'
process.env.BENCH_DATA_DIR ??= 'test/.tmp/bench-quarantine'
const { BENCH, ctl, pct, startServer, stopServer } = await import('./server.ts')

const ALERTS = Number(process.env.BENCH_ALERTS ?? 50)
const USER = 'victim@corp.example'
const Q = 'Clawback Quarantine'

rmSync(BENCH.dataDir, { recursive: true, force: true })
const peer = await startDovecot({ users: [USER], port: Number(process.env.BENCH_IMAP_PORT ?? 18426) })
const server = await startServer()
try {
  const base = `http://127.0.0.1:${BENCH.port}`
  const key = ctl('api-key', 'create', '--name', 'bench-quarantine', '--team', 'Admins').trim()
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return ((await res.json()) as { data: { id: number } }).data
  }
  await api('/api/v1/connectors', {
    kind: 'imap',
    name: 'dovecot',
    settings: {
      host: peer.host,
      port: peer.port,
      security: 'none',
      domains: ['corp.example'],
      masterUser: peer.master.name,
    },
    secrets: { masterPassword: peer.master.password },
    isOnPremises: true,
  })
  const intakeUrl = ctl('source', 'create', '--type', 'json', '--name', `bench-${Date.now()}`).trim()
  const sourceId = Number(
    (
      (await (await fetch(`${base}/api/v1/sources`, { headers: { authorization: key } })).json()) as {
        data: { id: number }[]
      }
    ).data.at(-1)!.id,
  )
  await api(`/api/v1/sources/${sourceId}/match-conditions`, {
    name: 'pull',
    condition: { field: 'classification', op: 'eq', value: 'phish' },
    responses: [{ type: 'mail.quarantine', params: { followForwards: false } }],
    isAutomatic: true,
    isEnabled: true,
  })
  const user = new ImapFlow({
    host: peer.host,
    port: peer.port,
    secure: false,
    auth: { user: USER, pass: peer.passwords[USER]! },
    logger: false,
  })
  user.on('error', () => {})
  await user.connect()
  const inQuarantine = async (mid: string) => {
    try {
      await user.mailboxOpen(Q, { readOnly: true })
      const found = await user.search({ header: { 'message-id': mid } }, { uid: true })
      return !!found && found.length > 0
    } catch {
      return false // the folder does not exist before the first quarantine
    }
  }
  const times: number[] = []
  for (let i = 0; i < ALERTS; i++) {
    const mid = `<bench-${Date.now()}-${i}@evil.example>`
    await peer.save(USER, eml({ from: 'bad@evil.example', to: USER, subject: `Invoice ${i}`, messageId: mid }))
    const t0 = performance.now()
    const res = await fetch(intakeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        json_version: '2.0',
        summary: 'bench',
        classification: 'phish',
        email: { sender: 'bad@evil.example', recipient: [USER], subject: `Invoice ${i}`, message_id: mid },
      }),
    })
    if (!res.ok) throw new Error(`intake ${res.status}`)
    while (!(await inQuarantine(mid))) {
      if (performance.now() - t0 > 30_000) throw new Error(`alert ${i} not quarantined within 30 s`)
      await new Promise((r) => setTimeout(r, 10))
    }
    times.push(performance.now() - t0)
  }
  await user.logout()
  times.sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      alerts: ALERTS,
      p50_ms: Math.round(pct(times, 50)),
      p99_ms: Math.round(pct(times, 99)),
      max_ms: Math.round(times.at(-1)!),
      min_ms: Math.round(times[0]!),
    }),
  )
} finally {
  await stopServer(server)
  await peer.stop()
}
