/**
 * Idle resident memory of the all-in-one process (api + worker + console, as `npm start` runs it),
 * without PostgreSQL: starts it on a fresh data directory with embedded PostgreSQL, waits until
 * ready, lets it idle, and samples VmRSS of the Node process. Also prints start-up times.
 *
 *   npx node test/bench/idle-memory.ts            (IDLE_SECONDS=60 by default)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, runNode, waitReady } from '../harness/process.ts'

const idleSeconds = Number(process.env.IDLE_SECONDS ?? 60)
const dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-mem-'))
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
const startArgs = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start.split(' ').slice(1, -1) as string[]

const [port, consolePort, pgPort] = [await freePort(), await freePort(), await freePort()]
const env = {
  CLAWBACK_DATA_DIR: dataDir,
  PORT: String(port),
  CONSOLE_PORT: String(consolePort),
  CLAWBACK_EMBEDDED_PG_PORT: String(pgPort),
}
try {
  for (const label of ['first start', 'later start']) {
    const proc = runNode('console/src/main.ts', [], env, undefined, startArgs)
    const ms = await waitReady(`http://127.0.0.1:${port}/readyz`, proc)
    console.log(`${label}: /readyz green after ${ms} ms`)
    if (label === 'later start') {
      const samples: number[] = []
      for (let s = 0; s < idleSeconds; s += 5) {
        await new Promise((r) => setTimeout(r, 5000))
        samples.push(rssMb(proc.child.pid!))
      }
      console.log(
        `idle RSS over ${idleSeconds} s (node flags: ${startArgs.join(' ') || 'none'}): min ${Math.min(...samples).toFixed(0)} MB, max ${Math.max(...samples).toFixed(0)} MB, last ${samples.at(-1)!.toFixed(0)} MB`,
      )
    }
    proc.child.kill('SIGTERM')
    await proc.exited
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
