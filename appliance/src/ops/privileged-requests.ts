import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { ZHostSettings } from '../system/host-settings.ts'
import { opsPaths } from './paths.ts'
import { type OpStatus, writeOp } from './progress.ts'

/**
 * The one narrow path from the unprivileged console to root: the console drops a request file in
 * `<data>/ops/requests/`; a root oneshot unit (systemd/clawback-privileged.path → .service) runs
 * `clawbackctl privileged run`, which accepts only these kinds, re-validates everything itself
 * (the IMG signature is checked again against the root-owned key of the running release) and
 * reports through the operation's status file that the console polls.
 */
export const ZPrivilegedRequest = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('upgrade-apply'),
    opId: z.string().regex(/^upgrade-[a-z0-9-]+$/),
    image: z.string().regex(/^img-\d+\.img$/),
    requestedBy: z.string().max(200),
  }),
  z.object({ kind: z.literal('restart'), opId: z.string().regex(/^[a-z0-9-]+$/), requestedBy: z.string().max(200) }),
  // host name, network, NTP, syslog forwarding: written under /etc by root (system/apply-host-settings.ts)
  z.strictObject({
    kind: z.literal('system-apply'),
    opId: z.string().regex(/^system-[a-z0-9-]+$/),
    settings: ZHostSettings,
    requestedBy: z.string().max(200),
  }),
])
export type PrivilegedRequest = z.infer<typeof ZPrivilegedRequest>

const requestsDir = (dataDir: string) => path.join(opsPaths(dataDir).ops, 'requests')

/** Console side: queue a request (validated here too) and mark its operation queued. */
export const submitPrivilegedRequest = (dataDir: string, request: PrivilegedRequest) => {
  const r = ZPrivilegedRequest.parse(request)
  const dir = requestsDir(dataDir)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const kind: OpStatus['kind'] =
    r.kind === 'upgrade-apply' ? 'upgrade' : r.kind === 'system-apply' ? 'system' : 'restore'
  writeOp(dataDir, {
    id: r.opId,
    kind,
    state: 'queued',
    step: 'waiting for the privileged helper',
    percent: 0,
    startedAt: new Date().toISOString(),
  })
  writeFileSync(path.join(dir, `${r.opId}.json.tmp`), JSON.stringify(r), { mode: 0o600 })
  renameSync(path.join(dir, `${r.opId}.json.tmp`), path.join(dir, `${r.opId}.json`))
}

export type PrivilegedHandlers = {
  [K in PrivilegedRequest['kind']]: (r: Extract<PrivilegedRequest, { kind: K }>) => Promise<void>
}

/**
 * Root side: takes every pending request (regular files only, never links), removes it before
 * acting so that a request runs at most once, and dispatches valid ones. Invalid requests are
 * dropped and reported. Returns what happened to each.
 */
export const runPrivilegedRequests = async (dataDir: string, handlers: PrivilegedHandlers) => {
  const dir = requestsDir(dataDir)
  const outcomes: { file: string; outcome: string }[] = []
  let names: string[] = []
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
  } catch {
    return outcomes
  }
  for (const name of names) {
    const file = path.join(dir, name)
    let request: PrivilegedRequest
    try {
      if (!lstatSync(file).isFile()) throw new Error('not a regular file')
      const text = readFileSync(file, 'utf8')
      rmSync(file)
      const parsed = ZPrivilegedRequest.safeParse(JSON.parse(text))
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        throw new Error(`${issue.path.join('.') || 'request'}: ${issue.message}`)
      }
      request = parsed.data
    } catch (err) {
      rmSync(file, { force: true })
      outcomes.push({ file: name, outcome: `refused: ${(err as Error).message.split('\n')[0]}` })
      continue
    }
    try {
      await (handlers[request.kind] as (r: PrivilegedRequest) => Promise<void>)(request)
      outcomes.push({ file: name, outcome: 'done' })
    } catch (err) {
      outcomes.push({ file: name, outcome: `failed: ${(err as Error).message}` })
    }
  }
  return outcomes
}
