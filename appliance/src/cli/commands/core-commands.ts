import { describeConfig } from '../../../../core/src/config.ts'
import { pendingMigrations } from '../../../../core/src/db/migrate.ts'
import { createApiKey } from '../../../../core/src/domain/api-keys/create-api-key.ts'
import { verifyAudit } from '../../../../core/src/domain/audit/verify-audit.ts'
import { listFailedJobs } from '../../../../core/src/domain/jobs/list-failed-jobs.ts'
import { ensureBuiltins } from '../../../../core/src/domain/setup/ensure-builtins.ts'
import { createUser } from '../../../../core/src/domain/users/create-user.ts'
import { resetPassword } from '../../../../core/src/domain/users/reset-password.ts'
import { SYSTEM } from '../../../../core/src/policy/actor.ts'
import { type Command, list, withRuntime } from '../command.ts'

/** Operator actions from the console TTY are audited as `clawbackctl`. */
const CTL = { ...SYSTEM, label: 'clawbackctl' }

const password = async (ctx: Parameters<Command['run']>[0]) => {
  const text = (await ctx.readStdin()).replace(/\r?\n$/, '')
  if (!text) throw new Error('give the password on standard input, e.g. `printf %s "$PW" | clawbackctl ...`')
  return text
}

export const coreCommands: Command[] = [
  {
    path: ['check-config'],
    usage: 'check-config',
    summary: 'validate the configuration and print it with secrets redacted',
    async run(ctx) {
      ctx.stdout(
        `configuration OK\n${Object.entries(describeConfig(ctx.config))
          .map(([k, v]) => `  ${k}=${v}`)
          .join('\n')}\n`,
      )
      return 0
    },
  },
  {
    path: ['migrate'],
    usage: 'migrate [--status]',
    summary: 'apply pending database migrations (or list them with --status)',
    async run(ctx) {
      return withRuntime(
        ctx,
        async (rt) => {
          const pending = await pendingMigrations(rt.db.$client)
          ctx.stdout(pending.length ? `pending: ${pending.join(', ')}\n` : 'schema is current\n')
          if (!ctx.options.status) await ensureBuiltins(rt.db)
          return pending.length && ctx.options.status ? 1 : 0
        },
        { migrate: !ctx.options.status },
      )
    },
  },
  {
    path: ['user', 'create'],
    usage: 'user create NAME [--team T]... [--email E] [--must-change-password]   (password on stdin)',
    summary: 'create a local user',
    async run(ctx) {
      const [username] = ctx.args
      if (!username) throw new Error('usage: user create NAME')
      const pw = await password(ctx)
      return withRuntime(ctx, async (rt) => {
        await ensureBuiltins(rt.db)
        const user = await createUser(rt.db, CTL, {
          username,
          password: pw,
          teams: list(ctx.options.team),
          email: typeof ctx.options.email === 'string' ? ctx.options.email : undefined,
          mustChangePassword: ctx.options['must-change-password'] === true,
        })
        ctx.stderr(`created user ${user.username} (id ${user.id})\n`)
        return 0
      })
    },
  },
  {
    path: ['user', 'reset-password'],
    usage: 'user reset-password NAME [--must-change-password]   (password on stdin)',
    summary: "set a user's password, clear its lockout and end its sessions",
    async run(ctx) {
      const [username] = ctx.args
      if (!username) throw new Error('usage: user reset-password NAME')
      const pw = await password(ctx)
      return withRuntime(ctx, async (rt) => {
        await resetPassword(rt.db, CTL, {
          username,
          password: pw,
          mustChangePassword: ctx.options['must-change-password'] === true,
        })
        ctx.stderr(`password of ${username} reset\n`)
        return 0
      })
    },
  },
  {
    path: ['api-key', 'create'],
    usage: 'api-key create --name NAME --team T [--team T2]',
    summary: 'create an API key; prints only the key on stdout',
    async run(ctx) {
      const name = ctx.options.name
      if (typeof name !== 'string') throw new Error('usage: api-key create --name NAME --team TEAM')
      return withRuntime(ctx, async (rt) => {
        await ensureBuiltins(rt.db)
        const key = await createApiKey(rt.db, CTL, { name, teams: list(ctx.options.team) })
        ctx.stdout(`${key.key}\n`)
        ctx.stderr(`api key "${key.name}" created (id ${key.id}); it is not shown again\n`)
        return 0
      })
    },
  },
  {
    path: ['audit', 'verify'],
    usage: 'audit verify',
    summary: 'recompute the audit hash chain; non-zero exit when a record was edited or deleted',
    async run(ctx) {
      return withRuntime(ctx, async (rt) => {
        const v = await verifyAudit(rt.db)
        if (v.ok) ctx.stdout(`audit chain intact: ${v.records} records\n`)
        else
          ctx.stdout(
            `audit chain BROKEN at record ${v.brokenAt}: ${v.reason} (${v.records} records verified before it)\n`,
          )
        return v.ok ? 0 : 1
      })
    },
  },
  {
    path: ['jobs', 'failed'],
    usage: 'jobs failed [--json]',
    summary: 'list jobs that failed for good and jobs waiting in dead-letter queues',
    async run(ctx) {
      return withRuntime(ctx, async (rt) => {
        const jobs = await listFailedJobs(rt.db, CTL)
        if (ctx.options.json) ctx.stdout(`${JSON.stringify(jobs, null, 2)}\n`)
        else if (jobs.length === 0) ctx.stdout('no failed or dead-lettered jobs\n')
        else
          for (const j of jobs)
            ctx.stdout(
              `${j.createdAt.toISOString()}  ${j.queue}  ${j.id}  ${j.isDeadLetter ? `dead-letter (from ${j.sourceQueue})` : j.state}  ${JSON.stringify(j.error).slice(0, 200)}\n`,
            )
        return 0
      })
    },
  },
]
