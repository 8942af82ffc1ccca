import { listManifests } from '../../../../core/src/connectors/index.ts'
import { createConnector } from '../../../../core/src/domain/connectors/create-connector.ts'
import { deleteConnector } from '../../../../core/src/domain/connectors/delete-connector.ts'
import { listConnectors } from '../../../../core/src/domain/connectors/list-connectors.ts'
import { testConnector } from '../../../../core/src/domain/connectors/test-connector.ts'
import { SYSTEM } from '../../../../core/src/policy/actor.ts'
import { type Command, type CommandContext, withRuntime } from '../command.ts'

const CTL = { ...SYSTEM, label: 'clawbackctl' }

const idArg = (ctx: CommandContext, usage: string) => {
  const id = Number(ctx.args[0])
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`usage: ${usage}`)
  return id
}
const json = (text: string, what: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(text)
    if (v && typeof v === 'object' && !Array.isArray(v)) return v
  } catch {}
  throw new Error(`${what}: expected a JSON object`)
}

export const connectorCommands: Command[] = [
  {
    path: ['connector', 'kinds'],
    usage: 'connector kinds',
    summary: 'list the connector kinds, their capabilities and secret names',
    async run(ctx) {
      for (const m of listManifests())
        ctx.stdout(
          `${m.kind}\t${m.capabilities.join(',')}\tsecrets: ${m.secrets.map((s) => s.name).join(',') || '-'}\t${m.title}\n`,
        )
      return 0
    },
  },
  {
    path: ['connector', 'list'],
    usage: 'connector list',
    summary: 'list connector instances with their last test result (never secret values)',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        for (const c of await listConnectors(rt.db, CTL))
          ctx.stdout(
            `${c.id}\t${c.kind}\t${c.name}\t${c.isEnabled ? 'enabled' : 'disabled'}${c.isOnPremises ? ',on-premises' : ''}\t${c.lastTest ? `${c.lastTest.isOk ? 'ok' : 'FAILED'}: ${c.lastTest.message}` : 'not tested'}\n`,
          )
        return 0
      }),
  },
  {
    path: ['connector', 'create'],
    usage: "connector create --kind KIND --name NAME --settings '{...}' [--on-premises] [--secrets-stdin]",
    summary: 'create a connector; secrets are read as a JSON object from stdin (never from the command line)',
    async run(ctx) {
      const usage = this.usage
      const kind = String(ctx.options.kind ?? '')
      const name = typeof ctx.options.name === 'string' ? ctx.options.name : ''
      if (!kind || !name) throw new Error(`usage: ${usage}`)
      const settings = json(typeof ctx.options.settings === 'string' ? ctx.options.settings : '{}', '--settings')
      const secrets = ctx.options['secrets-stdin'] ? json(await ctx.readStdin(), 'stdin') : {}
      return withRuntime(ctx, async (rt) => {
        const c = await createConnector(rt.db, rt.keyring, CTL, {
          kind,
          name,
          settings,
          secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, String(v)])),
          isOnPremises: ctx.options['on-premises'] === true,
        })
        ctx.stdout(`${c.id}\n`)
        ctx.stderr(
          `connector "${c.name}" (id ${c.id}, ${c.kind}) created; test it with: clawbackctl connector test ${c.id}\n`,
        )
        return 0
      })
    },
  },
  {
    path: ['connector', 'test'],
    usage: 'connector test ID',
    summary: 'test a connector against its vendor now; exit 1 when the test fails',
    async run(ctx) {
      const id = idArg(ctx, this.usage)
      return withRuntime(ctx, async (rt) => {
        const r = await testConnector(rt.db, rt.keyring, CTL, id, { log: ctx.log })
        ctx.stdout(`${r.isOk ? 'ok' : 'FAILED'}: ${r.message}\n`)
        return r.isOk ? 0 : 1
      })
    },
  },
  {
    path: ['connector', 'delete'],
    usage: 'connector delete ID',
    summary: 'delete a connector and its secrets',
    async run(ctx) {
      const id = idArg(ctx, this.usage)
      return withRuntime(ctx, async (rt) => {
        await deleteConnector(rt.db, CTL, id)
        ctx.stderr(`connector ${id} deleted\n`)
        return 0
      })
    },
  },
]
