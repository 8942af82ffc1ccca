import os from 'node:os'
import { sql } from 'drizzle-orm'
import si from 'systeminformation'
import type { Db } from '../../../core/src/db/client.ts'
import { type FailedJob, listFailedJobs } from '../../../core/src/domain/jobs/list-failed-jobs.ts'
import { BOSS_SCHEMA, type PgBoss } from '../../../core/src/jobs/boss.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { releaseVersion } from '../release.ts'

export type QueueRow = { name: string; queued: number; active: number; failed: number; deadLetter: string | null }
export type SystemHealth = {
  version: string
  hostname: string
  uptimeSeconds: number
  load: number[]
  cpu: { cores: number; model: string; busyPercent: number }
  memory: { total: number; used: number; available: number }
  disks: { mount: string; fs: string; size: number; used: number; usePercent: number }[]
  network: { iface: string; address: string; family: string }[]
  postgres: { sizeBytes: number; connections: number; maxConnections: number; version: string }
  roles: { name: string; isRunning: boolean }[]
  /** every Clawback process on this database (all nodes), from pg-boss's instance registry */
  processes: {
    roles: string
    host: string
    pid: number
    live: boolean
    startedOn: Date
    heartbeatOn: Date
    stoppedOn: Date | null
  }[]
  queues: QueueRow[]
  failedJobs: FailedJob[]
  time: { timezone: string; now: string }
}

/**
 * One snapshot of the appliance's health for the system page: systeminformation (CPU, memory,
 * disks per mount), uptime and load, PostgreSQL size and connections, pg-boss queue depths and
 * failures, dead letters, version. @throws FORBIDDEN without system.manage.
 */
export const systemHealth = async (db: Db, actor: Actor, roles: Set<string>, boss?: PgBoss): Promise<SystemHealth> => {
  assertCan(actor, 'system.manage')
  const [load, mem, fs, cpu] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.cpu()])
  const [pg] = (await db.execute(sql`SELECT pg_database_size(current_database())::bigint AS size,
      (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())::int AS conns,
      current_setting('max_connections')::int AS max, current_setting('server_version') AS version`)) as unknown as [
    { size: string; conns: number; max: number; version: string },
  ]
  const queues = (await db.execute(
    sql`SELECT name, queued_count, active_count, failed_count, dead_letter FROM ${sql.identifier(BOSS_SCHEMA)}.queue ORDER BY name`,
  )) as unknown as {
    name: string
    queued_count: number
    active_count: number
    failed_count: number
    dead_letter: string | null
  }[]
  return {
    version: releaseVersion(),
    hostname: os.hostname(),
    uptimeSeconds: Math.round(os.uptime()),
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
    cpu: { cores: os.cpus().length, model: cpu.brand, busyPercent: Math.round(load.currentLoad) },
    memory: { total: mem.total, used: mem.active, available: mem.available },
    disks: fs.map((d) => ({
      mount: d.mount,
      fs: d.fs,
      size: d.size,
      used: d.used,
      usePercent: Math.round(d.use ?? 0),
    })),
    network: Object.entries(os.networkInterfaces()).flatMap(([iface, addrs]) =>
      (addrs ?? []).map((a) => ({ iface, address: a.address, family: a.family })),
    ),
    postgres: { sizeBytes: Number(pg.size), connections: pg.conns, maxConnections: pg.max, version: pg.version },
    roles: ['api', 'worker', 'console'].map((name) => ({ name, isRunning: roles.has(name) })),
    processes: (boss ? await boss.getInstances({ limit: 100 }) : [])
      .filter((i) => i.live || (i.stoppedOn === null && Date.now() - i.heartbeatOn.getTime() < 86_400_000))
      .map((i) => ({
        roles: i.name ?? '(unnamed)',
        host: i.host,
        pid: i.pid,
        live: i.live,
        startedOn: i.startedOn,
        heartbeatOn: i.heartbeatOn,
        stoppedOn: i.stoppedOn,
      })),
    queues: queues.map((q) => ({
      name: q.name,
      queued: Number(q.queued_count ?? 0),
      active: Number(q.active_count ?? 0),
      failed: Number(q.failed_count ?? 0),
      deadLetter: q.dead_letter,
    })),
    failedJobs: await listFailedJobs(db, actor, 50),
    time: { timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, now: new Date().toISOString() },
  }
}
