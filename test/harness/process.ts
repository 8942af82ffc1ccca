import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')

/** A free loopback TCP port (bound then released). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

export type Proc = { child: ChildProcess; output: () => string; exited: Promise<number | null> }

/** Runs a project script with the pinned Node (the one running the tests), capturing output. */
export const runNode = (
  script: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
  nodeArgs: string[] = [],
): Proc => {
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      CLAWBACK_CONFIG: '/dev/null',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    out += d
  })
  if (stdin !== undefined) child.stdin!.end(stdin)
  else child.stdin!.end()
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return { child, output: () => out, exited }
}

/** Waits until `url` answers 200, returning the milliseconds it took. */
export const waitReady = async (url: string, proc: Proc, timeoutMs = 60_000) => {
  const started = Date.now()
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.status === 200) return Date.now() - started
    } catch {}
    if (proc.child.exitCode !== null) throw new Error(`process exited (${proc.child.exitCode}):\n${proc.output()}`)
    if (Date.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms:\n${proc.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * The pid a daemon wrote to `file`, once it holds one. Daemons create the file before they write
 * the number (Dovecot's master.pid): a read in between gives '' (0 as a number), and signalling
 * pid 0 signals the caller's whole process group (CI's shell included). Throws after `timeoutMs`.
 */
export const waitForPidFile = async (file: string, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0
    if (Number.isInteger(pid) && pid > 0) return pid
    if (Date.now() > until) throw new Error(`no pid in ${file} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
