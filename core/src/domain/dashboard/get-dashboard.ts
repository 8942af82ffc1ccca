import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidentFields, incidentFieldValues, incidents, incidentUsers, sources, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, visibleWhere } from '../../policy/index.ts'

/** `incident_users.kind` values that mean "targeted" (intake writes one of these). */
export const TARGET_KINDS = ['target', 'targets']
const UNRESOLVED = ['new', 'open', 'assigned'] as const

export type DashboardOptions = { days?: number; slowHours?: number; now?: Date; top?: number }
export type Ranked = { label: string; count: number }
export type Dashboard = {
  since: Date
  days: { day: string; opened: number; closed: number }[]
  opened: number
  closed: number
  firstAction: { median: number | null; p90: number | null; count: number }
  toClose: { median: number | null; p90: number | null; count: number }
  unprocessed: number
  unresolved: number
  slow: number
  slowHours: number
  oldest: { id: number; summary: string; state: string; severity: string; createdAt: Date }[]
  topUsers: Ranked[]
  topDepartments: Ranked[]
  topSources: Ranked[]
  topClassifications: Ranked[]
}

const dayKey = (d: Date) => d.toISOString().slice(0, 10)
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))

/**
 * The SOC lead's numbers for the last `days` days (UTC calendar days, today included): incidents
 * opened and closed per day, time to first action and to close (seconds, median and p90), the
 * unprocessed (state new) and slow (unresolved for longer than `slowHours`) backlog, and the top
 * targeted users, departments, sources and classifications. Every number counts only incidents
 * the actor may see (`visibleWhere`): a private team's incident never shows up for outsiders.
 * @throws AppError FORBIDDEN without incidents.read, INVALID_REQUEST for a window outside 1..366 days.
 */
export const getDashboard = async (db: DbOrTx, actor: Actor, options: DashboardOptions = {}): Promise<Dashboard> => {
  assertCan(actor, 'incidents.read')
  const nDays = options.days ?? 14
  if (!Number.isInteger(nDays) || nDays < 1 || nDays > 366) throw new AppError('INVALID_REQUEST', 'days: 1 to 366')
  const slowHours = options.slowHours ?? 24
  const top = options.top ?? 8
  const now = options.now ?? new Date()
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (nDays - 1)))
  const slowBefore = new Date(now.getTime() - slowHours * 3600_000)
  const visible = visibleWhere(actor, incidents)
  const inWindow = and(visible, gte(incidents.createdAt, since))
  const day = (col: typeof incidents.createdAt | typeof incidents.closedAt) =>
    sql<string>`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`

  const [openedRows, closedRows, [times], [backlog], oldest, topUsers, topDepartments, topSources, topClassifications] =
    await Promise.all([
      db
        .select({ day: day(incidents.createdAt), n: sql<number>`count(*)::int` })
        .from(incidents)
        .where(inWindow)
        .groupBy(sql`1`),
      db
        .select({ day: day(incidents.closedAt), n: sql<number>`count(*)::int` })
        .from(incidents)
        .where(and(visible, gte(incidents.closedAt, since)))
        .groupBy(sql`1`),
      db
        .select({
          count: sql<number>`count(*) FILTER (WHERE ${incidents.firstActionAt} IS NOT NULL)::int`,
          median: sql`percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ${incidents.firstActionAt} - ${incidents.createdAt}))`,
          p90: sql`percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM ${incidents.firstActionAt} - ${incidents.createdAt}))`,
          closedCount: sql<number>`count(*) FILTER (WHERE ${incidents.closedAt} IS NOT NULL)::int`,
          closeMedian: sql`percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ${incidents.closedAt} - ${incidents.createdAt}))`,
          closeP90: sql`percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM ${incidents.closedAt} - ${incidents.createdAt}))`,
        })
        .from(incidents)
        .where(inWindow),
      db
        .select({
          unprocessed: sql<number>`count(*) FILTER (WHERE ${incidents.state} = 'new')::int`,
          unresolved: sql<number>`count(*)::int`,
          slow: sql<number>`count(*) FILTER (WHERE ${incidents.createdAt} < ${slowBefore.toISOString()}::timestamptz)::int`,
        })
        .from(incidents)
        .where(and(visible, inArray(incidents.state, [...UNRESOLVED]))),
      db
        .select({
          id: incidents.id,
          summary: incidents.summary,
          state: incidents.state,
          severity: incidents.severity,
          createdAt: incidents.createdAt,
        })
        .from(incidents)
        .where(and(visible, inArray(incidents.state, [...UNRESOLVED]), lt(incidents.createdAt, slowBefore)))
        .orderBy(asc(incidents.createdAt), asc(incidents.id))
        .limit(top),
      db
        .select({ label: incidentUsers.username, count: sql<number>`count(DISTINCT ${incidentUsers.incidentId})::int` })
        .from(incidentUsers)
        .innerJoin(incidents, eq(incidents.id, incidentUsers.incidentId))
        .where(and(inWindow, inArray(incidentUsers.kind, TARGET_KINDS)))
        .groupBy(incidentUsers.username)
        .orderBy(sql`2 DESC, 1`)
        .limit(top),
      db
        .select({
          label: sql<string>`coalesce(nullif(${users.department}, ''), '(no department)')`,
          count: sql<number>`count(DISTINCT ${incidentUsers.incidentId})::int`,
        })
        .from(incidentUsers)
        .innerJoin(incidents, eq(incidents.id, incidentUsers.incidentId))
        .leftJoin(
          users,
          sql`lower(${users.username}) = lower(${incidentUsers.username}) OR lower(${users.email}) = lower(${incidentUsers.username})`,
        )
        .where(and(inWindow, inArray(incidentUsers.kind, TARGET_KINDS)))
        .groupBy(sql`1`)
        .orderBy(sql`2 DESC, 1`)
        .limit(top),
      db
        .select({ label: sql<string>`coalesce(${sources.name}, '(no source)')`, count: sql<number>`count(*)::int` })
        .from(incidents)
        .leftJoin(sources, eq(sources.id, incidents.sourceId))
        .where(inWindow)
        .groupBy(sql`1`)
        .orderBy(sql`2 DESC, 1`)
        .limit(top),
      db
        .select({
          label: sql<string>`coalesce(${incidentFieldValues.value}, '(none)')`,
          count: sql<number>`count(*)::int`,
        })
        .from(incidentFieldValues)
        .innerJoin(
          incidentFields,
          and(eq(incidentFields.id, incidentFieldValues.fieldId), eq(incidentFields.name, 'Classification')),
        )
        .innerJoin(incidents, eq(incidents.id, incidentFieldValues.incidentId))
        .where(inWindow)
        .groupBy(sql`1`)
        .orderBy(sql`2 DESC, 1`)
        .limit(top),
    ])

  const opened = new Map(openedRows.map((r) => [r.day, r.n]))
  const closed = new Map(closedRows.map((r) => [r.day, r.n]))
  const days = Array.from({ length: nDays }, (_, i) => {
    const key = dayKey(new Date(since.getTime() + i * 86_400_000))
    return { day: key, opened: opened.get(key) ?? 0, closed: closed.get(key) ?? 0 }
  })
  return {
    since,
    days,
    opened: days.reduce((s, d) => s + d.opened, 0),
    closed: days.reduce((s, d) => s + d.closed, 0),
    firstAction: { median: num(times?.median), p90: num(times?.p90), count: times?.count ?? 0 },
    toClose: { median: num(times?.closeMedian), p90: num(times?.closeP90), count: times?.closedCount ?? 0 },
    unprocessed: backlog?.unprocessed ?? 0,
    unresolved: backlog?.unresolved ?? 0,
    slow: backlog?.slow ?? 0,
    slowHours,
    oldest,
    topUsers,
    topDepartments,
    topSources,
    topClassifications,
  }
}
