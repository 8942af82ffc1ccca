/**
 * The embedded PostgreSQL over loopback TCP and over its Unix socket, side by side: the intake
 * log's append shape (16 rows of a 3 KB raw body and a 3.5 KB item cast to jsonb per statement,
 * four connections), alternating TCP and socket runs, CPU per row of this client and of
 * PostgreSQL's processes, and the medians.
 *
 *   node test/bench/pg-socket.ts          # BENCH_PG_SOCKET_ROUNDS=3, 3,000 statements per run
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import { socketUrl } from '../../core/src/db/client.ts'
import { startEmbeddedPostgres } from '../../core/src/db/embedded.ts'
import { createLogger } from '../../core/src/log.ts'

const ROUNDS = Number(process.env.BENCH_PG_SOCKET_ROUNDS ?? 3)
const STATEMENTS = 3000
const ROWS = 16
const dir = path.resolve('test/.tmp/bench-pg-socket')
rmSync(dir, { recursive: true, force: true })
const pg = await startEmbeddedPostgres(dir, Number(process.env.BENCH_PG_PORT ?? 54369), createLogger('warn'))

/** CPU seconds used so far by every `postgres` process on the machine (only this bench's run here). */
const pgCpu = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .reduce((sum, d) => {
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8')
        if (!st.includes('(postgres)')) return sum
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ')
        return sum + (Number(f[11]) + Number(f[12])) / 100
      } catch {
        return sum
      }
    }, 0)

const [socketTarget, socket] = socketUrl(pg.url)
if (!socket.path) throw new Error(`no Unix socket in ${pg.url}`)
const setup = postgres(socketTarget, { max: 1, onnotice: () => {} })
await setup`CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY, raw text, item jsonb)`
await setup.end()
const raw = 'x'.repeat(3000)
const item = JSON.stringify({ note: 'y'.repeat(3500) })
const figures: Record<string, { client: number[]; pg: number[] }> = {
  tcp: { client: [], pg: [] },
  socket: { client: [], pg: [] },
}
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of round % 2 ? (['socket', 'tcp'] as const) : (['tcp', 'socket'] as const)) {
    const sql = mode === 'socket' ? postgres(socketTarget, { ...socket, max: 4 }) : postgres(socketTarget, { max: 4 })
    await sql`TRUNCATE t`
    const c0 = process.cpuUsage()
    const p0 = pgCpu()
    let next = 0
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next++ < STATEMENTS) {
          const rows = Array.from({ length: ROWS }, () => [raw, item])
          await sql`INSERT INTO t (raw, item) SELECT r, i::jsonb FROM unnest(${rows.map((r) => r[0]!)}::text[], ${rows.map((r) => r[1]!)}::text[]) x(r, i)`
        }
      }),
    )
    const c = process.cpuUsage(c0)
    const n = STATEMENTS * ROWS
    figures[mode]!.client.push((c.user + c.system) / n)
    figures[mode]!.pg.push(((pgCpu() - p0) * 1e6) / n)
    await sql.end()
  }
}
await pg.stop()
rmSync(dir, { recursive: true, force: true })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const tcp = { client: median(figures.tcp!.client), pg: median(figures.tcp!.pg) }
const sock = { client: median(figures.socket!.client), pg: median(figures.socket!.pg) }
console.log(
  `CPU per row, median of ${ROUNDS} runs of ${STATEMENTS} statements × ${ROWS} rows (µs): client / PostgreSQL / both`,
)
console.log(`  TCP 127.0.0.1  ${tcp.client.toFixed(1)} / ${tcp.pg.toFixed(1)} / ${(tcp.client + tcp.pg).toFixed(1)}`)
console.log(
  `  Unix socket    ${sock.client.toFixed(1)} / ${sock.pg.toFixed(1)} / ${(sock.client + sock.pg).toFixed(1)}`,
)
console.log(`  socket ÷ TCP   ${((sock.client + sock.pg) / (tcp.client + tcp.pg)).toFixed(2)}`)
